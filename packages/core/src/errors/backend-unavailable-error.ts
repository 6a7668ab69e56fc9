import { hasErrorMarker, markError, SnapboxError } from './snapbox-error.js';

const marker = Symbol.for('snapbox.error.BackendUnavailableError');

/**
 * The backend could not be reached: no engine listens on the socket, the service refused the
 * credentials, or an optional SDK is not installed. The message says where it tried.
 */
export class BackendUnavailableError extends SnapboxError {
  /** The backend that could not be reached, e.g. `'docker'` or `'daytona'`. */
  readonly backend: string;
  /** Where the connection was attempted (a socket path, a URL), when known. */
  readonly endpoint: string | undefined;

  constructor(options: { backend: string; endpoint?: string; detail?: string; cause?: unknown }) {
    const at = options.endpoint === undefined ? '' : ` at ${options.endpoint}`;
    super('BACKEND_UNAVAILABLE', {
      message: `The ${options.backend} backend is unavailable${at}${options.detail ? `: ${options.detail}` : '.'}`,
      cause: options.cause,
    });
    this.backend = options.backend;
    this.endpoint = options.endpoint;
    markError(this, marker);
  }

  static override isInstance(value: unknown): value is BackendUnavailableError {
    return hasErrorMarker(value, marker);
  }
}
