import { SnapboxError } from '@snapbox/core';

/**
 * What failed:
 * - `return`: starting a container from a cell's snapshot;
 * - `step`: a `task.step` that failed because of the backend (the container died, the engine
 *   refused, a command timed out);
 * - `snapshot`: taking a snapshot of a state to archive;
 * - `cleanup`: stopping a container or deleting a snapshot;
 * - `task`: an error of the task's own code that `onTaskError` chose to continue after.
 */
export type FailureKind = 'return' | 'step' | 'snapshot' | 'cleanup' | 'task';

/** Failures of a run by kind (see {@link FailureKind}). */
export type FailureCounts = Readonly<Record<FailureKind, number>>;

/** The kinds charged to `maxFailures`: those caused by the backend. */
export const backendFailureKinds = ['return', 'step', 'snapshot', 'cleanup'] as const;

export function noFailures(): Record<FailureKind, number> {
  return { return: 0, step: 0, snapshot: 0, cleanup: 0, task: 0 };
}

export function backendFailureTotal(counts: FailureCounts): number {
  return backendFailureKinds.reduce((sum, kind) => sum + counts[kind], 0);
}

/** A failure the engine retries, as reported to `onFailure`. */
export interface GoExploreFailure {
  /** What failed. */
  readonly kind: FailureKind;
  /** What the backend (or the task) threw. */
  readonly error: unknown;
  /** The key of the cell the worker was returning to or exploring from; undefined outside an iteration. */
  readonly cell: string | undefined;
  /** The worker, from 0; `-1` outside the workers (resume checks, final cleanup). */
  readonly worker: number;
  /** The run's failures so far, this one included. */
  readonly failures: FailureCounts;
}

/**
 * Errors that say the call was wrong, not that the backend had a bad moment: retrying them from
 * a fresh container would fail the same way.
 */
const permanentCodes = new Set([
  'INVALID_ARGUMENT',
  'NOT_A_SNAPSHOT',
  'UNSUPPORTED_CAPABILITY',
  'IMAGE_NOT_FOUND',
  'IMAGE_BUILD_FAILED',
  'REMOTE_PATH_NOT_FOUND',
  'SNAPSHOT_NOT_FOUND',
  'EXEC_ABORTED',
]);

/**
 * True when an error thrown by task code was caused by the backend: a snapbox error, itself or
 * somewhere in its `cause` chain (a task that wraps what `exec` threw keeps it as `cause`), whose
 * code is not one of a wrong call. A container that died, an engine error, an exec timeout and an
 * unreachable backend qualify; an `ExecAbortedError` does not (the task aborted it itself).
 */
export function isBackendFailure(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && typeof current === 'object' && current !== null; depth++) {
    if (SnapboxError.isInstance(current)) return !permanentCodes.has(current.code);
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * True when an error thrown by a backend call the engine makes itself (start, snapshot, stop,
 * delete) is worth a retry: anything but a wrong call.
 */
export function isRetryableBackendError(error: unknown): boolean {
  return !(SnapboxError.isInstance(error) && permanentCodes.has(error.code));
}

/** The wait before the n-th consecutive retry (n ≥ 1): 50 ms doubling up to 5 s. */
export function backoffMs(consecutive: number): number {
  return Math.min(50 * 2 ** Math.max(0, consecutive - 1), 5_000);
}
