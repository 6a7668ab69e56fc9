import type { BackendAdmin } from './backend-admin.js';

/**
 * Whether `value` has the shape of a {@link BackendAdmin} (a string `backend` and the three
 * methods), checked by structure so that an admin from another copy of `@snapbox/core`, or one
 * that never imported it, qualifies.
 */
export function isBackendAdmin(value: unknown): value is BackendAdmin {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<Record<keyof BackendAdmin, unknown>>;
  return (
    typeof candidate.backend === 'string' &&
    candidate.backend !== '' &&
    typeof candidate.describeTarget === 'function' &&
    typeof candidate.list === 'function' &&
    typeof candidate.prune === 'function'
  );
}
