import { hasErrorMarker, markError, SnapboxError } from './snapbox-error.js';

const marker = Symbol.for('snapbox.error.ImageBuildError');

/** Building an image (for example from a Dockerfile) failed; `logTail` holds the end of the build log. */
export class ImageBuildError extends SnapboxError {
  /** The Dockerfile whose build failed, when the image was built from one. */
  readonly dockerfilePath: string | undefined;
  /** The last lines the build printed. */
  readonly logTail: string;

  constructor(options: { dockerfilePath?: string; detail: string; logTail: string; cause?: unknown }) {
    const what = options.dockerfilePath === undefined ? 'the image' : options.dockerfilePath;
    const tail =
      options.logTail.trim() === '' ? '' : `\n--- last lines of the build log ---\n${options.logTail.trimEnd()}`;
    super('IMAGE_BUILD_FAILED', {
      message: `Building ${what} failed: ${options.detail}${tail}`,
      cause: options.cause,
    });
    this.dockerfilePath = options.dockerfilePath;
    this.logTail = options.logTail;
    markError(this, marker);
  }

  static override isInstance(value: unknown): value is ImageBuildError {
    return hasErrorMarker(value, marker);
  }
}
