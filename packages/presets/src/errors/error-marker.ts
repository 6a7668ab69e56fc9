import type { SnapboxError } from '@snapbox/core';

/**
 * `Symbol.for` markers, as in `@snapbox/core`: an error thrown by one installed copy of this
 * package is recognised by another copy, where `instanceof` would fail.
 */
export function hasMarker(value: unknown, marker: symbol): boolean {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[marker] === true;
}

/** Marks `error` with `marker`; each error class calls it from its constructor. */
export function mark(error: SnapboxError, marker: symbol): void {
  Object.defineProperty(error, marker, { value: true });
}
