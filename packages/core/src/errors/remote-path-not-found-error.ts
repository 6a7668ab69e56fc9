import { hasErrorMarker, markError, SnapboxError } from './snapbox-error.js';

const marker = Symbol.for('snapbox.error.RemotePathNotFoundError');

/** A download (or `readFile`) named a path that does not exist inside the container. */
export class RemotePathNotFoundError extends SnapboxError {
  /** The absolute path inside the container that does not exist. */
  readonly remotePath: string;

  constructor(options: { remotePath: string; container?: string | undefined; cause?: unknown }) {
    const inside = options.container === undefined ? 'the container' : `container ${options.container}`;
    super('REMOTE_PATH_NOT_FOUND', {
      message: `${options.remotePath} does not exist in ${inside}.`,
      cause: options.cause,
    });
    this.remotePath = options.remotePath;
    markError(this, marker);
  }

  static override isInstance(value: unknown): value is RemotePathNotFoundError {
    return hasErrorMarker(value, marker);
  }
}
