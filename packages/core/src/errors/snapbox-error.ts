const baseMarker = Symbol.for('snapbox.error');

/** Options every snapbox error accepts. */
export interface SnapboxErrorOptions {
  /** What happened and what to do next. */
  message: string;
  /** The underlying error (from the engine, the filesystem or an SDK), kept as is. */
  cause?: unknown;
}

/**
 * Returns true when `value` carries the given `Symbol.for` marker.
 *
 * Markers are registered symbols, so an error thrown by one installed copy of
 * `@snapbox/core` is recognised by another copy, where `instanceof` would fail.
 */
export function hasErrorMarker(value: unknown, marker: symbol): boolean {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[marker] === true;
}

/**
 * The base of every error that snapbox throws.
 *
 * Branch on a subclass with its `isInstance` guard, or on the stable {@link SnapboxError.code}.
 * The original error from the engine, filesystem or SDK is kept as `cause`.
 */
export class SnapboxError extends Error {
  /** A stable, machine-readable identifier such as `EXEC_TIMEOUT`. */
  readonly code: string;

  constructor(code: string, options: SnapboxErrorOptions) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
    Object.defineProperty(this, baseMarker, { value: true });
  }

  /** True for any snapbox error, including one created by another copy of this package. */
  static isInstance(value: unknown): value is SnapboxError {
    return hasErrorMarker(value, baseMarker);
  }
}

/**
 * Marks `error` with `marker`; subclasses call it from their constructor. A backend's own error
 * class does the same with its own `Symbol.for('<package>.error.<Name>')` marker, and its
 * `static isInstance(value)` returns {@link hasErrorMarker}`(value, marker)`, so that the check
 * works across two installed copies of the backend:
 *
 * ```ts
 * const marker = Symbol.for('my-backend.error.QuotaError');
 * class QuotaError extends SnapboxError {
 *   constructor(message: string) { super('QUOTA', { message }); markError(this, marker); }
 *   static override isInstance(value: unknown): value is QuotaError { return hasErrorMarker(value, marker); }
 * }
 * ```
 */
export function markError(error: SnapboxError, marker: symbol): void {
  Object.defineProperty(error, marker, { value: true });
}
