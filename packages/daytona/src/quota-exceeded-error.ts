import { hasErrorMarker, markError, SnapboxError } from '@snapbox/core';

const marker = Symbol.for('snapbox.error.QuotaExceededError');

/**
 * The Daytona service refused to create something because the account reached one of its
 * limits (CPU, memory, disk, number of sandboxes or snapshots). Nothing was created. Stop or
 * delete sandboxes and snapshots you no longer need, or raise the organisation's limits.
 * The service's answer is kept as `cause`.
 */
export class QuotaExceededError extends SnapboxError {
  /** What was being done, e.g. `start` or `snapshot`. */
  readonly operation: string;

  constructor(options: { operation: string; detail: string; cause?: unknown }) {
    super('QUOTA_EXCEEDED', {
      message: `Daytona refused to ${options.operation}: an account limit was reached (${options.detail}). Stop or delete sandboxes and snapshots you no longer need, or raise the organisation's limits.`,
      cause: options.cause,
    });
    this.operation = options.operation;
    markError(this, marker);
  }

  /** True for a `QuotaExceededError`, also one created by another copy of this package. */
  static override isInstance(value: unknown): value is QuotaExceededError {
    return hasErrorMarker(value, marker);
  }
}
