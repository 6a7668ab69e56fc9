import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError, type SnapshotableContainerFactory } from '@snapbox/core';
import type { MemoryFactory } from '@snapbox/memory';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CheckpointMismatchError,
  CheckpointRefusedError,
  CheckpointSnapshotsGoneError,
  CheckpointVersionError,
} from './checkpoint-errors.js';
import { type CheckpointData, journalPath, runLabels } from './checkpoint-file.js';
import { deleteCheckpoint } from './delete-checkpoint.js';
import { goExplore } from './go-explore.js';
import type { GoExploreOptions } from './options.js';
import type { GoExploreResult } from './result.js';
import type { GoExploreTask } from './task.js';
import { createGameFactory, image, type LockObservation, type LockSpec, lockTask } from './test-support/games.js';

// Ten positions of four digits: a 40-iteration run finds most of them, with some improvements.
const lock: LockSpec = { code: [3, 1, 2, 1, 0, 3, 2, 0, 1, 2], digits: 4, resetPercent: 50 };

const folders: string[] = [];
afterAll(async () => {
  for (const folder of folders) await rm(folder, { recursive: true, force: true });
});
async function freshPath(): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'go-explore-checkpoint-'));
  folders.push(folder);
  return join(folder, 'run.json');
}

const exists = (path: string): Promise<boolean> =>
  stat(path).then(
    () => true,
    () => false,
  );

function expectNothingLeft(factory: MemoryFactory): void {
  expect(factory.listSnapshots()).toEqual([]);
  expect(factory.liveContainers()).toEqual([]);
}

/** What must repeat in a seeded run: the whole archive but snapshot ids, and the counts. */
function fingerprint(result: GoExploreResult<unknown, unknown>) {
  return {
    cells: result.cells.map(({ snapshotId: _, ...cell }) => cell),
    best: result.bestTrajectory,
    bestHistory: result.bestHistory.map(({ elapsedMs: _, ...point }) => point),
    steps: result.steps,
    iterations: result.iterations,
    returns: result.returns,
    snapshotsTaken: result.snapshotsTaken,
    snapshotsDeleted: result.snapshotsDeleted,
  };
}

/**
 * The lock task with a switch that freezes it for good at a chosen call: a process that stops
 * there and never goes on, as one killed with SIGKILL. The switch is outside the methods, so the
 * task is the same task (same fingerprint) for the run that freezes and the run that resumes.
 */
function freezableTask(): {
  task: GoExploreTask<number, LockObservation, { moves: number }>;
  freezeAt(where: 'step' | 'saveState', call: number): Promise<void>;
} {
  const inner = lockTask(lock);
  const freeze = { where: '', at: -1, calls: { step: 0, saveState: 0 }, reached: () => {} };
  const maybeFreeze = async (where: 'step' | 'saveState'): Promise<void> => {
    if (freeze.where === where && ++freeze.calls[where] === freeze.at) {
      freeze.where = '';
      freeze.reached();
      await new Promise(() => {}); // never settles
    }
  };
  return {
    task: {
      ...inner,
      async step(container, digit, context) {
        await maybeFreeze('step');
        return inner.step(container, digit, context);
      },
      async saveState() {
        await maybeFreeze('saveState');
        return { moves: 0 };
      },
    },
    freezeAt: (where, call) =>
      new Promise((resolve) => {
        Object.assign(freeze, { where, at: call, calls: { step: 0, saveState: 0 }, reached: resolve });
      }),
  };
}

