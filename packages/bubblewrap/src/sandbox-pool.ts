import { onProcessExit } from '@snapbox/core';
import type { CgroupDriver } from './cgroup-driver.js';
import { PrebuiltSandbox, prebuiltSupported } from './prebuilt-sandbox.js';
import { PendingSandbox, type SandboxShape, type SandboxSlot } from './sandbox-launch.js';
import { randomId, sessionPrefix } from './store-layout.js';
import type { SubordinateIds } from './subordinate-ids.js';

/**
 * Sandboxes started ahead of their containers. Where the spawn relay can place a root filesystem
 * (spawner.ts, prebuilt-sandbox.ts), each is a complete bwrap sandbox waiting for its root;
 * elsewhere, a user and mount namespace waiting to be told what to mount before it runs bwrap
 * (sandbox-launch.ts). A start or a restore takes one, so starting them is off its path, and the
 * pool refills in the background. They hold no cgroup and no file: they are killed at exit, and
 * after a SIGKILL of this process they end on their own (their parent or their input goes away).
 */
export class SandboxPool {
  readonly #size: number;
  readonly #shape: SandboxShape;
  readonly #storeRoot: string;
  readonly #ready: SandboxSlot[] = [];
  #registration: { unregister(): void } | undefined;
  #refilling = false;

  readonly #cgroups: () => CgroupDriver | undefined;

  constructor(options: {
    size: number;
    network: 'none' | 'default';
    rootless: boolean;
    /** How the sandboxes' agents confine commands (confinement.ts); undefined: not at all. */
    confinement: string | undefined;
    /** An ordinary user's subordinate ids, which its sandboxes map (see sandbox-launch.ts). */
    subordinateIds: SubordinateIds | undefined;
    storeRoot: string;
    /** The cgroup driver, when cgroups are usable: a pre-built sandbox is made in its own cgroup. */
    cgroups: () => CgroupDriver | undefined;
    /**
     * Keeps the session's exit cleanup and watchdog armed while a pooled sandbox holds a cgroup
     * (until a container takes it over, or it is discarded).
     */
    hold: () => () => void;
  }) {
    this.#size = options.size;
    this.#shape = {
      network: options.network,
      rootless: options.rootless,
      confinement: options.confinement,
      subordinateIds: options.subordinateIds,
    };
    this.#storeRoot = options.storeRoot;
    this.#cgroups = options.cgroups;
    this.#hold = options.hold;
  }

  readonly #hold: () => () => void;
  /** The release of each pooled sandbox's hold (see the constructor). */
  readonly #holds = new Map<SandboxSlot, () => void>();

  #release(slot: SandboxSlot): void {
    this.#holds.get(slot)?.();
    this.#holds.delete(slot);
  }

  /** A pooled sandbox if one is ready, else a fresh one; the pool refills afterwards. */
  take(): SandboxSlot {
    let taken: SandboxSlot | undefined;
    while (taken === undefined && this.#ready.length > 0) {
      const candidate = this.#ready.shift() as SandboxSlot;
      if (candidate.alive) taken = candidate;
      else candidate.discard();
      // The container taking it is tracked already; a discarded one removed its cgroup.
      this.#release(candidate);
    }
    if (this.#size > 0) this.#scheduleRefill();
    if (taken !== undefined) return taken;
    const fresh = this.#spawn();
    this.#release(fresh);
    return fresh;
  }

  /** A sandbox that starts bwrap on whatever host paths it is given (for layers outside the store). */
  takeForHostPaths(): SandboxSlot {
    return PendingSandbox.spawn(this.#shape);
  }

  /** Kills what waits in the pool. */
  drainSync(): void {
    for (const pending of this.#ready.splice(0)) {
      pending.discard();
      this.#release(pending);
    }
    this.#registration?.unregister();
    this.#registration = undefined;
  }

  #spawn(): SandboxSlot {
    if (!prebuiltSupported()) return PendingSandbox.spawn(this.#shape);
    // Named by the session like a container's, so that the session's cleanup finds it.
    const driver = this.#cgroups();
    const release = driver === undefined ? undefined : this.#hold();
    const cgroup = driver?.create(`${sessionPrefix()}-pool-${randomId()}`, {});
    const slot = new PrebuiltSandbox(this.#shape, this.#storeRoot, cgroup);
    if (release !== undefined) this.#holds.set(slot, release);
    return slot;
  }

  #scheduleRefill(): void {
    if (this.#refilling) return;
    this.#refilling = true;
    // After the current start has gone on its way: the refill competes for the same CPUs.
    setImmediate(() => {
      this.#refilling = false;
      try {
        while (this.#ready.length < this.#size) {
          const pending = this.#spawn();
          pending.unref();
          this.#ready.push(pending);
        }
        this.#registration ??= onProcessExit('bubblewrap sandbox pool', () => this.drainSync());
      } catch {
        // A pool is an optimisation: a start that finds it empty spawns its own sandbox.
      }
    });
  }
}
