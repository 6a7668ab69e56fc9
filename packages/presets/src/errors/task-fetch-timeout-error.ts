import { hasErrorMarker, markError } from '@snapbox/core';
import { TaskFetchError } from './task-fetch-error.js';

const marker = Symbol.for('snapbox.error.TaskFetchTimeoutError');

/**
 * Fetching a task took longer than its `timeoutMs`: git (and the helpers it started) were killed
 * and nothing was left in the cache. A {@link TaskFetchError} too, so code that handles every
 * fetch failure handles this one; branch on it to retry with a longer timeout.
 */
export class TaskFetchTimeoutError extends TaskFetchError {
  /** The timeout that expired, in milliseconds. */
  readonly timeoutMs: number;

  constructor(options: {
    task: string;
    gitUrl: string;
    commit?: string | undefined;
    path: string;
    timeoutMs: number;
    stderr?: string;
    cause?: unknown;
  }) {
    const { timeoutMs, ...rest } = options;
    super({ ...rest, detail: `the fetch took longer than ${timeoutMs} ms; git was stopped` }, 'TASK_FETCH_TIMEOUT');
    this.timeoutMs = timeoutMs;
    markError(this, marker);
  }

  /** True for this error, including one created by another copy of this package. */
  static override isInstance(value: unknown): value is TaskFetchTimeoutError {
    return hasErrorMarker(value, marker);
  }
}
