import { randomId, sessionPrefix } from './store-layout.js';

const pattern = /^snapbox-bwrap-[0-9a-f]{8}-[0-9a-f]{12}$/;

/** A fresh snapshot id: `snapbox-bwrap-<first 8 of the session>-<12 hex>`. */
export function newSnapshotId(session: string): string {
  return `snapbox-bwrap-${sessionPrefix(session)}-${randomId()}`;
}

/** Whether `id` has the shape of a bubblewrap snapshot id (checked before any file is read). */
export function isSnapshotId(id: string): boolean {
  return pattern.test(id);
}
