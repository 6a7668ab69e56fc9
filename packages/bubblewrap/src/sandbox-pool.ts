import { onProcessExit } from '@snapbox/core';
import { PrebuiltSandbox, prebuiltSupported } from './prebuilt-sandbox.js';
import { PendingSandbox, type SandboxShape, type SandboxSlot } from './sandbox-launch.js';

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

  constructor(options: { size: number; network: 'none' | 'default'; rootless: boolean; storeRoot: string }) {
    this.#size = options.size;
    this.#shape = { network: options.network, rootless: options.rootless };
    this.#storeRoot = options.storeRoot;
  }

  /** A pooled sandbox if one is ready, else a fresh one; the pool refills afterwards. */
  take(): SandboxSlot {
    let taken: SandboxSlot | undefined;
    while (taken === undefined && this.#ready.length > 0) {
      const candidate = this.#ready.shift() as SandboxSlot;
      if (candidate.alive) taken = candidate;
      else candidate.discard();
    }
    if (this.#size > 0) this.#scheduleRefill();
    return taken ?? this.#spawn();
  }

  /** A sandbox that starts bwrap on whatever host paths it is given (for layers outside the store). */
  takeForHostPaths(): SandboxSlot {
    return PendingSandbox.spawn(this.#shape);
  }

  /** Kills what waits in the pool. */
  drainSync(): void {
    for (const pending of this.#ready.splice(0)) pending.discard();
    this.#registration?.unregister();
    this.#registration = undefined;
  }

  #spawn(): SandboxSlot {
    return prebuiltSupported() ? new PrebuiltSandbox(this.#shape, this.#storeRoot) : PendingSandbox.spawn(this.#shape);
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
