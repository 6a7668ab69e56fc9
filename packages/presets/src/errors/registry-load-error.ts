import { hasErrorMarker, markError, SnapboxError } from '@snapbox/core';

const marker = Symbol.for('snapbox.error.RegistryLoadError');

/**
 * A Harbor registry could not be read: the file is missing or unreadable, the URL could not be
 * reached or answered with an HTTP error, its scheme is not one that can be loaded (only paths,
 * `file:`, `http:` and `https:` are), or the download was aborted. The original error is the
 * `cause`. A download that ran out of time is the subclass {@link RegistryTimeoutError}.
 */
export class RegistryLoadError extends SnapboxError {
  /** The file path or URL that was tried. */
  readonly source: string;

  /**
   * @param code the error code; subclasses pass their own, the default is `REGISTRY_UNAVAILABLE`.
   */
  constructor(options: { source: string; detail: string; cause?: unknown }, code = 'REGISTRY_UNAVAILABLE') {
    super(code, {
      message: `Could not load the Harbor registry from ${options.source}: ${options.detail}. Check the path or URL, or load a registry file instead.`,
      cause: options.cause,
    });
    this.source = options.source;
    markError(this, marker);
  }

  /** True for this error (and {@link RegistryTimeoutError}), including one created by another copy of this package. */
  static override isInstance(value: unknown): value is RegistryLoadError {
    return hasErrorMarker(value, marker);
  }
}
