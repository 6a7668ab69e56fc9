import { readdirSync } from 'node:fs';
import { currentSession, type OwnerRecord, ownerLiveness } from '@snapbox/core';
import { type BubblewrapBackendOptions, resolveBackend } from './bubblewrap-backend.js';
import { removeCgroupsNamedSync } from './cgroup-driver.js';
import { readContainerRecord, removeContainerSync, sweepLeftoversSync } from './cleanup.js';
import type { OwnerInfo } from './records.js';
import { sessionPrefix } from './store-layout.js';

/** The owner of a resource, from its record, and whether it still runs. */
export interface ResourceOwner extends OwnerRecord {
  /** The session id of the owner process. */
  session: string;
  /** `'unknown'` when the owner ran on another host (its pid cannot be checked from here). */
  liveness: 'alive' | 'dead' | 'unknown';
  /** True for the process that is asking. */
  isCurrentProcess: boolean;
}

/** A container of the bubblewrap backend, from its record. */
export interface ContainerInfo {
  /** Its id in the state folder. */
  id: string;
  /** The name it was given, if any. */
  name: string | undefined;
  /** `'running'` while its sandbox process lives, else `'exited'` (a leftover). */
  state: 'running' | 'exited';
  /** When the container was created. */
  createdAt: Date;
  /** The process that created it. */
  owner: ResourceOwner;
  /** The snapshot it was restored from, if any. */
  parentSnapshot: string | undefined;
  /** The image, folder or Dockerfile at the root of its lineage. */
  baseImage: string;
  /** Labels given at creation. */
  labels: Record<string, string>;
}

/** A snapshot of the bubblewrap backend. */
export interface SnapshotInfo {
  /** The snapshot id. */
  id: string;
  /** When the snapshot was taken. */
  createdAt: Date;
  /** True for a snapshot made with `keep: true` (not removed at its owner's exit). */
  keep: boolean;
  /** The process that took it. */
  owner: ResourceOwner;
  /** How many layers it stacks over its image. */
  layers: number;
  /** The snapshot this one was taken from (lineage), if any. */
  parentSnapshot: string | undefined;
  /** The image, folder or Dockerfile at the root of its lineage. */
  baseImage: string;
  /** The labels of the container it was taken from. */
  labels: Record<string, string>;
}

function ownerOf(owner: OwnerInfo): ResourceOwner {
  const isCurrentProcess = owner.session === currentSession().id;
  return {
    pid: owner.pid,
    host: owner.host,
    processStartedAt: owner.processStartedAt,
    session: owner.session,
    isCurrentProcess,
    liveness: isCurrentProcess ? 'alive' : ownerLiveness(owner),
  };
}

function containerIds(options: BubblewrapBackendOptions): string[] {
  const { store } = resolveBackend({ ...options, watchdog: false });
  try {
    return readdirSync(store.layout.containers);
  } catch {
    return [];
  }
}

/** Every container in the state folder, with owner and lineage. */
export async function listContainers(options: BubblewrapBackendOptions = {}): Promise<ContainerInfo[]> {
  const backend = resolveBackend({ ...options, watchdog: false });
  const found: ContainerInfo[] = [];
  for (const id of containerIds(options)) {
    const record = readContainerRecord(backend, id);
    if (record === undefined) continue;
    const running = record.sandbox !== undefined && ownerLiveness({ ...record.owner }) !== 'dead';
    found.push({
      id,
      name: record.name,
      state: running ? 'running' : 'exited',
      createdAt: new Date(record.createdAt),
      owner: ownerOf(record.owner),
      parentSnapshot: record.parentSnapshot,
      baseImage: record.image.baseImage,
      labels: record.labels,
    });
  }
  return found;
}

/** Every snapshot in the state folder. */
export async function listSnapshots(options: BubblewrapBackendOptions = {}): Promise<SnapshotInfo[]> {
  const { store } = resolveBackend({ ...options, watchdog: false });
  const found: SnapshotInfo[] = [];
  for (const id of store.listSnapshotIds()) {
    const record = store.readSnapshot(id);
    if (record === undefined) continue;
    found.push({
      id,
      createdAt: new Date(record.createdAt),
      keep: record.keep,
      owner: ownerOf(record.owner),
      layers: record.layers.length,
      parentSnapshot: record.parentSnapshot,
      baseImage: record.image.baseImage,
      labels: { ...record.labels },
    });
  }
  return found;
}

