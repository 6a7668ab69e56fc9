import { hasErrorMarker, markError, SnapboxError } from './snapbox-error.js';

const marker = Symbol.for('snapbox.error.UnsupportedCapabilityError');

/**
 * The backend cannot do what was asked: snapshots on a backend that has none, a resource limit
 * the engine cannot enforce, and the like. The message names the capability and the backend.
 */
export class UnsupportedCapabilityError extends SnapboxError {
  /** The capability that was asked for, e.g. `snapshots` or `diskGiB`. */
  readonly capability: string;
  /** The backend that lacks it, e.g. `'docker'`, when known. */
  readonly backend: string | undefined;

  constructor(options: { capability: string; backend?: string; detail?: string; cause?: unknown }) {
    const on = options.backend === undefined ? '' : ` on the ${options.backend} backend`;
    super('UNSUPPORTED_CAPABILITY', {
      message: `${options.capability} is not supported${on}${options.detail ? `: ${options.detail}` : '.'}`,
      cause: options.cause,
    });
    this.capability = options.capability;
    this.backend = options.backend;
    markError(this, marker);
  }

  static override isInstance(value: unknown): value is UnsupportedCapabilityError {
    return hasErrorMarker(value, marker);
  }
}
