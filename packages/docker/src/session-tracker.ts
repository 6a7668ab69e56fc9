import { type ChildProcess, spawn } from 'node:child_process';
import { builtScriptPath, currentSession, onProcessExit, runBlockingWorker } from '@snapbox/core';
import type Docker from 'dockerode';
import type { CleanupReport } from './cleanup-actions.js';
import { cleanupLog as log } from './debug-logs.js';
import {
  connectionKey,
  describeEndpoint,
  type SerializedConnection,
  serializeConnection,
} from './docker-connection.js';

/** What the sync worker is asked to remove (see sync-worker.ts). */
export interface CleanupOrder {
  connection: SerializedConnection;
  repository: string;
  session: string;
  containers: string[];
  snapshots: string[];
}

/**
 * Carries the watchdog's order (with the connection, which may hold an ssh key or a TLS key):
 * a process's environment is readable only by its user, its command line by everyone.
 */
export const watchdogOrderVariable = 'SNAPBOX_WATCHDOG_ORDER';

/**
 * What this process created on one engine and has not removed yet. At exit (normal, error or
 * signal) everything left is removed by one child process; a detached watchdog removes it if
 * this process dies without running anything (SIGKILL).
 */
export class SessionTracker {
  readonly docker: Docker;
  readonly repository: string;
  readonly #containers = new Set<string>();
  readonly #snapshots = new Set<string>();
  readonly #useWatchdog: boolean;
  #registration: { unregister(): void } | undefined;
  #watchdog: ChildProcess | undefined;
  /** Container creates on their way to the engine. */
  #creating = 0;
  /** A snapshot was deleted while in use: its storage waits for the last dependent. */
  reclaimPending = false;
  /**
   * Snapshots this process committed (kept ones too) and has not deleted: deleting one of
   * these skips the label check, since snapbox made the image behind the tag.
   */
  readonly committedHere = new Set<string>();

  constructor(docker: Docker, repository: string, options: { watchdog: boolean }) {
    this.docker = docker;
    this.repository = repository;
    this.#useWatchdog = options.watchdog;
  }

  /**
   * A container create is about to be sent: the watchdog must run before the engine makes the
   * container, or a SIGKILL while the request is on its way would leave it with no one to remove
   * it. {@link endCreate} follows, once the container is tracked or the create failed.
   */
  beginCreate(): void {
    this.#creating++;
    this.#arm();
  }

  /** The create announced by {@link beginCreate} is over. */
  endCreate(): void {
    this.#creating--;
    this.#disarmIfIdle();
  }

  trackContainer(id: string): void {
    this.#containers.add(id);
    this.#arm();
  }

  untrackContainer(id: string): void {
    this.#containers.delete(id);
    this.#disarmIfIdle();
  }

  trackSnapshot(reference: string): void {
    this.#snapshots.add(reference);
    this.#arm();
  }

  untrackSnapshot(reference: string): void {
    this.#snapshots.delete(reference);
    this.#disarmIfIdle();
  }

  /**
   * Runs a cleanup in a child process and blocks until it is done: no promise settles inside
   * `process.on('exit')`, but a child process can still talk to the engine while we wait.
   */
  runSync(resources: { containers?: string[]; snapshots?: string[] }, timeoutMs = 120_000): CleanupReport {
    const order: CleanupOrder = {
      connection: serializeConnection(this.docker),
      repository: this.repository,
      session: currentSession().id,
      containers: resources.containers ?? [],
      snapshots: resources.snapshots ?? [],
    };
    const started = Date.now();
    log(
      'removing %d container(s) and %d snapshot(s) on %s in a blocking child process',
      order.containers.length,
      order.snapshots.length,
      describeEndpoint(this.docker),
    );
    const report = runBlockingWorker<CleanupOrder, CleanupReport>({
      script: builtScriptPath(import.meta.url, 'sync-worker'),
      job: order,
      timeoutMs,
      what: `The synchronous cleanup on ${describeEndpoint(this.docker)}`,
      // The worker's own debug lines (it inherits DEBUG) are in its captured stderr: pass them on.
      forwardStderr: log.enabled,
    });
    log(
      'removed %d container(s) and %d snapshot(s) in %d ms%s',
      report.removedContainers,
      report.deletedSnapshots,
      Date.now() - started,
      report.errors.length > 0 ? `; failed: ${report.errors.join('; ')}` : '',
    );
    this.reclaimPending = this.reclaimPending || report.deferredReclaims > 0;
    return report;
  }

  /** Removes everything still tracked, blocking. Runs at exit. */
  cleanupSync(): void {
    const containers = [...this.#containers];
    const snapshots = [...this.#snapshots];
    this.#containers.clear();
    this.#snapshots.clear();
    try {
      if (containers.length + snapshots.length > 0 || this.reclaimPending) {
        const report = this.runSync({ containers, snapshots });
        for (const error of report.errors) process.stderr.write(`snapbox: cleanup at exit: ${error}\n`);
      }
    } finally {
      this.#disarm();
    }
  }

  #arm(): void {
    this.#registration ??= onProcessExit(`docker session on ${describeEndpoint(this.docker)}`, () =>
      this.cleanupSync(),
    );
    if (this.#useWatchdog && this.#watchdog === undefined) this.#startWatchdog();
  }

  #disarmIfIdle(): void {
    if (this.#containers.size + this.#snapshots.size === 0 && this.#creating === 0 && !this.reclaimPending) {
      this.#disarm();
    }
  }

  #disarm(): void {
    this.#registration?.unregister();
    this.#registration = undefined;
    if (this.#watchdog !== undefined) {
      log(
        'stopping watchdog %d: nothing of this session is left on %s',
        this.#watchdog.pid,
        describeEndpoint(this.docker),
      );
      this.#watchdog.kill('SIGTERM');
    }
    this.#watchdog = undefined;
  }

  #startWatchdog(): void {
    const session = currentSession();
    const order = {
      connection: serializeConnection(this.docker),
      repository: this.repository,
      session: session.id,
      ownerPid: session.pid,
    };
    // Detached: its own process group, so a Ctrl-C meant for us does not reach it, and it outlives us.
    // With debugging on, its lines go to our stderr (it may outlive us and write later).
    const child = spawn(process.execPath, [builtScriptPath(import.meta.url, 'watchdog')], {
      detached: true,
      stdio: log.enabled ? ['ignore', 'ignore', 'inherit'] : 'ignore',
      env: { ...process.env, [watchdogOrderVariable]: JSON.stringify(order) },
    });
    child.on('error', () => {
      if (this.#watchdog === child) this.#watchdog = undefined;
    });
    child.unref();
    log('started watchdog %d for session %s on %s', child.pid, session.id, describeEndpoint(this.docker));
    this.#watchdog = child;
  }
}

const trackers = new Map<string, SessionTracker>();

/** One tracker per engine endpoint and snapshot repository in this process. */
export function trackerFor(docker: Docker, repository: string, options: { watchdog: boolean }): SessionTracker {
  const key = `${connectionKey(docker)}|${repository}`;
  let tracker = trackers.get(key);
  if (tracker === undefined) {
    tracker = new SessionTracker(docker, repository, options);
    trackers.set(key, tracker);
  }
  return tracker;
}