describe('checkpoints on the memory backend', () => {
  const base = { image, seed: 21, explorationSteps: 4, maxIterations: 40 } as const;

  it('a run that ends normally removes its checkpoint, its journal and its snapshots', async () => {
    const path = await freshPath();
    const factory = createGameFactory(lock);
    const result = await goExplore({ factory, ...base, task: lockTask(lock), checkpoint: { path } });
    expect(result.iterations).toBe(40);
    expect(result.checkpointPath).toBeUndefined();
    expect(result.resumed).toBeUndefined();
    expect(await exists(path)).toBe(false);
    expect(await exists(journalPath(path))).toBe(false);
    expectNothingLeft(factory);
    // Same archive as without checkpoints: checkpointing changes nothing of the run itself.
    const plain = await goExplore({ factory, ...base, task: lockTask(lock) });
    expect(fingerprint(result)).toEqual(fingerprint(plain));
  });

  it('writes the archive, the generators and the counts at each boundary; containers carry the run labels', async () => {
    const path = await freshPath();
    const factory = createGameFactory(lock);
    const seen: Array<{ iteration: number; saved: CheckpointData; labels: Record<string, string>[] }> = [];
    const task = lockTask(lock);
    await goExplore({
      factory,
      ...base,
      maxIterations: 6,
      task,
      checkpoint: { path, everyIterations: 2 },
      keepArchive: true,
      policy: async ({ sampleAction, step }) => {
        if (step === 0) {
          const saved = JSON.parse(await readFile(path, 'utf8')) as CheckpointData;
          seen.push({
            iteration: saved.counters.iterations,
            saved,
            labels: factory.liveContainers().map((c) => c.labels),
          });
        }
        return sampleAction();
      },
    });
    // Written after the setup and after iterations 2 and 4 (and a final one, kept by keepArchive).
    expect(seen.map((s) => s.iteration)).toEqual([0, 0, 2, 2, 4, 4]);
    const saved = seen.at(-1)?.saved as CheckpointData;
    expect(saved).toMatchObject({ format: 'snapbox.go-explore.checkpoint', version: 1, backend: 'memory', seed: 21 });
    expect(saved.source).toEqual({ image });
    expect(saved.rng.workers).toHaveLength(1);
    expect(saved.archive.cells[0]).toMatchObject({ key: '0', trajectory: [] });
    expect(saved.archive.cells[0]?.agentState).toBeUndefined();
    const labels = seen.at(-1)?.labels[0] ?? {};
    expect(labels[runLabels.run]).toBe(saved.runId);
    expect(labels[runLabels.checkpoint]).toBe(path);
    const final = JSON.parse(await readFile(path, 'utf8')) as CheckpointData;
    expect(final.counters.iterations).toBe(6);
    await deleteCheckpoint({ path, factory });
    expectNothingLeft(factory);
    expect(await exists(path)).toBe(false);
  });

  for (const point of [
    { where: 'step', call: 1, note: 'in the first step after the setup' },
    { where: 'step', call: 37, note: 'in the middle of an exploration' },
    { where: 'saveState', call: 5, note: 'between a snapshot and its cell: the snapshot is an orphan' },
    { where: 'saveState', call: 12, note: 'later, between a snapshot and its cell' },
  ] as const) {
    it(`a run frozen for good ${point.note}, then resumed, ends with the uninterrupted run's archive`, async () => {
      const { task, freezeAt } = freezableTask();
      const reference = await goExplore({ factory: createGameFactory(lock), ...base, task });

      const path = await freshPath();
      const factory = createGameFactory(lock);
      const frozen = freezeAt(point.where, point.call);
      void goExplore({ factory, ...base, task, checkpoint: { path } });
      await frozen;
      // The process "dies": its containers go, its kept snapshots stay.
      factory.endSession();
      const before = factory.listSnapshots().length;
      const saved = JSON.parse(await readFile(path, 'utf8')) as CheckpointData;

      const resumed = await goExplore({ factory, ...base, task, resumeFrom: path });
      expect(fingerprint(resumed)).toEqual(fingerprint(reference));
      expect(resumed.resumed).toMatchObject({
        path,
        iterations: saved.counters.iterations,
        steps: saved.counters.steps,
        cells: saved.archive.cells.length,
      });
      const orphans = before - saved.archive.cells.length;
      expect(resumed.resumed?.orphansDeleted).toBe(orphans);
      if (point.where === 'saveState') expect(orphans).toBeGreaterThan(0);
      expectNothingLeft(factory);
      expect(await exists(path)).toBe(false);
    });
  }

  it('a run frozen in its setup, before its first checkpoint, leaves a journal that the next run cleans', async () => {
    const { task, freezeAt } = freezableTask();
    const path = await freshPath();
    const factory = createGameFactory(lock);
    const frozen = freezeAt('saveState', 1);
    void goExplore({ factory, ...base, task, checkpoint: { path } });
    await frozen;
    factory.endSession();
    expect(await exists(path)).toBe(false);
    expect(factory.listSnapshots()).toHaveLength(1);
    await expect(goExplore({ factory, ...base, task, resumeFrom: path })).rejects.toSatisfy(
      (error) => CheckpointRefusedError.isInstance(error) && error.code === 'CHECKPOINT_UNREADABLE',
    );
    const fresh = await goExplore({ factory, ...base, task, checkpoint: { path } });
    expect(fresh.snapshotsDeleted).toBe(fresh.snapshotsTaken);
    expectNothingLeft(factory);
    expect(await exists(journalPath(path))).toBe(false);
  });

  it('is killed and resumed three times, and still ends with the same archive', async () => {
    const { task, freezeAt } = freezableTask();
    const reference = await goExplore({ factory: createGameFactory(lock), ...base, maxIterations: 60, task });
    const path = await freshPath();
    const factory = createGameFactory(lock);
    for (const [index, call] of [9, 30, 25].entries()) {
      const frozen = freezeAt('step', call);
      void goExplore({
        factory,
        ...base,
        maxIterations: 60,
        task,
        ...(index === 0 ? { checkpoint: { path } } : { resumeFrom: path }),
      });
      await frozen;
      factory.endSession();
    }
    const last = await goExplore({ factory, ...base, maxIterations: 60, task, resumeFrom: path });
    expect(fingerprint(last)).toEqual(fingerprint(reference));
    expectNothingLeft(factory);
  });

  it('an aborted run keeps its last checkpoint and says where it is; a resume continues it', async () => {
    const reference = await goExplore({ factory: createGameFactory(lock), ...base, workers: 1, task: lockTask(lock) });
    const path = await freshPath();
    const factory = createGameFactory(lock);
    const controller = new AbortController();
    const aborted = await goExplore({
      factory,
      ...base,
      task: lockTask(lock),
      checkpoint: { path, everyIterations: 5 },
      signal: controller.signal,
      onProgress: (progress) => {
        if (progress.iteration === 13) controller.abort();
      },
    });
    expect(aborted.stopReason).toBe('aborted');
    expect(aborted.checkpointPath).toBe(path);
    const saved = JSON.parse(await readFile(path, 'utf8')) as CheckpointData;
    expect(saved.counters.iterations).toBe(10);
    // Exactly the checkpoint's snapshots are left, kept past the process; nothing runs.
    expect(factory.liveContainers()).toEqual([]);
    expect(
      factory
        .listSnapshots()
        .map((snapshot) => snapshot.id)
        .sort(),
    ).toEqual(saved.archive.cells.map((cell) => cell.snapshotId).sort());
    expect(factory.listSnapshots().every((snapshot) => snapshot.keep)).toBe(true);
    expect(await exists(journalPath(path))).toBe(false);

    const resumed = await goExplore({ factory, ...base, task: lockTask(lock), resumeFrom: path, checkpoint: { path } });
    expect(resumed.resumed?.iterations).toBe(10);
    expect(fingerprint(resumed)).toEqual(fingerprint(reference));
    expectNothingLeft(factory);
  });

  it('keepArchive keeps the final checkpoint; resuming it with a larger budget extends the run', async () => {
    const reference = await goExplore({
      factory: createGameFactory(lock),
      ...base,
      maxIterations: 50,
      task: lockTask(lock),
    });
    const path = await freshPath();
    const factory = createGameFactory(lock);
    const first = await goExplore({
      factory,
      ...base,
      maxIterations: 20,
      task: lockTask(lock),
      checkpoint: { path },
      keepArchive: true,
    });
    expect(first.archiveKept).toBe(true);
    expect(first.checkpointPath).toBe(path);
    expect(
      factory
        .listSnapshots()
        .map((s) => s.id)
        .sort(),
    ).toEqual(first.cells.map((c) => c.snapshotId).sort());
    const again = await goExplore({ factory, ...base, maxIterations: 20, task: lockTask(lock), resumeFrom: path });
    // The budget is already spent: nothing more to do, and the run ends normally.
    expect(again).toMatchObject({ stopReason: 'iterations', iterations: 20 });
    expect(await exists(path)).toBe(false);
    expectNothingLeft(factory);

    const second = createGameFactory(lock);
    await goExplore({
      factory: second,
      ...base,
      maxIterations: 20,
      task: lockTask(lock),
      checkpoint: { path },
      keepArchive: true,
    });
    const extended = await goExplore({
      factory: second,
      ...base,
      maxIterations: 50,
      task: lockTask(lock),
      resumeFrom: path,
    });
    expect(extended.iterations).toBe(50);
    // Ending at 20 and going on is the same run as going to 50 at once (the 20th iteration was whole).
    expect(fingerprint(extended)).toEqual(fingerprint(reference));
    expectNothingLeft(second);
  });

  it('resumes with more workers than it was saved with', async () => {
    const path = await freshPath();
    const factory = createGameFactory(lock);
    await goExplore({
      factory,
      ...base,
      maxIterations: 10,
      task: lockTask(lock),
      checkpoint: { path },
      keepArchive: true,
    });
    const resumed = await goExplore({ factory, ...base, workers: 3, task: lockTask(lock), resumeFrom: path });
    expect(resumed.iterations).toBe(40);
    expectNothingLeft(factory);
  });

  it('deleteCheckpoint discards an interrupted run: its snapshots, orphans included, and its files', async () => {
    const { task, freezeAt } = freezableTask();
    const path = await freshPath();
    const factory = createGameFactory(lock);
    const frozen = freezeAt('saveState', 6);
    void goExplore({ factory, ...base, task, checkpoint: { path } });
    await frozen;
    factory.endSession();
    expect(await exists(journalPath(path))).toBe(true);
    const { snapshotsDeleted } = await deleteCheckpoint({ path, factory });
    expect(snapshotsDeleted).toBeGreaterThan(1);
    expectNothingLeft(factory);
    expect(await exists(path)).toBe(false);
    expect(await exists(journalPath(path))).toBe(false);
    await expect(deleteCheckpoint({ path, factory })).rejects.toSatisfy(CheckpointRefusedError.isInstance);
  });
});

