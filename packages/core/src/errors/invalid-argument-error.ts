import { hasErrorMarker, markError, SnapboxError } from './snapbox-error.js';

const marker = Symbol.for('snapbox.error.InvalidArgumentError');

/** A public function was called with a bad argument; the message names the argument. */
export class InvalidArgumentError extends SnapboxError {
  /** The argument's name as the caller wrote it, e.g. `files[2].remotePath`. */
  readonly argument: string;

  constructor(options: { argument: string; message: string; cause?: unknown }) {
    super('INVALID_ARGUMENT', {
      message: `Invalid ${options.argument}: ${options.message}`,
      cause: options.cause,
    });
    this.argument = options.argument;
    markError(this, marker);
  }

  static override isInstance(value: unknown): value is InvalidArgumentError {
    return hasErrorMarker(value, marker);
  }
}
