import type { Cell } from './cell.js';
import type { FailureCounts } from './failures.js';
import type { Seed } from './random.js';

/** Why a run ended. */
export type StopReason =
  /** `maxIterations` iterations were done. */
  | 'iterations'
  /** `maxSteps` container steps were taken. */
  | 'steps'
  /** `maxTimeMs` passed. */
  | 'time'
  /** A cell reached `targetScore`. */
  | 'target'
  /** The `signal` aborted. */
  | 'aborted'
  /** Every cell is `done` or has weight 0: nothing is left to return to. */
  | 'exhausted';

/**
 * Where the time went, in milliseconds. The phase times are summed over workers, so with several
 * workers they can add up to more than `totalMs`.
 */
export interface GoExploreTiming {
  /** Wall time of the whole run, cleanup included. */
  readonly totalMs: number;
  /** Starting the first container, `reset`, and the first snapshot. */
  readonly setupMs: number;
  /** Returns: `fromSnapshot` + `start()` (failed ones included). */
  readonly returnMs: number;
  /** Exploration: policy and `task.step` calls. */
  readonly exploreMs: number;
  /** `snapshot()` calls. */
  readonly snapshotMs: number;
  /** Stopping containers and deleting snapshots, during the run and at its end. */
  readonly cleanupMs: number;
}

/** A point of the best-score curve: the best score went up to `score` at `steps` container steps. */
export interface BestScorePoint {
  /** Container steps taken in the whole run when the best score rose. */
  readonly steps: number;
  /** The new best score. */
  readonly score: number;
  /** Length of the trajectory that reached it. */
  readonly trajectoryLength: number;
  /** The iteration (one return and exploration) in which it happened. */
  readonly iteration: number;
  /** Milliseconds since the run started. */
  readonly elapsedMs: number;
}

/** The outcome of {@link goExplore}. */
export interface GoExploreResult<Action, Observation> {
  /** Why the run ended. */
  readonly stopReason: StopReason;
  /** The seed the run used (the one given, or the random one drawn); pass it again to repeat the run. */
  readonly seed: Seed;
  /** The archive at the end, in discovery order. */
  readonly cells: readonly Cell<Action, Observation>[];
  /** The best cell: highest score, then shortest trajectory, then first found. */
  readonly best: Cell<Action, Observation>;
  /** The actions that reach the best cell from the initial state (`best.trajectory`), for {@link replay}. */
  readonly bestTrajectory: readonly Action[];
  /** Each rise of the best score, starting with the initial state's (score 0 at step 0). */
  readonly bestHistory: readonly BestScorePoint[];
  /**
   * True when the snapshots named by `cells` still exist (`keepArchive: true`); the caller owns
   * them then and deletes them with `deleteSnapshot`. False when the run deleted them.
   */
  readonly archiveKept: boolean;
  /** Iterations done (a return followed by an exploration). */
  readonly iterations: number;
  /** Container steps taken (`task.step` calls), over all workers. */
  readonly steps: number;
  /** Successful returns. */
  readonly returns: number;
  /**
   * Returns that failed because the cell was improved, and its old snapshot deleted, between the
   * choice and the restore. The worker chose again; nothing else happens.
   */
  readonly staleReturns: number;
  /** Snapshots taken, the initial one included. */
  readonly snapshotsTaken: number;
  /** Snapshots deleted by the run (improved cells, lost races, and the end-of-run cleanup). */
  readonly snapshotsDeleted: number;
  /** Where the time went. */
  readonly timing: GoExploreTiming;
  /**
   * Failures by kind: those of the backend, each retried with a fresh container (see
   * `maxFailures`), and task errors that `onTaskError` chose to continue after. Over the whole
   * run, resumes included.
   */
  readonly failures: FailureCounts;
  /**
   * The checkpoint that remains, to resume with `resumeFrom`: after an abort, or after a normal
   * end with `keepArchive`. Undefined without `checkpoint`, and after a normal end without
   * `keepArchive` (the checkpoint was removed with its snapshots).
   */
  readonly checkpointPath: string | undefined;
  /** For a run continued with `resumeFrom`: what it recovered from the checkpoint. */
  readonly resumed: ResumeSummary | undefined;
}

/** What a resumed run took over from its checkpoint. */
export interface ResumeSummary {
  /** The checkpoint file. */
  readonly path: string;
  /** When it was written (ISO 8601). */
  readonly writtenAt: string;
  /** Iterations done before it was written. */
  readonly iterations: number;
  /** Container steps taken before it was written. */
  readonly steps: number;
  /** Cells in its archive. */
  readonly cells: number;
  /** Its best score. */
  readonly bestScore: number;
  /**
   * Snapshots found and deleted that the interrupted process took after the checkpoint (their
   * work is redone), or that cells improved since an earlier checkpoint replaced.
   */
  readonly orphansDeleted: number;
}
