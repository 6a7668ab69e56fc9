import { hasErrorMarker, markError, SnapboxError } from './snapbox-error.js';

const marker = Symbol.for('snapbox.error.StartTimeoutError');

/**
 * `start()` took longer than its `timeoutMs`. The start was stopped where it was (pulling,
 * building, creating) and everything it had made was removed before this was thrown; the
 * container is `stopped`.
 */
export class StartTimeoutError extends SnapboxError {
  /** The timeout that expired, in milliseconds. */
  readonly timeoutMs: number;
  /** The phase the start was in when the time ran out (`'pull'`, `'build'`, `'start'`, ...), if any had begun. */
  readonly phase: string | undefined;

  constructor(options: {
    container?: string | undefined;
    timeoutMs: number;
    phase?: string | undefined;
    cause?: unknown;
  }) {
    const who = options.container === undefined ? 'the container' : `container ${options.container}`;
    const during = options.phase === undefined ? '' : ` during its ${options.phase} phase`;
    super('START_TIMEOUT', {
      message: `Start of ${who} timed out after ${options.timeoutMs} ms${during}; nothing it made was kept. Raise timeoutMs, or build or pull the image ahead of time.`,
      cause: options.cause,
    });
    this.timeoutMs = options.timeoutMs;
    this.phase = options.phase;
    markError(this, marker);
  }

  static override isInstance(value: unknown): value is StartTimeoutError {
    return hasErrorMarker(value, marker);
  }
}
