import type { ExecResult } from '../container.js';
import { hasErrorMarker, markError, SnapboxError } from './snapbox-error.js';

const marker = Symbol.for('snapbox.error.ExecAbortedError');

/**
 * The `signal` passed to `exec` was aborted. As with a timeout, the command's processes have
 * been killed; the output collected until then is in {@link ExecAbortedError.result}.
 * The abort reason is kept as `cause`.
 */
export class ExecAbortedError extends SnapboxError {
  /** The partial result: the output collected before the command was killed. */
  readonly result: ExecResult;

  constructor(options: { command: string; result: ExecResult; cause?: unknown }) {
    super('EXEC_ABORTED', {
      message: `Command aborted and killed: ${options.command}`,
      cause: options.cause,
    });
    this.result = options.result;
    markError(this, marker);
  }

  static override isInstance(value: unknown): value is ExecAbortedError {
    return hasErrorMarker(value, marker);
  }
}