describe('refused checkpoints', () => {
  const base = { image, seed: 4, explorationSteps: 3, maxIterations: 8 } as const;

  async function interruptedRun(
    extra: Partial<GoExploreOptions<number, LockObservation>> = {},
  ): Promise<{ path: string; factory: MemoryFactory; task: GoExploreTask<number, LockObservation> }> {
    const path = await freshPath();
    const factory = createGameFactory(lock);
    const task = { ...lockTask(lock), id: 'lock-a' };
    const controller = new AbortController();
    await goExplore({
      factory,
      ...base,
      task,
      checkpoint: { path },
      signal: controller.signal,
      onProgress: (progress) => {
        if (progress.iteration === 3) controller.abort();
      },
      ...extra,
    });
    return { path, factory, task };
  }

  it('refuses to overwrite a checkpoint with a new run', async () => {
    const { path, factory, task } = await interruptedRun();
    const attempt = goExplore({ factory, ...base, task, checkpoint: { path } });
    await expect(attempt).rejects.toSatisfy(InvalidArgumentError.isInstance);
    await expect(attempt).rejects.toThrow(/already holds a checkpoint.*resumeFrom.*deleteCheckpoint/);
    await deleteCheckpoint({ path, factory });
  });

  it('refuses another version of the format, saying which', async () => {
    const { path, factory, task } = await interruptedRun();
    const saved = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    await writeFile(path, JSON.stringify({ ...saved, version: 99 }));
    const attempt = goExplore({ factory, ...base, task, resumeFrom: path });
    await expect(attempt).rejects.toSatisfy(
      (error) => CheckpointVersionError.isInstance(error) && error.found === 99 && error.supported === 1,
    );
    await expect(attempt).rejects.toThrow(/format version 99.*reads version 1/);
    expect(factory.listSnapshots().length).toBeGreaterThan(0);
    await writeFile(path, JSON.stringify(saved));
    await deleteCheckpoint({ path, factory });
  });

  it('refuses a damaged checkpoint, saying what cannot be read', async () => {
    const { path, factory, task } = await interruptedRun();
    const text = await readFile(path, 'utf8');
    const saved = JSON.parse(text) as CheckpointData;
    const damaged = async (data: unknown, pattern: RegExp) => {
      await writeFile(path, JSON.stringify(data));
      const attempt = goExplore({ factory, ...base, task, resumeFrom: path });
      await expect(attempt).rejects.toSatisfy(
        (error) => CheckpointRefusedError.isInstance(error) && error.code === 'CHECKPOINT_UNREADABLE',
      );
      await expect(attempt).rejects.toThrow(pattern);
    };
    await damaged({ ...saved, rng: { ...saved.rng, workers: [[1, 2]] } }, /random generators cannot be read/);
    await damaged({ ...saved, archive: { ...saved.archive, best: 99 } }, /archive cannot be read/);
    await damaged({ ...saved, counters: undefined }, /is incomplete/);
    expect(factory.liveContainers()).toEqual([]);
    await writeFile(path, text);
    await deleteCheckpoint({ path, factory });
    expectNothingLeft(factory);
  });

  it('refuses another task, image, seed or backend, saying which, and touches nothing', async () => {
    const { path, factory, task } = await interruptedRun();
    const snapshots = factory.listSnapshots().length;
    const refusal = async (options: Partial<GoExploreOptions<number, LockObservation>>, field: string) => {
      const attempt = goExplore({ factory, ...base, task, resumeFrom: path, ...options });
      await expect(attempt).rejects.toSatisfy(
        (error) =>
          CheckpointMismatchError.isInstance(error) && error.field === field && error.code === 'CHECKPOINT_MISMATCH',
      );
      return attempt.catch((error: Error) => error.message);
    };
    expect(await refusal({ task: { ...task, id: 'lock-b' } }, 'task')).toMatch(
      /of another run: its task is "id:lock-a", this call gives "id:lock-b"/,
    );
    expect(await refusal({ image: 'memory:other' }, 'image')).toMatch(/its image is "memory:games"/);
    expect(await refusal({ seed: 5 }, 'seed')).toMatch(/its seed is 4, this call gives 5/);
    const otherBackend: SnapshotableContainerFactory = {
      fromImage: (options) => Object.assign(factory.fromImage(options), { backend: 'elsewhere' }),
      fromDockerfile: (options) => factory.fromDockerfile(options),
      fromSnapshot: (options) => factory.fromSnapshot(options),
    };
    expect(await refusal({ factory: otherBackend }, 'backend')).toMatch(/its backend is "memory"/);
    // A task without an id is told apart by the source of its methods.
    const anonymous = await interruptedRun({ task: lockTask(lock) });
    const other: GoExploreTask<number, LockObservation> = { ...lockTask(lock), cellOf: (o) => `p${o.position}` };
    await expect(
      goExplore({ factory: anonymous.factory, ...base, task: other, resumeFrom: anonymous.path }),
    ).rejects.toThrow(/its task is "source:[0-9a-f]{16}"/);
    expect(factory.listSnapshots()).toHaveLength(snapshots);
    expect(factory.liveContainers()).toEqual([]);
    await deleteCheckpoint({ path, factory });
    await deleteCheckpoint({ path: anonymous.path, factory: anonymous.factory });
  });

  it('refuses a checkpoint whose snapshots are gone, naming them, and leaves the file', async () => {
    const { path, factory, task } = await interruptedRun();
    const saved = JSON.parse(await readFile(path, 'utf8')) as CheckpointData;
    // Another "engine": the same backend, none of the snapshots.
    const elsewhere = createGameFactory(lock);
    const attempt = goExplore({ factory: elsewhere, ...base, task, resumeFrom: path });
    await expect(attempt).rejects.toSatisfy(
      (error) => CheckpointSnapshotsGoneError.isInstance(error) && error.missing.length === saved.archive.cells.length,
    );
    await expect(attempt).rejects.toThrow(/of its \d+ snapshots are gone: memory-snapshot/);
    expectNothingLeft(elsewhere);
    // Some gone: only those are named.
    const victim = saved.archive.cells.at(-1);
    await factory.fromImage({ image }).deleteSnapshot(victim?.snapshotId as string);
    const partly = goExplore({ factory, ...base, task, resumeFrom: path });
    await expect(partly).rejects.toSatisfy(
      (error) =>
        CheckpointSnapshotsGoneError.isInstance(error) &&
        error.missing.length === 1 &&
        error.missing[0]?.cell === victim?.key,
    );
    expect(await exists(path)).toBe(true);
    expect(factory.listSnapshots()).toHaveLength(saved.archive.cells.length - 1);
    await deleteCheckpoint({ path, factory });
    expectNothingLeft(factory);
  });

  it('refuses a file that is not a checkpoint, and a path where nothing is', async () => {
    const path = await freshPath();
    const factory = createGameFactory(lock);
    const task = lockTask(lock);
    await expect(goExplore({ factory, ...base, task, resumeFrom: path })).rejects.toSatisfy(
      (error) => CheckpointRefusedError.isInstance(error) && error.code === 'CHECKPOINT_UNREADABLE',
    );
    await writeFile(path, '{"hello":');
    await expect(goExplore({ factory, ...base, task, resumeFrom: path })).rejects.toThrow(/is not JSON/);
    await writeFile(path, '{"hello":"world"}');
    await expect(goExplore({ factory, ...base, task, resumeFrom: path })).rejects.toThrow(
      /not a Go-Explore checkpoint/,
    );
    await expect(
      goExplore({ factory, ...base, task, resumeFrom: path, checkpoint: { path: `${path}.other` } }),
    ).rejects.toThrow(/checkpoint\.path/);
    await expect(
      goExplore({ factory, ...base, task, checkpoint: { path: join(path, 'no-such-folder', 'run.json') } }),
    ).rejects.toThrow(/checkpoint\.path.*no-such-folder does not exist/);
    expectNothingLeft(factory);
  });
});

