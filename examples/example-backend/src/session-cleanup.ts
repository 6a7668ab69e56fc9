import { currentSession, type ExitCleanupRegistration, onProcessExit } from '@snapbox/core';
import type { DockerCli } from './docker-cli.js';
import { deleteSnapshotSync, reclaimArgs } from './snapshot-images.js';

/**
 * What this process created and has not removed yet. When the process ends (normal exit,
 * `process.exit`, an uncaught error, SIGINT, SIGTERM or SIGHUP: core's `onProcessExit` covers
 * them all) the rest is removed with blocking `docker` calls, since no promise settles then.
 *
 * Not covered: SIGKILL, which runs nothing. Everything carries core's owner labels, so
 * `snapbox prune` (from `@snapbox/cli`) finds and removes it once the owner is dead.
 */
export class SessionCleanup {
  readonly #cli: DockerCli;
  readonly #repository: string;
  readonly #containers = new Set<string>();
  readonly #snapshots = new Set<string>();
  #registration: ExitCleanupRegistration | undefined;
  /** A snapshot lost its name while in use: its storage waits for the last dependent. */
  reclaimPending = false;

  constructor(cli: DockerCli, repository: string) {
    this.#cli = cli;
    this.#repository = repository;
  }

  trackContainer(id: string): void {
    this.#containers.add(id);
    this.#registration ??= onProcessExit('docker-cli session', () => this.cleanupSync());
  }

  untrackContainer(id: string): void {
    this.#containers.delete(id);
    this.#unregisterIfIdle();
  }

  trackSnapshot(id: string): void {
    this.#snapshots.add(id);
    this.#registration ??= onProcessExit('docker-cli session', () => this.cleanupSync());
  }

  untrackSnapshot(id: string): void {
    this.#snapshots.delete(id);
    this.#unregisterIfIdle();
  }

  /** Containers first (they pin snapshot images), then snapshots, then freed storage. */
  cleanupSync(): void {
    const containers = [...this.#containers];
    const snapshots = [...this.#snapshots];
    this.#containers.clear();
    this.#snapshots.clear();
    this.#registration?.unregister();
    this.#registration = undefined;
    if (containers.length > 0) this.#cli.runSync(['rm', '--force', '--volumes', ...containers]);
    for (const snapshot of snapshots) {
      try {
        deleteSnapshotSync(this.#cli, snapshot, this.#repository);
      } catch (error) {
        process.stderr.write(`docker-cli backend: could not delete snapshot ${snapshot} at exit: ${String(error)}\n`);
      }
    }
    if (snapshots.length > 0 || this.reclaimPending) this.#cli.runSync(reclaimArgs(currentSession().id));
  }

  #unregisterIfIdle(): void {
    if (this.#containers.size + this.#snapshots.size > 0 || this.reclaimPending) return;
    this.#registration?.unregister();
    this.#registration = undefined;
  }
}
