import { hasErrorMarker, markError, SnapboxError } from '@snapbox/core';

const marker = Symbol.for('snapbox.error.RegistryLoadError');

/**
 * A Harbor registry could not be read: the file is missing or unreadable, the URL could not be
 * reached, or it answered with an HTTP error. The original error is the `cause`.
 */
export class RegistryLoadError extends SnapboxError {
  /** The file path or URL that was tried. */
  readonly source: string;

  constructor(options: { source: string; detail: string; cause?: unknown }) {
    super('REGISTRY_UNAVAILABLE', {
      message: `Could not load the Harbor registry from ${options.source}: ${options.detail}. Check the path or URL, or load a registry file instead.`,
      cause: options.cause,
    });
    this.source = options.source;
    markError(this, marker);
  }

  /** True for this error, including one created by another copy of this package. */
  static override isInstance(value: unknown): value is RegistryLoadError {
    return hasErrorMarker(value, marker);
  }
}
