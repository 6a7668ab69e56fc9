import { onProcessExit } from '@snapbox/core';
import { PendingSandbox } from './sandbox-launch.js';

/**
 * Sandboxes started ahead of their containers: each has its user and mount namespaces and waits
 * for a container to tell it which cgroups to join and what to mount. A start or a restore takes
 * one, so spawning the process chain is off its path, and the pool refills in the background.
 * They hold no cgroup and no file: they are killed at exit, and after a SIGKILL of this process
 * they end on their own (their input closes).
 */
export class SandboxPool {
  readonly #size: number;
  readonly #network: 'none' | 'default';
  readonly #rootless: boolean;
  readonly #ready: PendingSandbox[] = [];
  #registration: { unregister(): void } | undefined;
  #refilling = false;

  constructor(options: { size: number; network: 'none' | 'default'; rootless: boolean }) {
    this.#size = options.size;
    this.#network = options.network;
    this.#rootless = options.rootless;
  }

  /** A pooled sandbox if one is ready, else a fresh one; the pool refills afterwards. */
  take(): PendingSandbox {
    let taken: PendingSandbox | undefined;
    while (taken === undefined && this.#ready.length > 0) {
      const candidate = this.#ready.shift() as PendingSandbox;
      if (candidate.alive) taken = candidate;
      else candidate.discard();
    }
    if (this.#size > 0) this.#scheduleRefill();
    return taken ?? this.#spawn();
  }

  /** Kills what waits in the pool. */
  drainSync(): void {
    for (const pending of this.#ready.splice(0)) pending.discard();
    this.#registration?.unregister();
    this.#registration = undefined;
  }

  #spawn(): PendingSandbox {
    return PendingSandbox.spawn({ network: this.#network, rootless: this.#rootless });
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
