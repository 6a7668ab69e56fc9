/**
 * Marks errors of this package the way `@snapbox/core` marks its own: a registered symbol per
 * class, so that `isInstance` recognises an error thrown by another installed copy of this package,
 * where `instanceof` would fail.
 */
export function markError(error: Error, marker: symbol): void {
  Object.defineProperty(error, marker, { value: true });
}

/** True when `value` carries `marker` (see {@link markError}). */
export function hasErrorMarker(value: unknown, marker: symbol): boolean {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[marker] === true;
}
