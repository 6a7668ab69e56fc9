import type { Cell } from './cell.js';
import type { EnvironmentOptions } from './environment.js';
import type { Random, Seed } from './random.js';
import type { CellWeight } from './selection.js';
import type { GoExploreTask } from './task.js';

/** What a policy sees before each exploration step. */
export interface PolicyContext<Action, Observation> {
  /** The worker's seeded random source; draw from it only, so seeded runs repeat. */
  readonly rng: Random;
  /** The latest observation (at step 0: the chosen cell's). */
  readonly observation: Observation;
  /** The cell this exploration returned to. */
  readonly cell: Cell<Action, Observation>;
  /** The index of this step within the exploration, from 0. */
  readonly step: number;
  /** The action of the previous step of this exploration, if any. */
  readonly previousAction: Action | undefined;
  /** The task's own sampler: `task.sampleAction(rng)`. */
  sampleAction(): Action;
}

/**
 * Chooses the next action while exploring. The default draws `task.sampleAction(rng)`. It may
 * be async (a model call, say); for repeatable runs, use no randomness but `rng`.
 */
export type GoExplorePolicy<Action, Observation> = (
  context: PolicyContext<Action, Observation>,
) => Action | Promise<Action>;

/** A progress report, sent after the setup and after each iteration. */
export interface GoExploreProgress {
  /** Iterations (return, then explore) finished so far. */
  readonly iteration: number;
  /** Cells in the archive. */
  readonly cells: number;
  /** The best cell's score. */
  readonly bestScore: number;
  /** The best cell's trajectory length. */
  readonly bestTrajectoryLength: number;
  /** Container steps (`task.step` calls) so far, over all workers. */
  readonly steps: number;
  /** Successful returns so far. */
  readonly returns: number;
  /** `returns` per second of wall time since the run started. */
  readonly returnsPerSecond: number;
  /** Wall time since the run started. */
  readonly elapsedMs: number;
}

/** Options of {@link goExplore}. At least one of `maxIterations`, `maxSteps` and `maxTimeMs` is required. */
export interface GoExploreOptions<Action, Observation> extends EnvironmentOptions {
  /** The environment to explore. */
  task: GoExploreTask<Action, Observation>;
  /**
   * Parallel workers, each with at most one live container at a time; together with the initial
   * container (stopped before the workers start) the run never has more live containers than
   * workers. Default 1.
   */
  workers?: number;
  /** Steps of each exploration after a return (it ends earlier when a step is `done`). Default 50. */
  explorationSteps?: number;
  /** How to choose actions while exploring. Default: `task.sampleAction(rng)`. */
  policy?: GoExplorePolicy<NoInfer<Action>, NoInfer<Observation>>;
  /**
   * Selection weights of the cells; see {@link countBasedWeight} for the usual family.
   * Default `1/√(timesChosen + 1)`.
   */
  cellWeight?: CellWeight<NoInfer<Action>, NoInfer<Observation>>;
  /**
   * Seed of every random choice the engine makes (cell selection, default policy). The same seed
   * with one worker on a deterministic backend and task gives the same run. Default: a random
   * seed, reported in the result so that the run can be repeated.
   */
  seed?: Seed;
  /** Stop after this many iterations (return + exploration). */
  maxIterations?: number;
  /** Stop after this many container steps (`task.step` calls), over all workers. */
  maxSteps?: number;
  /** Stop after this much wall time, checked between steps (an in-flight step or snapshot finishes). */
  maxTimeMs?: number;
  /** Stop as soon as a cell reaches this score. Default: no target. */
  targetScore?: number;
  /**
   * Stops the run: in-flight task calls see it through their context's `signal`, every container
   * and snapshot is cleaned up as at a normal end, and the promise resolves with
   * `stopReason: 'aborted'`. An abort before the first cell is archived rejects with the signal's
   * reason instead (there is no result to give).
   */
  signal?: AbortSignal;
  /** Called after the setup and after each iteration. An exception thrown here fails the run. */
  onProgress?(progress: GoExploreProgress): void;
  /**
   * Keep the archive's snapshots after the run (the result's cells name them), instead of
   * deleting everything. Default `false`. Kept snapshots are still session-scoped: the backend
   * removes them when this process exits. After a failure everything is deleted regardless.
   */
  keepArchive?: boolean;
}
