import { hasErrorMarker, markError, SnapboxError } from '@snapbox/core';
import type { FailureCounts } from './failures.js';

const marker = Symbol.for('snapbox.error.FailureBudgetExceededError');

/**
 * The backend failed more than `maxFailures` times (returns, steps, snapshots and cleanups
 * together), so the run stopped. `cause` is the failure that went over the budget. With a
 * checkpoint, the last checkpoint and its snapshots are kept: once the backend is healthy again,
 * `resumeFrom` continues the run (give a larger `maxFailures` then, as the count carries over).
 */
export class FailureBudgetExceededError extends SnapboxError {
  /** The budget that was exceeded. */
  readonly maxFailures: number;
  /** The failures by kind, the last one included. */
  readonly failures: FailureCounts;

  constructor(options: { maxFailures: number; failures: FailureCounts; checkpointPath?: string; cause: unknown }) {
    const { failures } = options;
    const counts = Object.entries(failures)
      .filter(([kind, count]) => kind !== 'task' && count > 0)
      .map(([kind, count]) => `${kind} ${count}`)
      .join(', ');
    const last = options.cause instanceof Error ? options.cause.message : String(options.cause);
    const resume =
      options.checkpointPath === undefined
        ? ''
        : ` The checkpoint ${options.checkpointPath} was kept: resume it with resumeFrom once the backend is healthy.`;
    super('GO_EXPLORE_FAILURE_BUDGET', {
      message: `Go-Explore stopped after more than maxFailures (${options.maxFailures}) backend failures (${counts}); the last: ${last}.${resume}`,
      cause: options.cause,
    });
    this.maxFailures = options.maxFailures;
    this.failures = failures;
    markError(this, marker);
  }

  static override isInstance(value: unknown): value is FailureBudgetExceededError {
    return hasErrorMarker(value, marker);
  }
}
