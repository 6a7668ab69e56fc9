import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { currentSession, onProcessExit } from '@snapbox/core';
import { removeCgroupsNamedSync } from './cgroup-driver.js';
import { removeContainerSync, type StoreContext, sweepLeftoversSync } from './cleanup.js';
import { sessionPrefix } from './store-layout.js';

/** Carries the watchdog's order: what to watch and which state folder to clean. */
export const watchdogOrderVariable = 'SNAPBOX_BWRAP_WATCHDOG_ORDER';

/** What the watchdog is told when it starts. */
export interface WatchdogOrder {
  stateRoot: string;
  rootless: boolean;
  session: string;
  ownerPid: number;
}

/**
 * The compiled script beside this module; when this module runs from its TypeScript source (this
 * repository's tests) the script comes from the build output instead.
 */
function scriptPath(name: string): string {
  const beside = fileURLToPath(new URL(`./${name}.js`, import.meta.url));
  if (import.meta.url.endsWith('.js') || existsSync(beside)) return beside;
  return fileURLToPath(new URL(`../dist/${name}.js`, import.meta.url));
}

/**
 * What this process created in one state folder and has not removed yet. At exit (normal, error
 * or signal) everything left is removed synchronously, in this process: the store is a folder,
 * so no helper process is needed. A detached watchdog removes it if this process dies without
 * running anything (SIGKILL); the sandboxes themselves die with this process (bwrap's
 * `--die-with-parent`), so the watchdog only has files and cgroups to remove.
 */
export class SessionTracker {
  readonly #context: StoreContext;
  readonly #stateRoot: string;
  readonly #rootless: boolean;
  #useWatchdog: boolean;
  readonly #containers = new Set<string>();
  readonly #snapshots = new Set<string>();
  /** Background removals in flight: the exit cleanup must still run if the process ends meanwhile. */
  #holds = 0;
  #registration: { unregister(): void } | undefined;
  #watchdog: ChildProcess | undefined;

  readonly #cgroupParents: () => readonly string[];

  /**
   * @param options.cgroupParents Where the backend makes cgroups (none without a cgroup driver):
   *   the exit cleanup removes this session's there by name.
   */
  constructor(
    context: StoreContext,
    options: { stateRoot: string; rootless: boolean; watchdog: boolean; cgroupParents: () => readonly string[] },
  ) {
    this.#context = context;
    this.#cgroupParents = options.cgroupParents;
    this.#stateRoot = options.stateRoot;
    this.#rootless = options.rootless;
    this.#useWatchdog = options.watchdog;
  }

  /**
   * Starts a watchdog with the next resource tracked (or now, if some are tracked already): one
   * factory of this state folder asked for it, so every resource of the folder gets its care.
   */
  wantWatchdog(): void {
    if (this.#useWatchdog) return;
    this.#useWatchdog = true;
    if (this.#containers.size + this.#snapshots.size > 0) this.#arm();
  }

  trackContainer(id: string): void {
    this.#containers.add(id);
    this.#arm();
  }

  untrackContainer(id: string): void {
    this.#containers.delete(id);
    this.#disarmIfIdle();
  }

  trackSnapshot(id: string): void {
    this.#snapshots.add(id);
    this.#arm();
  }

  untrackSnapshot(id: string): void {
    this.#snapshots.delete(id);
    this.#disarmIfIdle();
  }

  /**
   * Keeps the exit cleanup (and the watchdog) armed until the returned function is called: a
   * background removal whose container or snapshot is no longer tracked may still be half-done,
   * and the cleanup's sweep finishes it.
   */
  hold(): () => void {
    this.#holds++;
    this.#arm();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#holds--;
      this.#disarmIfIdle();
    };
  }

  /** Removes everything still tracked, blocking. Runs at exit. */
  cleanupSync(): void {
    const containers = [...this.#containers];
    const snapshots = [...this.#snapshots];
    this.#containers.clear();
    this.#snapshots.clear();
    const failures: string[] = [];
    try {
      for (const id of containers) {
        try {
          removeContainerSync(this.#context, id);
        } catch (error) {
          failures.push(`container ${id}: ${String(error)}`);
        }
      }
      for (const id of snapshots) {
        try {
          const { store } = this.#context;
          store.deleteLayersSync(store.deleteSnapshot(id));
        } catch (error) {
          failures.push(`snapshot ${id}: ${String(error)}`);
        }
      }
      try {
        sweepLeftoversSync(this.#context, { session: currentSession().id });
      } catch (error) {
        failures.push(`leftovers: ${String(error)}`);
      }
      // Every cgroup this session made, by name: a pooled sandbox's, and a stopped container's
      // whose removal was still in the background (its record already gone) when the process
      // ended. They are named after the session (and the session ends here), as the watchdog
      // finds them after a SIGKILL.
      try {
        removeCgroupsNamedSync(this.#cgroupParents(), `${sessionPrefix()}-`);
      } catch (error) {
        failures.push(`cgroups: ${String(error)}`);
      }
      for (const failure of failures) process.stderr.write(`snapbox: cleanup at exit: ${failure}\n`);
    } finally {
      this.#disarm();
    }
  }

  #arm(): void {
    this.#registration ??= onProcessExit(`bubblewrap session in ${this.#stateRoot}`, () => this.cleanupSync());
    if (this.#useWatchdog && this.#watchdog === undefined) this.#startWatchdog();
  }

  #disarmIfIdle(): void {
    if (this.#containers.size + this.#snapshots.size + this.#holds === 0) this.#disarm();
  }

  #disarm(): void {
    this.#registration?.unregister();
    this.#registration = undefined;
    this.#watchdog?.kill('SIGTERM');
    this.#watchdog = undefined;
  }

  #startWatchdog(): void {
    const session = currentSession();
    const order: WatchdogOrder = {
      stateRoot: this.#stateRoot,
      rootless: this.#rootless,
      session: session.id,
      ownerPid: session.pid,
    };
    // Detached: its own process group, so a Ctrl-C meant for us does not reach it, and it outlives us.
    const child = spawn(process.execPath, [scriptPath('watchdog')], {
      detached: true,
      stdio: 'ignore',
      env: { ...process.env, [watchdogOrderVariable]: JSON.stringify(order) },
    });
    child.on('error', () => {
      if (this.#watchdog === child) this.#watchdog = undefined;
    });
    child.unref();
    this.#watchdog = child;
  }
}
