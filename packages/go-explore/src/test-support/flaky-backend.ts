import { SnapboxError, type SnapshotableContainer, type SnapshotableContainerFactory } from '@snapbox/core';
import type { MemoryFactory } from '@snapbox/memory';
import type { FailureKind } from '../failures.js';
import { createRandom } from '../random.js';

/** How often each call fails, from 0 (never) to 1 (always). */
export interface FlakyRates {
  /** `start()` of a container restored from a snapshot rejects, the container not started. */
  start?: number;
  /** `exec` rejects with an engine error, or (half of these) the container dies first. */
  exec?: number;
  /** `snapshot()` rejects. */
  snapshot?: number;
  /** `stop()` rejects, once per container at most (the container stays running). */
  stop?: number;
  /** `deleteSnapshot` rejects, once per snapshot at most. */
  deleteSnapshot?: number;
}

/** A factory that fails on purpose, and what it did. */
export interface FlakyBackend {
  readonly factory: SnapshotableContainerFactory;
  /** The failures injected so far, by the kind the engine should count them as. */
  readonly injected: Record<Exclude<FailureKind, 'task'>, number>;
  /** Changes the rates from now on; `{}` heals the backend. */
  setRates(rates: FlakyRates): void;
}

const injectedError = (what: string): SnapboxError =>
  new SnapboxError('ENGINE_ERROR', { message: `injected failure: ${what}` });

/**
 * Wraps a memory factory so that its calls fail at random, drawn from a seeded generator: the
 * calls of the first container (the setup) never fail, those of restored containers and
 * deletions do, at the given rates. Each failure is counted under the kind the engine must count
 * it as. Transient by construction: a stop or a deletion fails at most once for the same target,
 * so the final cleanup can always finish.
 */
export function createFlakyBackend(inner: MemoryFactory, initialRates: FlakyRates, seed = 1): FlakyBackend {
  const rng = createRandom(seed);
  const injected = { return: 0, step: 0, snapshot: 0, cleanup: 0 };
  let rates = initialRates;
  const roll = (rate: number | undefined): boolean => rate !== undefined && rate > 0 && rng.next() < rate;
  const failedDeletes = new Set<string>();

  const flakyDeletes = (container: SnapshotableContainer): SnapshotableContainer => {
    const deleteSnapshot = container.deleteSnapshot.bind(container);
    container.deleteSnapshot = async (snapshotId) => {
      if (!failedDeletes.has(snapshotId) && roll(rates.deleteSnapshot)) {
        failedDeletes.add(snapshotId);
        injected.cleanup++;
        throw injectedError(`delete snapshot ${snapshotId}`);
      }
      return deleteSnapshot(snapshotId);
    };
    return container;
  };

  const flaky = (container: SnapshotableContainer, snapshotId: string): SnapshotableContainer => {
    const original = {
      start: container.start.bind(container),
      exec: container.exec.bind(container),
      snapshot: container.snapshot.bind(container),
      stop: container.stop.bind(container),
    };
    let stopFailed = false;
    container.start = async (options) => {
      // Only while the snapshot exists: a failed restore of a deleted one is a stale return.
      if (inner.listSnapshots().some((snapshot) => snapshot.id === snapshotId) && roll(rates.start)) {
        injected.return++;
        throw injectedError('start');
      }
      return original.start(options);
    };
    container.exec = async (command, options) => {
      if (roll(rates.exec)) {
        injected.step++;
        if (rng.next() < 0.5) throw injectedError('exec');
        await original.stop(); // the container dies; the exec then fails with ContainerNotStartedError
      }
      return original.exec(command, options);
    };
    container.snapshot = async (options) => {
      if (roll(rates.snapshot)) {
        injected.snapshot++;
        throw injectedError('snapshot');
      }
      return original.snapshot(options);
    };
    container.stop = async () => {
      if (!stopFailed && roll(rates.stop)) {
        stopFailed = true;
        injected.cleanup++;
        throw injectedError('stop');
      }
      return original.stop();
    };
    return flakyDeletes(container);
  };

  const factory: SnapshotableContainerFactory = {
    fromImage: (options) => flakyDeletes(inner.fromImage(options)),
    fromDockerfile: (options) => flakyDeletes(inner.fromDockerfile(options)),
    fromSnapshot: (options) => flaky(inner.fromSnapshot(options), options.snapshotId),
  };
  return {
    factory,
    injected,
    setRates: (next) => {
      rates = next;
    },
  };
}
