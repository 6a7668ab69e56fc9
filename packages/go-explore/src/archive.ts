import { type Cell, isBetterCell } from './cell.js';

/** A cell as the archive keeps it: the public view, writable by the engine only. */
export type ArchiveCell<Action, Observation> = {
  -readonly [K in keyof Cell<Action, Observation>]: Cell<Action, Observation>[K];
};

/** A trajectory's arrival in a cell, with the snapshot of the state it reached. */
export interface CellEntry<Action, Observation> {
  key: string;
  snapshotId: string;
  score: number;
  trajectory: readonly Action[];
  observation: Observation;
  done: boolean;
  /** The run's container step count at arrival. */
  step: number;
  /** What `task.saveState` returned for this state. */
  agentState?: unknown;
}

/** What {@link Archive.offer} did with an entry. */
export type OfferOutcome<Action, Observation> =
  | { outcome: 'added'; cell: ArchiveCell<Action, Observation> }
  /** The entry replaced the cell's; `previousSnapshotId` left the archive. */
  | { outcome: 'replaced'; cell: ArchiveCell<Action, Observation>; previousSnapshotId: string }
  /** The cell already had an entry as good; the entry's snapshot is not needed. */
  | { outcome: 'rejected'; cell: ArchiveCell<Action, Observation> };

/**
 * The Go-Explore archive: one entry per cell key, in discovery order (which selection iterates,
 * so a seeded run repeats). Pure bookkeeping: it never touches a container or a snapshot.
 */
export class Archive<Action, Observation> {
  readonly #cells: ArchiveCell<Action, Observation>[] = [];
  readonly #byKey = new Map<string, ArchiveCell<Action, Observation>>();
  #best: ArchiveCell<Action, Observation> | undefined;

  /** Every cell, in discovery order. */
  get cells(): readonly ArchiveCell<Action, Observation>[] {
    return this.#cells;
  }

  get size(): number {
    return this.#cells.length;
  }

  /** The cell with the highest score, the shortest trajectory among those, the first found among those. */
  get best(): ArchiveCell<Action, Observation> | undefined {
    return this.#best;
  }

  get(key: string): ArchiveCell<Action, Observation> | undefined {
    return this.#byKey.get(key);
  }

  /** True when an entry with this rank would be added or replace the cell's (see {@link isBetterCell}). */
  wouldAccept(key: string, score: number, trajectoryLength: number): boolean {
    const cell = this.#byKey.get(key);
    return cell === undefined || isBetterCell({ score, trajectoryLength }, cell);
  }

  /** Counts a visit to an existing cell that did not improve it. */
  visit(key: string): void {
    const cell = this.#byKey.get(key);
    if (cell !== undefined) cell.timesVisited++;
  }

  /**
   * Records an arrival (which counts as a visit): adds a new cell, replaces a worse entry, or
   * rejects the entry. Counts are kept across replacements: they describe the cell, not the entry.
   */
  offer(entry: CellEntry<Action, Observation>): OfferOutcome<Action, Observation> {
    const existing = this.#byKey.get(entry.key);
    if (existing === undefined) {
      const cell: ArchiveCell<Action, Observation> = {
        key: entry.key,
        snapshotId: entry.snapshotId,
        score: entry.score,
        trajectory: entry.trajectory,
        trajectoryLength: entry.trajectory.length,
        observation: entry.observation,
        done: entry.done,
        timesChosen: 0,
        timesVisited: 1,
        timesChosenSinceProgress: 0,
        improvements: 0,
        discoveredAtStep: entry.step,
        updatedAtStep: entry.step,
        agentState: entry.agentState,
      };
      this.#cells.push(cell);
      this.#byKey.set(cell.key, cell);
      this.#considerBest(cell);
      return { outcome: 'added', cell };
    }
    existing.timesVisited++;
    if (!isBetterCell({ score: entry.score, trajectoryLength: entry.trajectory.length }, existing)) {
      return { outcome: 'rejected', cell: existing };
    }
    const previousSnapshotId = existing.snapshotId;
    existing.snapshotId = entry.snapshotId;
    existing.score = entry.score;
    existing.trajectory = entry.trajectory;
    existing.trajectoryLength = entry.trajectory.length;
    existing.observation = entry.observation;
    existing.done = entry.done;
    existing.improvements++;
    existing.updatedAtStep = entry.step;
    existing.agentState = entry.agentState;
    this.#considerBest(existing);
    return { outcome: 'replaced', cell: existing, previousSnapshotId };
  }

  /**
   * An archive holding `cells` as they were saved (a checkpoint), in that order, with
   * `cells[bestIndex]` as the best cell. The best cell is given, not recomputed: ties are broken by
   * the order in which cells improved, which the cells alone do not record.
   */
  static restore<Action, Observation>(
    cells: readonly ArchiveCell<Action, Observation>[],
    bestIndex: number,
  ): Archive<Action, Observation> {
    const archive = new Archive<Action, Observation>();
    for (const cell of cells) {
      archive.#cells.push(cell);
      archive.#byKey.set(cell.key, cell);
    }
    archive.#best = archive.#cells[bestIndex];
    return archive;
  }

  /** The index of the best cell in {@link Archive.cells}, -1 when empty. */
  get bestIndex(): number {
    return this.#best === undefined ? -1 : this.#cells.indexOf(this.#best);
  }

  #considerBest(cell: ArchiveCell<Action, Observation>): void {
    if (this.#best === undefined || (cell !== this.#best && isBetterCell(cell, this.#best))) this.#best = cell;
  }
}
