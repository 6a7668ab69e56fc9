import type { Container, ContainerFactory, SnapshotableContainer, SnapshotableContainerFactory } from '@snapbox/core';
import { createMemoryFactory, type MemoryExecContext, type MemoryFactory } from '@snapbox/memory';
import type { GoExploreTask } from '../task.js';

/**
 * Small games for the engine's tests, answered by the memory backend's `exec` handler. Each
 * keeps its whole state in a file of the container, so snapshots capture it and replays repeat.
 */

export const image = 'memory:games';

/** The combination lock: `lock try <digit>` advances on the right digit; a wrong one may reset. */
export interface LockSpec {
  /** The combination, one digit per position. */
  code: readonly number[];
  /** Digits 0..digits-1 are the actions. */
  digits: number;
  /** Chance in percent that a wrong digit resets the lock (an LCG draw kept in the state file). */
  resetPercent: number;
}

export interface LockObservation {
  position: number;
}

function lockCommand(ctx: MemoryExecContext, spec: LockSpec, verb: string | undefined, arg: string | undefined) {
  if (verb === 'init') {
    ctx.writeFile('/game/lock', `0 ${Number(arg ?? 1)}\n`);
    return { stdout: '0 0\n' };
  }
  const state = ctx.readText('/game/lock');
  if (state === undefined) return { exitCode: 2, stderr: 'lock: not initialised\n' };
  const [positionText, seedText] = state.trim().split(' ');
  let position = Number(positionText);
  let seed = Number(seedText);
  const before = position;
  if (verb === 'try') {
    const digit = Number(arg);
    if (position < spec.code.length && digit === spec.code[position]) {
      position++;
    } else if (position < spec.code.length) {
      seed = (Math.imul(seed, 1103515245) + 12345 + digit * 7919) & 0x7fffffff;
      if ((seed >>> 16) % 100 < spec.resetPercent) position = 0;
    }
    ctx.writeFile('/game/lock', `${position} ${seed}\n`);
  }
  return { stdout: `${before} ${position}\n` };
}

/**
 * A memory factory that answers the games' commands:
 * - `lock init <seed>` / `lock try <digit>` / `lock status`: the lock of `lock`;
 * - `count`: adds 1 to `/game/count` and prints the new value;
 * - `walk <delta>`: adds delta to `/game/walk` and prints the new position.
 */
export function createGameFactory(lock: LockSpec = { code: [1, 2, 3], digits: 4, resetPercent: 50 }): MemoryFactory {
  return createMemoryFactory({
    exec: (ctx) => {
      const [command, first, second] = ctx.argv ?? [];
      if (command === 'lock') return lockCommand(ctx, lock, first, second);
      if (command === 'count' || command === 'walk') {
        const path = `/game/${command}`;
        const value = Number(ctx.readText(path) ?? '0') + (command === 'count' ? 1 : Number(first));
        ctx.writeFile(path, String(value));
        return { stdout: `${value}\n` };
      }
      return undefined;
    },
  });
}

/** The lock as a task: cell = position, reward = change of position, done when open. */
export function lockTask(
  spec: LockSpec,
  hooks: { onStep?(container: Container): void } = {},
): GoExploreTask<number, LockObservation> {
  return {
    async reset(container) {
      const result = await container.exec(['lock', 'init', '4242']);
      if (result.exitCode !== 0) throw new Error(`lock init failed: ${result.output}`);
      return { position: 0 };
    },
    async step(container, digit, context) {
      hooks.onStep?.(container);
      const result = await container.exec(`lock try ${digit}`, { signal: context.signal });
      const [before, after] = result.stdout.trim().split(' ').map(Number) as [number, number];
      return { observation: { position: after }, reward: after - before, done: after === spec.code.length };
    },
    cellOf: (observation) => String(observation.position),
    sampleAction: (rng) => rng.int(spec.digits),
  };
}

/** Every step scores 1 and lands in the same cell: each step improves it, so each step replaces it. */
export function counterTask(): GoExploreTask<'count', number> {
  return {
    reset: () => 0,
    async step(container) {
      const result = await container.exec('count');
      return { observation: Number(result.stdout), reward: 1, done: false };
    },
    cellOf: () => 'only',
    sampleAction: () => 'count',
  };
}

/** A walk on the integers, reward 0: cells are positions, improved only by shorter trajectories. */
export function walkTask(): GoExploreTask<-1 | 1, number> {
  return {
    reset: () => 0,
    async step(container, delta) {
      const result = await container.exec(`walk ${delta}`);
      return { observation: Number(result.stdout), reward: 0, done: false };
    },
    cellOf: (position) => String(position),
    sampleAction: (rng) => (rng.int(2) === 0 ? -1 : 1),
  };
}

/** Only the factory methods of a backend without snapshots. */
export function withoutSnapshots(factory: SnapshotableContainerFactory): ContainerFactory {
  return {
    fromImage: (options) => factory.fromImage(options),
    fromDockerfile: (options) => factory.fromDockerfile(options),
  };
}

/** A container with only the plain `Container` methods, as a backend without snapshots gives. */
export function plainContainer(container: SnapshotableContainer): object {
  const methods = ['start', 'stop', 'stopAndRemoveSync', 'exec', 'uploadFiles', 'downloadFiles', 'uploadFile'];
  methods.push('uploadDir', 'downloadFile', 'downloadDir', 'writeFile', 'readFile');
  const plain: Record<string, unknown> = { backend: container.backend, state: container.state, name: container.name };
  for (const method of methods) {
    plain[method] = ((container as unknown as Record<string, unknown>)[method] as () => unknown).bind(container);
  }
  return plain;
}

/** Resolves when `predicate` holds, checking after each macrotask. */
export async function until(predicate: () => boolean): Promise<void> {
  while (!predicate()) await new Promise((resolve) => setImmediate(resolve));
}
