import { InvalidArgumentError } from '@snapbox/core';
import { describe, expect, it } from 'vitest';
import { createRandom, randomState, restoreRandom } from './random.js';

const draw = (seed: number | string, count = 8): number[] => {
  const rng = createRandom(seed);
  return Array.from({ length: count }, () => rng.next());
};

describe('createRandom', () => {
  it('repeats the same sequence for the same seed', () => {
    expect(draw(42)).toEqual(draw(42));
    expect(draw('run-a')).toEqual(draw('run-a'));
  });

  it('gives different sequences for different seeds, numbers and strings apart', () => {
    expect(draw(1)).not.toEqual(draw(2));
    expect(draw(1)).not.toEqual(draw('1'));
    expect(draw(0.5)).not.toEqual(draw(0));
  });

  it('pins the sequence, so that seeded runs repeat across versions', () => {
    const rng = createRandom(2024);
    expect(Array.from({ length: 6 }, () => rng.int(1000))).toEqual([510, 352, 84, 190, 146, 20]);
  });

  it('draws numbers in [0, 1) and integers in [0, n) with every value reachable', () => {
    const rng = createRandom(7);
    const counts = new Array<number>(6).fill(0);
    let low = 1;
    let high = 0;
    for (let i = 0; i < 60_000; i++) {
      const value = rng.next();
      low = Math.min(low, value);
      high = Math.max(high, value);
      const index = rng.int(6);
      counts[index] = (counts[index] ?? 0) + 1;
    }
    expect(low).toBeGreaterThanOrEqual(0);
    expect(high).toBeLessThan(1);
    // Uniform within 5%: 10 000 expected per value.
    for (const count of counts) expect(Math.abs(count - 10_000)).toBeLessThan(500);
  });

  it('picks elements of an array', () => {
    const rng = createRandom(3);
    const seen = new Set(Array.from({ length: 200 }, () => rng.pick(['a', 'b', 'c'])));
    expect([...seen].sort()).toEqual(['a', 'b', 'c']);
  });

  it('forks independent, repeatable streams', () => {
    const first = createRandom(9);
    const second = createRandom(9);
    const forkA = first.fork();
    const forkB = second.fork();
    expect(forkA.next()).toBe(forkB.next());
    expect(first.next()).toBe(second.next());
    const parent = createRandom(9);
    const child = parent.fork();
    expect(Array.from({ length: 4 }, () => child.next())).not.toEqual(Array.from({ length: 4 }, () => parent.next()));
  });

  it('rejects bad seeds and bounds with InvalidArgumentError', () => {
    expect(() => createRandom(Number.NaN)).toThrow(InvalidArgumentError);
    expect(() => createRandom({} as unknown as number)).toThrow(/seed/);
    const rng = createRandom(1);
    expect(() => rng.int(0)).toThrow(/maxExclusive/);
    expect(() => rng.int(2.5)).toThrow(InvalidArgumentError);
    expect(() => rng.pick([])).toThrow(/items/);
  });

  it('saves and restores its state: the restored generator continues the same sequence', () => {
    const rng = createRandom('checkpoint');
    for (let i = 0; i < 5; i++) rng.next();
    const state = randomState(rng);
    expect(state.every((word) => Number.isInteger(word) && word >= 0 && word < 2 ** 32)).toBe(true);
    // Through JSON, as a checkpoint stores it.
    const restored = restoreRandom(JSON.parse(JSON.stringify(state)));
    expect(Array.from({ length: 20 }, () => restored.next())).toEqual(Array.from({ length: 20 }, () => rng.next()));
    expect(() => restoreRandom([1, 2, 3])).toThrow(/four unsigned/);
    expect(() => restoreRandom([1, 2, 3, -1])).toThrow(InvalidArgumentError);
    expect(() => randomState({ next: () => 0 } as never)).toThrow(/createRandom/);
  });
});
