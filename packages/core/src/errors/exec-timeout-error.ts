import type { ExecResult } from '../container.js';
import { hasErrorMarker, markError, SnapboxError } from './snapbox-error.js';

const marker = Symbol.for('snapbox.error.ExecTimeoutError');

/**
 * `exec` ran longer than its `timeoutMs`. The command's processes have been killed by the time
 * this is thrown; what it printed until then is in {@link ExecTimeoutError.result}
 * (with `exitCode` -1, since the command did not exit on its own).
 */
export class ExecTimeoutError extends SnapboxError {
  /** The partial result: the output collected before the command was killed. */
  readonly result: ExecResult;
  /** The timeout that expired, in milliseconds. */
  readonly timeoutMs: number;

  constructor(options: { command: string; timeoutMs: number; result: ExecResult; cause?: unknown }) {
    super('EXEC_TIMEOUT', {
      message: `Command timed out after ${options.timeoutMs} ms and was killed: ${options.command}`,
      cause: options.cause,
    });
    this.result = options.result;
    this.timeoutMs = options.timeoutMs;
    markError(this, marker);
  }

  static override isInstance(value: unknown): value is ExecTimeoutError {
    return hasErrorMarker(value, marker);
  }
}
