import type { Cell } from './cell.js';
import type { EnvironmentOptions } from './environment.js';
import type { GoExploreFailure } from './failures.js';
import type { Random, Seed } from './random.js';
import type { ResumeSummary } from './result.js';
import type { CellWeight } from './selection.js';
import type { GoExploreTask } from './task.js';
import type { GoExploreTaskError } from './task-error.js';

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
  /** Wall time since the run started (over all its processes, for a resumed run). */
  readonly elapsedMs: number;
  /** Failures so far, every kind together (see `GoExploreResult.failures`). */
  readonly failures: number;
  /**
   * For a run continued with `resumeFrom`: what it recovered from the checkpoint (also in the
   * result). Set from the first report on, which comes right after the checkpoint is loaded.
   */
  readonly resumed: ResumeSummary | undefined;
}

/** Where and how often a run saves itself; see {@link GoExploreOptions.checkpoint}. */
export interface CheckpointOptions {
  /**
   * The checkpoint file. It is replaced atomically at each write; a second file beside it,
   * `<path>.snapshots`, lists the snapshots taken since the last write. The folder must exist.
   */
  path: string;
  /**
   * Write after every this many iterations (and after the setup). Default 1: a kill loses at most
   * the iteration in progress. Each write serializes the whole archive, so for an archive of
   * thousands of long trajectories, a larger value saves time; replaced snapshots are deleted
   * only once a checkpoint no longer names them, so a larger value also keeps more of them.
   */
  everyIterations?: number;
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
   * deleting everything. Default `false`. Without `checkpoint`, kept snapshots are still
   * session-scoped (the backend removes them when this process exits) and after a failure
   * everything is deleted regardless. With `checkpoint`, the final checkpoint is kept with them,
   * and `resumeFrom` can continue the run with larger budgets.
   */
  keepArchive?: boolean;
  /**
   * Save the run to a file as it goes, so that a process that dies (killed, crashed, machine
   * lost) can be continued with {@link GoExploreOptions.resumeFrom}. The file is written at
   * iteration boundaries (see {@link CheckpointOptions.everyIterations}) and holds the archive,
   * the random generators' state, the counts and budgets used so far; actions, observations and
   * agent state must be JSON values. While checkpointing, the archive's snapshots are taken with
   * `keep: true`, so they outlive the process; containers carry the labels
   * `snapbox.go-explore.run` (the run's id) and `snapbox.go-explore.checkpoint` (the file).
   *
   * When the run ends normally (a budget, the target, nothing left), its snapshots and the
   * checkpoint are removed, unless `keepArchive`. When it is aborted or fails, the last
   * checkpoint and its snapshots are kept for a resume (`result.checkpointPath`); discard them
   * with `deleteCheckpoint()`. A file already at `path` is refused: resume it or delete it first.
   */
  checkpoint?: CheckpointOptions;
  /**
   * Continue the run saved at this checkpoint, on the same backend: same archive, same random
   * sequence, same counts (budgets are checked against the whole run's counts; give larger ones
   * to extend a finished run). The run goes on checkpointing to the same file. Give the same
   * `task` and `image` (or `dockerfilePath`), and the same `seed` or none. With one worker, a
   * deterministic task and a deterministic backend, a run killed at any point and resumed from its
   * last checkpoint ends with the same archive as the run never interrupted.
   *
   * Before anything else, every archived snapshot is checked by starting (and stopping) a
   * container from it, `workers` at a time, and snapshots a killed process took after its last
   * checkpoint are deleted.
   * @throws CheckpointRefusedError (and its subclasses `CheckpointVersionError`,
   *   `CheckpointMismatchError`, `CheckpointSnapshotsGoneError`), saying why.
   */
  resumeFrom?: string;
  /**
   * How many times the backend may fail (returns, steps, snapshots, cleanups, together) before
   * the run stops with `FailureBudgetExceededError`. Each failure is retried: the worker returns
   * to the same cell with a fresh container, after a pause that grows with consecutive failures
   * (50 ms doubling to 5 s). Counted over the whole run, resumes included. Default 100: plenty
   * for a container dying now and then over days, while a backend that is gone for good stops
   * the run within minutes. `0` stops at the first failure. Errors of the task's own code are
   * not failures of the backend: see `onTaskError`.
   */
  maxFailures?: number;
  /** Called for every failure the engine retries (and every task error continued after), for logs. */
  onFailure?(failure: GoExploreFailure): void;
  /**
   * Decides what a {@link GoExploreTaskError} does (an error of the task's or the policy's own
   * code, reported with the cell, the action and the trajectory): `'fail'` ends the run with it
   * (the default), `'continue'` ends only the iteration (its container is discarded; the run goes
   * on and counts it in `failures.task`). Errors during the setup (`reset` of the first
   * container) always end the run.
   */
  onTaskError?(error: GoExploreTaskError): 'fail' | 'continue';
}
