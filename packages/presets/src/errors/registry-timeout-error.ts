import { hasErrorMarker, markError } from '@snapbox/core';
import { RegistryLoadError } from './registry-load-error.js';

const marker = Symbol.for('snapbox.error.RegistryTimeoutError');

/**
 * Downloading a Harbor registry took longer than its `timeoutMs` and was abandoned. A
 * {@link RegistryLoadError} too, so code that handles every load failure handles this one;
 * branch on it to retry with a longer timeout or fall back to a local copy.
 */
export class RegistryTimeoutError extends RegistryLoadError {
  /** The timeout that expired, in milliseconds. */
  readonly timeoutMs: number;

  constructor(options: { source: string; timeoutMs: number; cause?: unknown }) {
    super(
      {
        source: options.source,
        detail: `the download took longer than ${options.timeoutMs} ms and was abandoned`,
        cause: options.cause,
      },
      'REGISTRY_TIMEOUT',
    );
    this.timeoutMs = options.timeoutMs;
    markError(this, marker);
  }

  /** True for this error, including one created by another copy of this package. */
  static override isInstance(value: unknown): value is RegistryTimeoutError {
    return hasErrorMarker(value, marker);
  }
}
