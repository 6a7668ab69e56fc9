import { hasErrorMarker, markError, SnapboxError } from './snapbox-error.js';

const marker = Symbol.for('snapbox.error.StartAbortedError');

/**
 * The `signal` passed to `start()` was aborted. The start stopped where it was (pulling,
 * building, creating) and everything it had made was removed before this was thrown; the
 * container is `stopped`. The abort reason is kept as `cause`.
 */
export class StartAbortedError extends SnapboxError {
  /** The phase the start was in when it was aborted (`'pull'`, `'build'`, `'start'`, ...), if any had begun. */
  readonly phase: string | undefined;

  constructor(options: { container?: string | undefined; phase?: string | undefined; cause?: unknown }) {
    const who = options.container === undefined ? 'the container' : `container ${options.container}`;
    const during = options.phase === undefined ? '' : ` during its ${options.phase} phase`;
    super('START_ABORTED', {
      message: `Start of ${who} aborted${during}; nothing it made was kept.`,
      cause: options.cause,
    });
    this.phase = options.phase;
    markError(this, marker);
  }

  static override isInstance(value: unknown): value is StartAbortedError {
    return hasErrorMarker(value, marker);
  }
}
