import { InvalidArgumentError } from '@snapbox/core';
import { describe, expect, it } from 'vitest';
import type { Cell } from './cell.js';
import { createRandom } from './random.js';
import { countBasedWeight, defaultCellWeight, selectCell, selectionWeights } from './selection.js';

function cell(key: string, counts: Partial<Cell<number, string>> = {}): Cell<number, string> {
  return {
    key,
    snapshotId: `snap-${key}`,
    score: 0,
    trajectory: [],
    trajectoryLength: 0,
    observation: key,
    done: false,
    timesChosen: 0,
    timesVisited: 1,
    timesChosenSinceProgress: 0,
    improvements: 0,
    discoveredAtStep: 0,
    updatedAtStep: 0,
    ...counts,
  };
}

describe('selection weights', () => {
  it('default to 1/√(timesChosen + 1), whatever the other counts', () => {
    const cells = [
      cell('a'),
      cell('b', { timesChosen: 3 }),
      cell('c', { timesChosen: 8, timesVisited: 50 }),
      cell('d', { timesChosen: 99 }),
    ];
    expect(selectionWeights(cells, defaultCellWeight)).toEqual([1, 0.5, 1 / 3, 0.1]);
  });

  it('take exponents on chosen, visited and chosen-since-progress counts', () => {
    const weight = countBasedWeight({ chosen: 1, visited: 0.5, chosenSinceProgress: 1 });
    const value = weight(
      cell('a', { timesChosen: 1, timesVisited: 3, timesChosenSinceProgress: 4 }) as Cell<unknown, unknown>,
    );
    expect(value).toBeCloseTo((1 / 2) * (1 / 2) * (1 / 5), 12);
    expect(countBasedWeight({ chosen: 0 })(cell('b', { timesChosen: 40 }) as Cell<unknown, unknown>)).toBe(1);
  });

  it('never choose a cell whose episode is done', () => {
    expect(selectionWeights([cell('a'), cell('end', { done: true })], () => 5)).toEqual([5, 0]);
  });

  it('reject negative or non-finite weights and exponents with InvalidArgumentError', () => {
    expect(() => selectionWeights([cell('a')], () => -1)).toThrow(InvalidArgumentError);
    expect(() => selectionWeights([cell('a')], () => Number.NaN)).toThrow(/cellWeight.*"a"/);
    expect(() => countBasedWeight({ chosen: -0.5 })).toThrow(/options\.chosen/);
  });
});

describe('selectCell', () => {
  it('chooses cells in proportion to their weights', () => {
    const cells = [cell('a'), cell('b'), cell('c'), cell('zero')];
    const weights: Record<string, number> = { a: 1, b: 2, c: 7, zero: 0 };
    const rng = createRandom(11);
    const counts: Record<string, number> = { a: 0, b: 0, c: 0, zero: 0 };
    const draws = 50_000;
    for (let i = 0; i < draws; i++) {
      const chosen = selectCell(cells, (c) => weights[c.key] ?? 0, rng);
      counts[chosen?.key ?? 'none'] = (counts[chosen?.key ?? 'none'] ?? 0) + 1;
    }
    expect(counts.zero).toBe(0);
    expect((counts.a ?? 0) / draws).toBeCloseTo(0.1, 2);
    expect((counts.b ?? 0) / draws).toBeCloseTo(0.2, 2);
    expect((counts.c ?? 0) / draws).toBeCloseTo(0.7, 2);
  });

  it('favours rarely chosen cells under the default weights', () => {
    const cells = [cell('old', { timesChosen: 15 }), cell('new')];
    const rng = createRandom(5);
    let fresh = 0;
    for (let i = 0; i < 10_000; i++) if (selectCell(cells, defaultCellWeight, rng)?.key === 'new') fresh++;
    // Weights 1/4 and 1: the new cell gets 80% of the choices.
    expect(fresh / 10_000).toBeCloseTo(0.8, 1);
  });

  it('returns undefined when no cell has a positive weight', () => {
    const rng = createRandom(1);
    expect(selectCell([cell('a', { done: true }), cell('b')], () => 0, rng)).toBeUndefined();
    expect(selectCell([], defaultCellWeight, rng)).toBeUndefined();
  });
});
