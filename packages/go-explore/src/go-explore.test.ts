import {
  InvalidArgumentError,
  type SnapshotableContainer,
  type SnapshotableContainerFactory,
  SnapshotNotFoundError,
  UnsupportedCapabilityError,
} from '@snapbox/core';
import type { MemoryFactory } from '@snapbox/memory';
import { describe, expect, it } from 'vitest';
import { goExplore } from './go-explore.js';
import type { GoExploreProgress } from './options.js';
import { replay } from './replay.js';
import type { GoExploreResult } from './result.js';
import {
  counterTask,
  createGameFactory,
  image,
  type LockSpec,
  lockTask,
  plainContainer,
  until,
  walkTask,
  withoutSnapshots,
} from './test-support/games.js';

const lock: LockSpec = { code: [3, 1, 4, 1, 5, 9, 2, 6], digits: 10, resetPercent: 50 };

function expectNothingLeft(factory: MemoryFactory): void {
  expect(factory.listSnapshots()).toEqual([]);
  expect(factory.liveContainers()).toEqual([]);
}

/** What must repeat in a seeded run (snapshot ids are random by design). */
function fingerprint(result: GoExploreResult<unknown, unknown>) {
  return {
    cells: result.cells.map(({ snapshotId: _, ...cell }) => cell),
    best: result.bestTrajectory,
    steps: result.steps,
    iterations: result.iterations,
  };
}

