import { hasErrorMarker, markError, SnapboxError } from './snapbox-error.js';

const marker = Symbol.for('snapbox.error.ImageNotFoundError');

/** The image to start from is not on the engine and could not be pulled. */
export class ImageNotFoundError extends SnapboxError {
  /** The image reference that was not found, e.g. `debian:12`. */
  readonly image: string;

  constructor(options: { image: string; detail?: string; cause?: unknown }) {
    super('IMAGE_NOT_FOUND', {
      message: `Image ${options.image} was not found${options.detail ? `: ${options.detail}` : '.'}`,
      cause: options.cause,
    });
    this.image = options.image;
    markError(this, marker);
  }

  static override isInstance(value: unknown): value is ImageNotFoundError {
    return hasErrorMarker(value, marker);
  }
}
