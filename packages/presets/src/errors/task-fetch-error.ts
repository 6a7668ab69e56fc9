import { hasErrorMarker, markError, SnapboxError } from '@snapbox/core';

const marker = Symbol.for('snapbox.error.TaskFetchError');

/**
 * A task's folder could not be fetched (git is missing, the repository or commit cannot be
 * reached, the path does not exist at that commit) or lacks what is needed from it (its
 * `environment/Dockerfile`). `stderr` holds the end of git's output when git failed. A fetch
 * that ran out of time is the subclass {@link TaskFetchTimeoutError}.
 */
export class TaskFetchError extends SnapboxError {
  /** The task's name. */
  readonly task: string;
  /** The repository the task lives in. */
  readonly gitUrl: string;
  /** The commit asked for; `undefined` for the repository's HEAD. */
  readonly commit: string | undefined;
  /** The task's folder inside the repository. */
  readonly path: string;
  /** The last lines git printed on stderr, or `''`. */
  readonly stderr: string;

  /**
   * @param code the error code; subclasses pass their own, the default is `TASK_FETCH_FAILED`.
   */
  constructor(
    options: {
      task: string;
      gitUrl: string;
      commit?: string | undefined;
      path: string;
      detail: string;
      stderr?: string;
      cause?: unknown;
    },
    code = 'TASK_FETCH_FAILED',
  ) {
    const stderr = options.stderr?.trim() ?? '';
    const tail = stderr === '' ? '' : `\n--- git said ---\n${stderr}`;
    super(code, {
      message: `Could not fetch task ${JSON.stringify(options.task)} (${options.path} at ${options.commit ?? 'HEAD'} of ${options.gitUrl}): ${options.detail}${tail}`,
      cause: options.cause,
    });
    this.task = options.task;
    this.gitUrl = options.gitUrl;
    this.commit = options.commit;
    this.path = options.path;
    this.stderr = stderr;
    markError(this, marker);
  }

  /** True for this error (and {@link TaskFetchTimeoutError}), including one created by another copy of this package. */
  static override isInstance(value: unknown): value is TaskFetchError {
    return hasErrorMarker(value, marker);
  }
}
