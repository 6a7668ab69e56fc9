import { goExplore } from '@snapbox/go-explore';
import { createMemoryFactory } from '@snapbox/memory';
import { describe, expect, it } from 'vitest';
import { runRandomRestarts } from './baseline.js';
import { createLockTask, type LockConfig } from './lock.js';

const lock: LockConfig = { code: [2, 0, 3, 1, 1, 3, 0, 2], digits: 4, resetPercent: 80, seed: 1009 };
const image = 'memory:demo';

describe('the demo on the memory backend', () => {
  it('Go-Explore opens the lock; random restarts with the same steps do not get as far', async () => {
    const factory = createMemoryFactory();
    const task = createLockTask(lock);
    const ge = await goExplore({
      factory,
      image,
      task,
      workers: 2,
      seed: 7,
      explorationSteps: 4,
      targetScore: 8,
      maxSteps: 20_000,
    });
    expect(ge.best.score).toBe(8);

    let peak = 0;
    const baseline = await runRandomRestarts({
      factory,
      image,
      task,
      workers: 2,
      seed: 7,
      maxSteps: ge.steps,
      episodeSteps: 40,
      onProgress: () => {
        peak = Math.max(peak, factory.liveContainers().length);
      },
    });
    expect(baseline.steps).toBe(ge.steps);
    expect(baseline.stopReason).toBe('steps');
    expect(baseline.bestScore).toBeLessThan(8);
    expect(baseline.episodes).toBeGreaterThanOrEqual(Math.ceil(ge.steps / 40));
    expect(peak).toBeLessThanOrEqual(2);
    // The history only rises, and ends at the best score.
    const scores = baseline.history.map((point) => point.score);
    expect([...scores].sort((a, b) => a - b)).toEqual(scores);
    expect(scores.at(-1)).toBe(baseline.bestScore);
    // Cells: the initial position first, then each new position once, each reached in play.
    expect(baseline.cellsHistory[0]).toEqual({ steps: 0, cells: 1 });
    expect(baseline.cellsHistory.map((point) => point.cells)).toEqual(
      baseline.cellsHistory.map((_, index) => index + 1),
    );
    expect(baseline.cellsHistory.at(-1)?.cells).toBe(baseline.bestScore + 1);
    expect(factory.liveContainers()).toEqual([]);
    expect(factory.listSnapshots()).toEqual([]);
  });

  it('stops at the target and when aborted', async () => {
    const factory = createMemoryFactory();
    const task = createLockTask({ ...lock, code: [1], resetPercent: 0 });
    const opened = await runRandomRestarts({
      factory,
      image,
      task,
      workers: 1,
      seed: 1,
      maxSteps: 500,
      episodeSteps: 40,
      targetScore: 1,
    });
    expect(opened).toMatchObject({ stopReason: 'target', bestScore: 1 });
    const aborted = await runRandomRestarts({
      factory,
      image,
      task,
      workers: 2,
      seed: 1,
      maxSteps: 500,
      episodeSteps: 40,
      signal: AbortSignal.abort(),
    });
    expect(aborted).toMatchObject({ stopReason: 'aborted', steps: 0 });
    expect(factory.liveContainers()).toEqual([]);
  });
});
