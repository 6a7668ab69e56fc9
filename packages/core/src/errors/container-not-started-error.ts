import { hasErrorMarker, markError, SnapboxError } from './snapbox-error.js';

const marker = Symbol.for('snapbox.error.ContainerNotStartedError');

/**
 * An operation that needs a running container (`exec`, file transfers, `snapshot`) was called
 * on one that is `created` (call `start()` first) or `stopped` (create a new container).
 */
export class ContainerNotStartedError extends SnapboxError {
  /** The operation that was refused, e.g. `exec`. */
  readonly operation: string;
  /** The container's state when the call was made. */
  readonly state: 'created' | 'stopped';

  constructor(options: {
    operation: string;
    state: 'created' | 'stopped';
    container?: string | undefined;
    cause?: unknown;
  }) {
    const who = options.container === undefined ? 'the container' : `container ${options.container}`;
    const hint =
      options.state === 'created'
        ? 'call start() first'
        : 'a stopped container cannot be restarted; create a new one (or restore a snapshot)';
    super('CONTAINER_NOT_STARTED', {
      message: `Cannot ${options.operation}: ${who} is ${options.state}, not running; ${hint}.`,
      cause: options.cause,
    });
    this.operation = options.operation;
    this.state = options.state;
    markError(this, marker);
  }

  static override isInstance(value: unknown): value is ContainerNotStartedError {
    return hasErrorMarker(value, marker);
  }
}