/** Which resources {@link prune} removes. */
export interface PruneOptions extends BubblewrapBackendOptions {
  /** Only report what would be removed. */
  dryRun?: boolean;
  /** Only resources older than this many ms. */
  olderThanMs?: number;
  /** Also resources of live processes (never the calling process's own). */
  allSessions?: boolean;
  /** Also snapshots made with `keep: true`. */
  includeKept?: boolean;
  /** Also containers (default `true`). */
  includeContainers?: boolean;
}

/** What {@link prune} removed (or, with `dryRun`, would remove). */
export interface PruneReport {
  /** True when nothing was removed (`dryRun` was set). */
  dryRun: boolean;
  /** The containers selected. */
  containers: ContainerInfo[];
  /** The snapshots selected. */
  snapshots: SnapshotInfo[];
  /** Removals that failed, with the reason. */
  errors: PruneFailure[];
}

/** A removal that failed during {@link prune}. */
export interface PruneFailure {
  /** The container or snapshot id concerned. */
  id: string;
  /** Why it failed. */
  message: string;
}

function selected(owner: ResourceOwner, createdAt: Date, options: PruneOptions): boolean {
  if (owner.isCurrentProcess) return false;
  const oldEnough = options.olderThanMs === undefined || Date.now() - createdAt.getTime() > options.olderThanMs;
  if (!oldEnough) return false;
  if (options.allSessions) return true;
  if (owner.liveness === 'dead') return true;
  return owner.liveness === 'unknown' && options.olderThanMs !== undefined;
}

/**
 * Removes the containers and snapshots whose owner process is gone (or, with the options, older
 * ones and those of other sessions), then what dead owners left half-done. Never touches the
 * calling process's own resources.
 */
export async function prune(options: PruneOptions = {}): Promise<PruneReport> {
  const backend = resolveBackend({ ...options, watchdog: false });
  const containers =
    options.includeContainers === false
      ? []
      : (await listContainers(options)).filter((c) => selected(c.owner, c.createdAt, options));
  const snapshots = (await listSnapshots(options)).filter(
    (s) => selected(s.owner, s.createdAt, options) && (!s.keep || options.includeKept === true),
  );
  const report: PruneReport = { dryRun: options.dryRun === true, containers, snapshots, errors: [] };
  if (report.dryRun) return report;
  for (const container of containers) {
    try {
      removeContainerSync(backend, container.id);
    } catch (error) {
      report.errors.push({ id: container.id, message: String(error) });
    }
  }
  for (const snapshot of snapshots) {
    try {
      backend.store.deleteLayersSync(backend.store.deleteSnapshot(snapshot.id));
    } catch (error) {
      report.errors.push({ id: snapshot.id, message: String(error) });
    }
  }
  // A dead session's cgroups that no record lists: a pooled sandbox's (made ahead of any
  // container), or one of a start that died before writing its record. Named after the session.
  const driver = backend.cgroups().driver;
  const deadSessions = new Set(
    [...containers, ...snapshots].filter((r) => r.owner.liveness === 'dead').map((r) => r.owner.session),
  );
  for (const session of driver === undefined ? [] : deadSessions) {
    try {
      removeCgroupsNamedSync(driver?.parents ?? [], `${sessionPrefix(session)}-`);
    } catch (error) {
      report.errors.push({ id: `cgroups of session ${session}`, message: String(error) });
    }
  }
  try {
    sweepLeftoversSync(backend, { staleMs: 60 * 60 * 1000 });
  } catch (error) {
    report.errors.push({ id: 'leftovers', message: String(error) });
  }
  return report;
}

/** {@link prune} restricted to snapshots. */
export async function pruneSnapshots(options: Omit<PruneOptions, 'includeContainers'> = {}): Promise<PruneReport> {
  return prune({ ...options, includeContainers: false });
}

/**
 * Removes every container and every session-scoped snapshot of `session`, and what it left
 * half-done; blocking. The watchdog runs it when its owner died without cleaning up.
 */
export function sweepSession(options: BubblewrapBackendOptions, session: string): void {
  const backend = resolveBackend({ ...options, watchdog: false });
  for (const id of containerIds(options)) {
    const record = readContainerRecord(backend, id);
    if (record?.owner.session === session) removeContainerSync(backend, id);
  }
  for (const id of backend.store.listSnapshotIds()) {
    const record = backend.store.readSnapshot(id);
    if (record?.owner.session === session && !record.keep) {
      backend.store.deleteLayersSync(backend.store.deleteSnapshot(id));
    }
  }
  sweepLeftoversSync(backend, { session });
  // A cgroup made by a start that died before writing it into the record is named after the session.
  const driver = backend.cgroups().driver;
  if (driver !== undefined) removeCgroupsNamedSync(driver.parents, `${sessionPrefix(session)}-`);
}
