import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

/** Who created a resource: stamped on every engine resource as labels, so cleanup can tell owners apart. */
export interface SessionInfo {
  /** Random per process; every resource of this process carries it. */
  readonly id: string;
  /** The owner process id. */
  readonly pid: number;
  /** The owner's host name (pid liveness can only be checked on the same host). */
  readonly host: string;
  /** When the owner process started, in ms since the epoch (tells a reused pid apart). */
  readonly processStartedAt: number;
}

let current: SessionInfo | undefined;

/** The session of this process, created on first use. */
export function currentSession(): SessionInfo {
  current ??= {
    id: randomUUID(),
    pid: process.pid,
    host: hostname(),
    processStartedAt: Math.round(Date.now() - process.uptime() * 1000),
  };
  return current;
}

/** The label keys snapbox stamps on engine resources. Keys under `org.snapbox.` are reserved. */
export const snapboxLabels = {
  /** `'true'` on everything snapbox created; nothing without it is ever touched. */
  managed: 'org.snapbox.managed',
  /** `'container'`, `'snapshot'` or `'build'`. */
  kind: 'org.snapbox.kind',
  /** The id of the session ({@link SessionInfo.id}) that created the resource. */
  session: 'org.snapbox.session',
  /** The owner process id, in decimal. */
  ownerPid: 'org.snapbox.owner.pid',
  /** The owner's host name. */
  ownerHost: 'org.snapbox.owner.host',
  /** When the owner process started, in ms since the epoch, in decimal. */
  ownerStartedAt: 'org.snapbox.owner.started-at',
  /** `'true'` on a snapshot made with `keep: true`: session cleanup leaves it. */
  keep: 'org.snapbox.keep',
  /** The snapshot a container was restored from, or a snapshot was taken from (lineage). */
  parentSnapshot: 'org.snapbox.parent-snapshot',
  /** The image the lineage started from. */
  baseImage: 'org.snapbox.base-image',
  /** When the resource was created, in ms since the epoch, in decimal. */
  createdAt: 'org.snapbox.created-at',
} as const;

/** Labels naming this process as the owner; merge with the kind-specific ones. */
export function ownerLabels(session: SessionInfo = currentSession()): Record<string, string> {
  return {
    [snapboxLabels.managed]: 'true',
    [snapboxLabels.session]: session.id,
    [snapboxLabels.ownerPid]: String(session.pid),
    [snapboxLabels.ownerHost]: session.host,
    [snapboxLabels.ownerStartedAt]: String(session.processStartedAt),
    [snapboxLabels.createdAt]: String(Date.now()),
  };
}
