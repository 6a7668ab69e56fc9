import { InvalidArgumentError } from '@snapbox/core';
import type { Cell } from './cell.js';
import type { Random } from './random.js';

/**
 * The selection weight of a cell: a cell is chosen with probability proportional to it. Must
 * return a finite number ≥ 0; 0 means never. Cells whose episode is `done` are never chosen,
 * whatever the weight says.
 */
export type CellWeight<Action = unknown, Observation = unknown> = (cell: Cell<Action, Observation>) => number;

/** Exponents of {@link countBasedWeight}; each count `n` contributes a factor `1 / (n + 1)^exponent`. */
export interface CountBasedWeightOptions {
  /** Exponent on `timesChosen`. Default `0.5`: the paper's `1/√(chosen+1)`. */
  chosen?: number;
  /** Exponent on `timesVisited`. Default `0`. */
  visited?: number;
  /** Exponent on `timesChosenSinceProgress`. Default `0`. */
  chosenSinceProgress?: number;
}

/**
 * The count-based weights of Go-Explore (Ecoffet et al.): cells that were rarely chosen or
 * visited are favoured, so exploration keeps moving to the frontier. With the defaults the weight
 * is `1/√(timesChosen + 1)`, the engine's default.
 *
 * ```ts
 * countBasedWeight(); // 1/√(chosen+1)
 * countBasedWeight({ chosen: 0.5, visited: 0.5 }); // 1/√(chosen+1) · 1/√(visited+1)
 * ```
 * @throws InvalidArgumentError for a negative or non-finite exponent.
 */
export function countBasedWeight(options: CountBasedWeightOptions = {}): CellWeight {
  const exponents = {
    chosen: options.chosen ?? 0.5,
    visited: options.visited ?? 0,
    chosenSinceProgress: options.chosenSinceProgress ?? 0,
  };
  for (const [name, value] of Object.entries(exponents)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new InvalidArgumentError({
        argument: `options.${name}`,
        message: `expected a finite exponent ≥ 0, got ${String(value)}`,
      });
    }
  }
  return (cell) =>
    (cell.timesChosen + 1) ** -exponents.chosen *
    (cell.timesVisited + 1) ** -exponents.visited *
    (cell.timesChosenSinceProgress + 1) ** -exponents.chosenSinceProgress;
}

/** The default selection weight: `1/√(timesChosen + 1)`. */
export const defaultCellWeight: CellWeight = countBasedWeight();

/**
 * The selection weights of `cells` in order: `weight(cell)` for a cell that is not `done`, 0 for
 * one that is.
 * @throws InvalidArgumentError when `weight` returns a negative, infinite or non-number value.
 */
export function selectionWeights<Action, Observation>(
  cells: readonly Cell<Action, Observation>[],
  weight: CellWeight<Action, Observation>,
): number[] {
  return cells.map((cell) => {
    if (cell.done) return 0;
    const value = weight(cell);
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new InvalidArgumentError({
        argument: 'cellWeight',
        message: `returned ${String(value)} for cell ${JSON.stringify(cell.key)}; a weight must be a finite number ≥ 0`,
      });
    }
    return value;
  });
}

/**
 * Chooses one of `cells` with probability proportional to its weight (see
 * {@link selectionWeights}), drawing exactly one number from `rng`. Returns `undefined` when
 * every weight is 0 (nothing left to explore).
 */
export function selectCell<Action, Observation, C extends Cell<Action, Observation> = Cell<Action, Observation>>(
  cells: readonly C[],
  weight: CellWeight<Action, Observation>,
  rng: Random,
): C | undefined {
  const weights = selectionWeights(cells, weight);
  const total = weights.reduce((sum, value) => sum + value, 0);
  if (total <= 0) return undefined;
  let target = rng.next() * total;
  let last: C | undefined;
  for (let i = 0; i < cells.length; i++) {
    const value = weights[i] as number;
    if (value <= 0) continue;
    last = cells[i];
    if (target < value) return last;
    target -= value;
  }
  // Rounding can leave a sliver of `target` past the last positive weight.
  return last;
}