describe('goExplore on the memory backend', () => {
  it('solves a lock that random play from the start does not, and cleans up everything', async () => {
    const factory = createGameFactory(lock);
    const result = await goExplore({
      factory,
      image,
      task: lockTask(lock),
      seed: 1,
      explorationSteps: 5,
      maxSteps: 20_000,
      targetScore: lock.code.length,
    });
    expect(result.stopReason).toBe('target');
    expect(result.best.score).toBe(8);
    expect(result.best.done).toBe(true);
    expect(result.cells.map((cell) => cell.key).sort()).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8']);
    expect(result.bestHistory.map((point) => point.score)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(result.bestHistory.at(-1)?.steps).toBeLessThanOrEqual(result.steps);
    expect(result.snapshotsDeleted).toBe(result.snapshotsTaken);
    expect(result.archiveKept).toBe(false);
    expectNothingLeft(factory);

    // The best trajectory reproduces the open lock in a fresh container.
    const check = await replay({
      factory,
      image,
      task: lockTask(lock),
      trajectory: result.bestTrajectory,
      inspect: async (container) => new TextDecoder().decode(await container.readFile('/game/lock')),
    });
    expect(check).toMatchObject({ score: 8, cell: '8', done: true, steps: result.best.trajectoryLength });
    expect(check.inspection).toMatch(/^8 /);
    expectNothingLeft(factory);
  });

  it('repeats exactly with the same seed and one worker, and differs with another seed', async () => {
    const run = (seed: number) =>
      goExplore({
        factory: createGameFactory(lock),
        image,
        task: lockTask(lock),
        seed,
        explorationSteps: 4,
        maxIterations: 60,
      });
    const first = await run(5);
    const second = await run(5);
    expect(fingerprint(second)).toEqual(fingerprint(first));
    expect(first.seed).toBe(5);
    expect(fingerprint(await run(6))).not.toEqual(fingerprint(first));
  });

  it('reports the random seed it drew, and that seed repeats the run', async () => {
    const options = { image, task: lockTask(lock), explorationSteps: 4, maxIterations: 30 };
    const first = await goExplore({ factory: createGameFactory(lock), ...options });
    const again = await goExplore({ factory: createGameFactory(lock), ...options, seed: first.seed });
    expect(fingerprint(again)).toEqual(fingerprint(first));
  });

  it('never has more live containers than workers, and does use them in parallel', async () => {
    const factory = createGameFactory(lock);
    let peak = 0;
    const task = lockTask(lock, {
      onStep: () => {
        peak = Math.max(peak, factory.liveContainers().length);
      },
    });
    let peakOutsideSteps = 0;
    const result = await goExplore({
      factory,
      image,
      task,
      workers: 3,
      seed: 2,
      explorationSteps: 3,
      maxIterations: 80,
      onProgress: () => {
        peakOutsideSteps = Math.max(peakOutsideSteps, factory.liveContainers().length);
      },
    });
    expect(result.iterations).toBe(80);
    expect(peak).toBeLessThanOrEqual(3);
    expect(peakOutsideSteps).toBeLessThanOrEqual(3);
    expect(peak).toBeGreaterThan(1);
    expectNothingLeft(factory);
  });

  it('deletes replaced snapshots at once: with keepArchive exactly the archive is left', async () => {
    const factory = createGameFactory();
    const result = await goExplore({
      factory,
      image,
      task: walkTask(),
      seed: 3,
      explorationSteps: 12,
      maxIterations: 40,
      keepArchive: true,
    });
    expect(result.archiveKept).toBe(true);
    expect(result.cells.some((cell) => cell.improvements > 0)).toBe(true);
    const archived = result.cells.map((cell) => cell.snapshotId).sort();
    expect(
      factory
        .listSnapshots()
        .map((snapshot) => snapshot.id)
        .sort(),
    ).toEqual(archived);
    expect(result.snapshotsTaken - result.snapshotsDeleted).toBe(result.cells.length);
    for (const cell of result.cells) {
      // A trajectory reaches its cell, never in fewer steps than the distance.
      const position = cell.trajectory.reduce<number>((sum, delta) => sum + delta, 0);
      expect(String(position)).toBe(cell.key);
      expect(cell.trajectoryLength).toBeGreaterThanOrEqual(Math.abs(position));
    }
    // The kept snapshots restore the recorded state; the caller deletes them.
    const best = factory.fromSnapshot({ snapshotId: result.cells.at(-1)?.snapshotId ?? '' });
    await best.start();
    expect((await best.exec('walk 0')).stdout.trim()).toBe(result.cells.at(-1)?.key);
    await best.stop();
    const deleter = factory.fromImage({ image });
    for (const id of archived) await deleter.deleteSnapshot(id);
    expectNothingLeft(factory);
  });

  it('replaces a cell reached with a higher score and deletes the old snapshot', async () => {
    const factory = createGameFactory();
    const result = await goExplore({
      factory,
      image,
      task: counterTask(),
      seed: 4,
      explorationSteps: 3,
      maxIterations: 5,
      keepArchive: true,
    });
    // One cell; every step improved it, so 15 snapshots were taken after the first and 15 deleted.
    expect(result.cells).toHaveLength(1);
    expect(result.best).toMatchObject({ score: 15, trajectoryLength: 15, improvements: 15, timesChosen: 5 });
    expect(result.snapshotsTaken).toBe(16);
    expect(result.snapshotsDeleted).toBe(15);
    expect(factory.listSnapshots().map((snapshot) => snapshot.id)).toEqual([result.best.snapshotId]);
    await factory.fromImage({ image }).deleteSnapshot(result.best.snapshotId);
  });

  it('survives a snapshot deleted while another worker restores from it: that worker chooses again', async () => {
    const inner = createGameFactory();
    const deleted = new Set<string>();
    let gatedRestores = 0;
    // The first restore is held until the engine deletes the snapshot it restores from.
    const factory: SnapshotableContainerFactory = {
      fromImage(options) {
        const root = inner.fromImage(options);
        const deleteSnapshot = root.deleteSnapshot.bind(root);
        root.deleteSnapshot = async (id) => {
          await deleteSnapshot(id);
          deleted.add(id);
        };
        return root;
      },
      fromDockerfile: (options) => inner.fromDockerfile(options),
      fromSnapshot(options) {
        const container = inner.fromSnapshot(options);
        if (gatedRestores++ > 0) return container;
        const start = container.start.bind(container);
        container.start = async (startOptions) => {
          await until(() => deleted.has(options.snapshotId));
          return start(startOptions);
        };
        return container;
      },
    };
    const result = await goExplore({
      factory,
      image,
      task: counterTask(),
      workers: 2,
      seed: 1,
      explorationSteps: 2,
      maxIterations: 6,
    });
    expect(result.staleReturns).toBe(1);
    expect(result.iterations).toBe(6);
    expect(result.returns).toBe(6);
    expect(result.best.score).toBeGreaterThanOrEqual(2);
    expectNothingLeft(inner);
  });

  it('fails on a snapshot that someone else deleted, and still cleans up', async () => {
    const inner = createGameFactory();
    let root: SnapshotableContainer | undefined;
    const factory: SnapshotableContainerFactory = {
      fromImage(options) {
        root = inner.fromImage(options);
        return root;
      },
      fromDockerfile: (options) => inner.fromDockerfile(options),
      fromSnapshot(options) {
        root?.deleteSnapshotSync(options.snapshotId);
        return inner.fromSnapshot(options);
      },
    };
    await expect(goExplore({ factory, image, task: counterTask(), maxIterations: 3 })).rejects.toSatisfy(
      SnapshotNotFoundError.isInstance,
    );
    expectNothingLeft(inner);
  });

  describe('budgets', () => {
    it('stops at exactly maxSteps container steps, over all workers', async () => {
      const factory = createGameFactory(lock);
      const result = await goExplore({
        factory,
        image,
        task: lockTask(lock),
        workers: 3,
        explorationSteps: 5,
        maxSteps: 37,
      });
      expect(result.stopReason).toBe('steps');
      expect(result.steps).toBe(37);
      expectNothingLeft(factory);
    });

    it('stops after exactly maxIterations iterations', async () => {
      const factory = createGameFactory(lock);
      const result = await goExplore({ factory, image, task: lockTask(lock), workers: 2, maxIterations: 9 });
      expect(result.stopReason).toBe('iterations');
      expect(result.iterations).toBe(9);
      expect(result.returns).toBe(9);
      expectNothingLeft(factory);
    });

    it('stops when maxTimeMs has passed', async () => {
      const factory = createGameFactory(lock);
      const task = lockTask(lock);
      const slow = {
        ...task,
        step: async (...args: Parameters<typeof task.step>) => {
          await new Promise((resolve) => setTimeout(resolve, 2));
          return task.step(...args);
        },
      };
      const result = await goExplore({ factory, image, task: slow, maxTimeMs: 60, maxIterations: 1_000_000 });
      expect(result.stopReason).toBe('time');
      expect(result.iterations).toBeLessThan(1_000_000);
      expectNothingLeft(factory);
    });

    it('stops early when a cell reaches targetScore', async () => {
      const factory = createGameFactory(lock);
      const result = await goExplore({
        factory,
        image,
        task: lockTask(lock),
        seed: 8,
        explorationSteps: 5,
        maxSteps: 50_000,
        targetScore: 3,
      });
      expect(result.stopReason).toBe('target');
      expect(result.best.score).toBe(3);
      expect(result.cells.every((cell) => cell.score <= 3)).toBe(true);
      expectNothingLeft(factory);
    });

    it('ends as exhausted when no cell can be chosen', async () => {
      const factory = createGameFactory(lock);
      const result = await goExplore({ factory, image, task: lockTask(lock), cellWeight: () => 0, maxIterations: 5 });
      expect(result.stopReason).toBe('exhausted');
      expect(result.iterations).toBe(0);
      expect(result.cells).toHaveLength(1);
      expectNothingLeft(factory);
    });
  });

  it('reports progress after the setup and after every iteration', async () => {
    const reports: GoExploreProgress[] = [];
    const result = await goExplore({
      factory: createGameFactory(lock),
      image,
      task: lockTask(lock),
      seed: 2,
      explorationSteps: 3,
      maxIterations: 12,
      onProgress: (progress) => reports.push(progress),
    });
    expect(reports.map((report) => report.iteration)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(reports[0]).toMatchObject({ cells: 1, bestScore: 0, steps: 0, returns: 0 });
    const last = reports.at(-1);
    expect(last).toMatchObject({
      cells: result.cells.length,
      bestScore: result.best.score,
      steps: result.steps,
      returns: 12,
    });
    expect(last?.returnsPerSecond).toBeGreaterThan(0);
    expect(result.timing.totalMs).toBeGreaterThan(0);
    for (const value of Object.values(result.timing)) expect(value).toBeGreaterThanOrEqual(0);
  });

  it('passes the policy the chosen cell, the observation and the previous action', async () => {
    const seen: Array<{ step: number; previous: number | undefined; position: number; cell: string }> = [];
    await goExplore({
      factory: createGameFactory(lock),
      image,
      task: lockTask(lock),
      seed: 1,
      explorationSteps: 2,
      maxIterations: 1,
      policy: ({ step, previousAction, observation, cell, sampleAction }) => {
        seen.push({ step, previous: previousAction, position: observation.position, cell: cell.key });
        return step === 0 ? 3 : sampleAction();
      },
    });
    expect(seen).toEqual([
      { step: 0, previous: undefined, position: 0, cell: '0' },
      { step: 1, previous: 3, position: 1, cell: '0' },
    ]);
  });

  describe('errors and aborts', () => {
    it('refuses a factory that cannot snapshot with UnsupportedCapabilityError, before any I/O', async () => {
      const factory = createGameFactory();
      const attempt = goExplore({
        factory: withoutSnapshots(factory) as SnapshotableContainerFactory,
        image,
        task: counterTask(),
        maxIterations: 1,
      });
      await expect(attempt).rejects.toSatisfy(UnsupportedCapabilityError.isInstance);
      await expect(attempt).rejects.toThrow(/snapshots is not supported.*fromSnapshot/);
      expectNothingLeft(factory);
    });

    it('refuses a root container that cannot snapshot with UnsupportedCapabilityError', async () => {
      const factory = createGameFactory();
      const root = plainContainer(factory.fromImage({ image })) as SnapshotableContainer;
      const attempt = goExplore({ root, task: counterTask(), maxIterations: 1 });
      await expect(attempt).rejects.toSatisfy(UnsupportedCapabilityError.isInstance);
      await expect(attempt).rejects.toThrow(/memory backend/);
      expectNothingLeft(factory);
    });

    it('runs from a root container, restoring through its fromSnapshot', async () => {
      const factory = createGameFactory(lock);
      const result = await goExplore({ root: factory.fromImage({ image }), task: lockTask(lock), maxIterations: 4 });
      expect(result.iterations).toBe(4);
      expectNothingLeft(factory);
    });

    it('rejects bad options with InvalidArgumentError naming the option', async () => {
      const factory = createGameFactory();
      const task = counterTask();
      await expect(goExplore({ factory, image, task })).rejects.toThrow(/maxIterations.*budget/);
      await expect(goExplore({ factory, task, maxIterations: 1 })).rejects.toThrow(/image/);
      await expect(
        goExplore({ factory, image, task, maxIterations: 1, root: factory.fromImage({ image }) }),
      ).rejects.toThrow(/exactly one of factory/);
      await expect(
        goExplore({ factory, image, task, maxIterations: 1, containerOptions: { name: 'x' } as never }),
      ).rejects.toThrow(/containerOptions\.name/);
      await expect(goExplore({ factory, image, task, maxIterations: 1, workers: 0 })).rejects.toSatisfy(
        InvalidArgumentError.isInstance,
      );
      await expect(
        goExplore({ factory, image, task: { ...task, cellOf: undefined } as never, maxIterations: 1 }),
      ).rejects.toThrow(/task\.cellOf/);
      expectNothingLeft(factory);
    });

    it('fails on a malformed step result or cell key, and cleans up', async () => {
      const factory = createGameFactory();
      const task = counterTask();
      const badKey = { ...task, cellOf: () => 7 as unknown as string };
      await expect(goExplore({ factory, image, task: badKey, maxIterations: 3 })).rejects.toThrow(
        /task\.cellOf.*string/,
      );
      const badReward = { ...task, step: async () => ({ observation: 1, reward: Number.NaN, done: false }) };
      await expect(goExplore({ factory, image, task: badReward, maxIterations: 3 })).rejects.toThrow(/reward/);
      expectNothingLeft(factory);
    });

    it('cleans up everything, the archive included, when a task step fails', async () => {
      const factory = createGameFactory(lock);
      const task = lockTask(lock);
      let calls = 0;
      const failing = {
        ...task,
        step: async (...args: Parameters<typeof task.step>) => {
          if (++calls === 9) throw new Error('the game crashed');
          return task.step(...args);
        },
      };
      await expect(
        goExplore({ factory, image, task: failing, workers: 2, keepArchive: true, maxIterations: 50 }),
      ).rejects.toThrow('the game crashed');
      expectNothingLeft(factory);
    });

    it('stops cleanly when the signal aborts between iterations', async () => {
      const factory = createGameFactory(lock);
      const controller = new AbortController();
      const result = await goExplore({
        factory,
        image,
        task: lockTask(lock),
        workers: 2,
        maxIterations: 10_000,
        signal: controller.signal,
        onProgress: (progress) => {
          if (progress.iteration === 3) controller.abort();
        },
      });
      expect(result.stopReason).toBe('aborted');
      expect(result.iterations).toBeGreaterThanOrEqual(3);
      expect(result.iterations).toBeLessThan(10_000);
      expectNothingLeft(factory);
    });

    it('aborts an in-flight step through the context signal and still resolves', async () => {
      const factory = createGameFactory(lock);
      const controller = new AbortController();
      const task = lockTask(lock);
      let steps = 0;
      const hanging = {
        ...task,
        step: async (...args: Parameters<typeof task.step>) => {
          const [container, , context] = args;
          if (++steps === 5) {
            setTimeout(() => controller.abort(), 10);
            await container.exec('sleep 600', { signal: context.signal });
          }
          return task.step(...args);
        },
      };
      const result = await goExplore({
        factory,
        image,
        task: hanging,
        maxIterations: 1_000,
        keepArchive: true,
        signal: controller.signal,
      });
      expect(result.stopReason).toBe('aborted');
      expect(result.steps).toBe(4);
      // keepArchive holds for an abort: the archive is the caller's.
      expect(factory.listSnapshots()).toHaveLength(result.cells.length);
      expect(factory.liveContainers()).toEqual([]);
      const deleter = factory.fromImage({ image });
      for (const cell of result.cells) await deleter.deleteSnapshot(cell.snapshotId);
      expectNothingLeft(factory);
    });

    it('rejects with the reason when aborted before the first cell exists', async () => {
      const factory = createGameFactory(lock);
      await expect(
        goExplore({ factory, image, task: lockTask(lock), maxIterations: 5, signal: AbortSignal.abort('too late') }),
      ).rejects.toBe('too late');
      const controller = new AbortController();
      const task = lockTask(lock);
      const slowReset = {
        ...task,
        reset: async (...args: Parameters<typeof task.reset>) => {
          controller.abort(new Error('stop now'));
          return task.reset(...args);
        },
      };
      await expect(
        goExplore({ factory, image, task: slowReset, maxIterations: 5, signal: controller.signal }),
      ).rejects.toThrow('stop now');
      expectNothingLeft(factory);
    });

    it('fails the run when onProgress throws, and cleans up', async () => {
      const factory = createGameFactory(lock);
      const attempt = goExplore({
        factory,
        image,
        task: lockTask(lock),
        maxIterations: 20,
        onProgress: (progress) => {
          if (progress.iteration === 2) throw new Error('display broke');
        },
      });
      await expect(attempt).rejects.toThrow('display broke');
      expectNothingLeft(factory);
    });
  });
});
