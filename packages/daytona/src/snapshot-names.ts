import { currentSession } from '@snapbox/core';

/**
 * Daytona snapshots carry no labels, so the name is the only mark of ownership: every snapshot
 * this library creates is named `snapbox-<session>-<n>` (session-scoped) or
 * `snapbox-<session>-keep-<n>` (kept), where `<session>` is the id of the creating process's
 * snapbox session (the `org.snapbox.session` label of its sandboxes). Deletes refuse any other
 * name.
 */

const snapboxSnapshotName = /^snapbox-[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}-(?:keep-)?[0-9]+$/;
let counter = 0;

/** A fresh snapshot name, unique within this process and (through the session id) across processes. */
export function nextSnapshotName(keep: boolean): string {
  counter += 1;
  return `snapbox-${currentSession().id}-${keep ? 'keep-' : ''}${counter}`;
}

/** True when `name` has the shape of a Daytona snapshot name this library creates. */
export function isSnapboxSnapshotName(name: string): boolean {
  return snapboxSnapshotName.test(name);
}