describe('agent state kept with each cell', () => {
  /**
   * A task whose agent remembers its moves outside the container, per worker (a stand-in for an
   * agent's conversation). Every step checks that memory against the lock's own record of the
   * moves: a return that did not restore the state of the chosen cell would fail the step.
   */
  function rememberingTask(): GoExploreTask<number, LockObservation, { moves: number[] }> & {
    readonly restores: number;
  } {
    const inner = lockTask(lock);
    const memory = new Map<number, number[]>();
    let restores = 0;
    return {
      ...inner,
      id: 'remembering-lock',
      get restores() {
        return restores;
      },
      async reset(container, context) {
        memory.set(context.worker, []);
        await container.writeFile('/game/moves', '');
        return inner.reset(container, context);
      },
      async step(container, digit, context) {
        const moves = memory.get(context.worker) as number[];
        const recorded = new TextDecoder().decode(await container.readFile('/game/moves'));
        if (recorded !== moves.map((m) => `${m}\n`).join('')) throw new Error('agent state and container disagree');
        moves.push(digit);
        await container.writeFile('/game/moves', moves.map((m) => `${m}\n`).join(''));
        return inner.step(container, digit, context);
      },
      saveState: (_container, context) => ({ moves: memory.get(context.worker) as number[] }),
      restoreState(_container, state, context) {
        restores++;
        memory.set(context.worker, state?.moves ?? []);
      },
    };
  }

  it('restores the chosen cell’s state on every return, with several workers', async () => {
    const factory = createGameFactory(lock);
    const task = rememberingTask();
    const result = await goExplore({
      factory,
      image,
      task,
      workers: 3,
      seed: 9,
      explorationSteps: 4,
      maxIterations: 60,
    });
    expect(result.iterations).toBe(60);
    expect(task.restores).toBe(result.returns);
    for (const cell of result.cells) expect(cell.agentState).toEqual({ moves: cell.trajectory });
    expectNothingLeft(factory);
  });

  it('keeps the state in the checkpoint: a resumed run restores it too', async () => {
    const path = await freshPath();
    const factory = createGameFactory(lock);
    const task = rememberingTask();
    const options = { image, task, seed: 9, explorationSteps: 4, maxIterations: 30 } as const;
    const reference = await goExplore({ factory: createGameFactory(lock), ...options, task: rememberingTask() });
    const controller = new AbortController();
    await goExplore({
      factory,
      ...options,
      checkpoint: { path },
      signal: controller.signal,
      onProgress: (p) => {
        if (p.iteration === 12) controller.abort();
      },
    });
    const saved = JSON.parse(await readFile(path, 'utf8')) as CheckpointData;
    expect(saved.archive.cells.every((cell) => Array.isArray((cell.agentState as { moves: unknown }).moves))).toBe(
      true,
    );
    // A new "process": a task object whose memory is empty.
    const resumed = await goExplore({ factory, ...options, task: rememberingTask(), resumeFrom: path });
    expect(fingerprint(resumed)).toEqual(fingerprint(reference));
    expectNothingLeft(factory);
  });

  it('reports a state that cannot be saved as JSON as an error of saveState', async () => {
    const factory = createGameFactory(lock);
    const task = { ...lockTask(lock), saveState: () => ({ big: 1n }) };
    await expect(goExplore({ factory, image, task, maxIterations: 3 })).rejects.toThrow(
      /task\.saveState threw during the setup: .*BigInt/,
    );
    expectNothingLeft(factory);
  });
});
