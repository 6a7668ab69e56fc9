import { createRandom } from '@snapbox/go-explore';
import { createMemoryFactory } from '@snapbox/memory';
import { describe, expect, it } from 'vitest';
import { createLockTask, type LockConfig, lockStatus, parseMove } from './lock.js';

// The lock script is plain POSIX sh, so the memory backend's shell runs it: the same script the
// demo installs in Docker, checked here without an engine.
const lock: LockConfig = { code: [2, 0, 3, 1], digits: 4, resetPercent: 80, seed: 1009 };
const context = { signal: new AbortController().signal, worker: -1 };

async function lockedContainer(config: LockConfig = lock) {
  const factory = createMemoryFactory();
  const container = factory.fromImage({ image: 'memory:demo' });
  await container.start();
  const task = createLockTask(config);
  await task.reset(container, context);
  return { factory, container, task };
}

describe('the lock', () => {
  it('opens with its code, one position per right digit', async () => {
    const { container, task } = await lockedContainer();
    expect(await lockStatus(container)).toBe('position 0/4: locked');
    const positions: number[] = [];
    for (const digit of lock.code) {
      const result = await task.step(container, digit, context);
      positions.push(result.observation.position);
      expect(result.reward).toBe(1);
    }
    expect(positions).toEqual([1, 2, 3, 4]);
    expect(await lockStatus(container)).toBe('position 4/4: OPEN');
    const after = await task.step(container, 0, context);
    expect(after).toMatchObject({ observation: { position: 4 }, reward: 0, done: true });
    await container.stop();
  });

  it('sends a wrong digit back to 0 about resetPercent of the time: never at 0%, always at 100%', async () => {
    const { container } = await lockedContainer();
    const trials = 100;
    for (const resetPercent of [0, 80, 100]) {
      let resets = 0;
      for (let trial = 0; trial < trials; trial++) {
        // A fresh lock with its own seed: position 1 after the right first digit, then a wrong one.
        const task = createLockTask({ ...lock, resetPercent, seed: 17 + trial * 101 });
        await task.reset(container, context);
        await task.step(container, 2, context);
        const wrong = await task.step(container, 1, context);
        if (wrong.observation.position === 0) resets++;
        else expect(wrong.observation.position).toBe(1);
      }
      if (resetPercent === 0) expect(resets).toBe(0);
      else if (resetPercent === 100) expect(resets).toBe(trials);
      else expect(resets / trials).toBeGreaterThan(0.65);
      if (resetPercent === 80) expect(resets / trials).toBeLessThan(0.95);
    }
    await container.stop();
  });

  it('is deterministic: the same moves from init end in the same state', async () => {
    const rng = createRandom(3);
    const moves = Array.from({ length: 40 }, () => rng.int(4));
    const states: string[] = [];
    for (let run = 0; run < 2; run++) {
      const { container, task } = await lockedContainer();
      const positions = [];
      for (const move of moves) positions.push((await task.step(container, move, context)).observation.position);
      states.push(
        `${positions.join(',')} ${new TextDecoder().decode(await container.readFile('/var/lib/lock/state'))}`,
      );
      await container.stop();
    }
    expect(states[1]).toBe(states[0]);
  });

  it('parses what lock try prints and refuses anything else', () => {
    expect(parseMove('3 4\n')).toEqual({ before: 3, after: 4 });
    expect(() => parseMove('usage: lock ...')).toThrow(/expected "<before> <after>"/);
  });
});
