/**
 * One entry of the archive: the best known way to reach a group of states (the states whose
 * observations {@link GoExploreTask.cellOf} maps to `key`), and how often it was used.
 */
export interface Cell<Action, Observation> {
  /** The cell's key, as returned by `cellOf`. */
  readonly key: string;
  /**
   * The snapshot of the container in the best state reaching this cell; returning restores it.
   * Deleted when the cell is improved, and at the end of the run unless `keepArchive` is set.
   */
  readonly snapshotId: string;
  /** The summed reward of {@link Cell.trajectory} from the initial state. */
  readonly score: number;
  /** The actions that reach this state from the initial one (what a replay runs). */
  readonly trajectory: readonly Action[];
  /** `trajectory.length`: the number of steps from the initial state. */
  readonly trajectoryLength: number;
  /** The observation that step produced (for the root cell: what `reset` returned). */
  readonly observation: Observation;
  /** True when that step ended the episode; such a cell is never chosen. */
  readonly done: boolean;
  /** How many times a worker chose this cell and returned to it. */
  readonly timesChosen: number;
  /** How many steps landed in this cell, whether or not they improved it. */
  readonly timesVisited: number;
  /** Times chosen since an exploration from this cell last added or improved a cell. */
  readonly timesChosenSinceProgress: number;
  /** How many times a better trajectory replaced the cell's entry. */
  readonly improvements: number;
  /** The run's container step count when the cell was first reached (0 for the root). */
  readonly discoveredAtStep: number;
  /** The run's container step count when the current entry was recorded. */
  readonly updatedAtStep: number;
  /**
   * What `task.saveState` returned when the current entry was recorded (a copy, through JSON);
   * `undefined` for a task without `saveState`.
   */
  readonly agentState?: unknown;
}

/** The part of a cell that the replacement rule compares. */
export interface CellRank {
  /** The total reward of the trajectory that reached the cell. */
  readonly score: number;
  /** How many actions that trajectory took. */
  readonly trajectoryLength: number;
}

/**
 * The replacement rule: `candidate` replaces `incumbent` when its score is higher, or when the
 * scores are equal and it needs fewer steps. Anything else (lower score, or the same score in
 * as many steps or more) keeps the incumbent, so the first trajectory found wins ties.
 */
export function isBetterCell(candidate: CellRank, incumbent: CellRank): boolean {
  if (candidate.score !== incumbent.score) return candidate.score > incumbent.score;
  return candidate.trajectoryLength < incumbent.trajectoryLength;
}
