import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SnapboxError } from '@snapbox/core';
import type { MemoryFactory } from '@snapbox/memory';
import { afterAll, describe, expect, it } from 'vitest';
import { FailureBudgetExceededError } from './failure-budget-error.js';
import { backoffMs, type GoExploreFailure, isBackendFailure, isRetryableBackendError } from './failures.js';
import { goExplore } from './go-explore.js';
import { replay } from './replay.js';
import type { GoExploreResult } from './result.js';
import type { GoExploreTask } from './task.js';
import { GoExploreTaskError } from './task-error.js';
import { createFlakyBackend } from './test-support/flaky-backend.js';
import { createGameFactory, image, type LockSpec, lockTask, walkTask } from './test-support/games.js';

const lock: LockSpec = { code: [3, 1, 4, 1, 5, 9, 2, 6], digits: 10, resetPercent: 50 };

function expectNothingLeft(factory: MemoryFactory): void {
  expect(factory.listSnapshots()).toEqual([]);
  expect(factory.liveContainers()).toEqual([]);
}

const folders: string[] = [];
afterAll(async () => {
  for (const folder of folders) await rm(folder, { recursive: true, force: true });
});
async function checkpointPath(): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'go-explore-failures-'));
  folders.push(folder);
  return join(folder, 'run.json');
}

describe('what counts as a failure of the backend', () => {
  it('classifies by code, through the cause chain', () => {
    const engine = new SnapboxError('ENGINE_ERROR', { message: 'engine said no' });
    expect(isBackendFailure(engine)).toBe(true);
    expect(isBackendFailure(new Error('the task wrapped it', { cause: engine }))).toBe(true);
    expect(isBackendFailure(new SnapboxError('EXEC_TIMEOUT', { message: 'timed out' }))).toBe(true);
    expect(isBackendFailure(new Error('a bug in the task'))).toBe(false);
    expect(isBackendFailure(new SnapboxError('INVALID_ARGUMENT', { message: 'bad call' }))).toBe(false);
    expect(isBackendFailure(new SnapboxError('EXEC_ABORTED', { message: 'the task aborted it' }))).toBe(false);
    expect(isRetryableBackendError(new Error('socket hang up'))).toBe(true);
    expect(isRetryableBackendError(new SnapboxError('SNAPSHOT_NOT_FOUND', { message: 'gone' }))).toBe(false);
    expect([1, 2, 3, 20].map(backoffMs)).toEqual([50, 100, 200, 5_000]);
  });
});

describe('a backend that fails on purpose', () => {
  for (const workers of [1, 2]) {
    it(`finishes the run with ${workers} worker(s), counts every failure by kind, and leaves nothing`, async () => {
      const inner = createGameFactory(lock);
      const flaky = createFlakyBackend(
        inner,
        { start: 0.1, exec: 0.05, snapshot: 0.1, stop: 0.1, deleteSnapshot: 0.15 },
        workers * 7,
      );
      const reported: GoExploreFailure[] = [];
      const result = await goExplore({
        factory: flaky.factory,
        image,
        task: lockTask(lock),
        workers,
        seed: 11,
        explorationSteps: 5,
        maxIterations: 120,
        onFailure: (failure) => reported.push(failure),
      });
      expect(result.stopReason).toBe('iterations');
      expect(result.iterations).toBe(120);
      const { task, ...backend } = result.failures;
      expect(task).toBe(0);
      expect(backend).toEqual(flaky.injected);
      // Each kind happened, for the test to mean something (with two workers, which call draws
      // which number depends on timing, so the counts vary from run to run).
      for (const count of Object.values(flaky.injected)) expect(count).toBeGreaterThan(0);
      expect(reported).toHaveLength(Object.values(flaky.injected).reduce((sum, n) => sum + n, 0));
      expect(reported.find((failure) => failure.kind === 'step')?.cell).toBeTypeOf('string');
      expectNothingLeft(inner);
      // Retries did not corrupt the archive: every cell's trajectory reproduces it.
      for (const cell of result.cells.slice(-3)) {
        const check = await replay({ factory: inner, image, task: lockTask(lock), trajectory: cell.trajectory });
        expect(check).toMatchObject({ cell: cell.key, score: cell.score });
      }
    }, 30_000);
  }

  it('stops with FailureBudgetExceededError beyond maxFailures, and cleans up', async () => {
    const inner = createGameFactory(lock);
    const flaky = createFlakyBackend(inner, { start: 1 });
    const attempt = goExplore({
      factory: flaky.factory,
      image,
      task: lockTask(lock),
      maxIterations: 50,
      maxFailures: 3,
    });
    await expect(attempt).rejects.toSatisfy(FailureBudgetExceededError.isInstance);
    const error = (await attempt.catch((e: unknown) => e)) as FailureBudgetExceededError;
    expect(error.failures).toMatchObject({ return: 4, step: 0 });
    expect(error.message).toMatch(/maxFailures \(3\).*return 4.*injected failure: start/);
    expect(SnapboxError.isInstance(error.cause) && error.cause.message).toMatch(/injected/);
    expectNothingLeft(inner);
  });

  it('with maxFailures 0, stops at the first failure', async () => {
    const inner = createGameFactory(lock);
    const flaky = createFlakyBackend(inner, { snapshot: 1 });
    const attempt = goExplore({
      factory: flaky.factory,
      image,
      task: lockTask(lock),
      maxIterations: 50,
      maxFailures: 0,
    });
    await expect(attempt).rejects.toThrow(/maxFailures \(0\).*snapshot 1/);
    expectNothingLeft(inner);
  });

  it('keeps the checkpoint of a run whose backend broke down, which resumes once it is healthy', async () => {
    const path = await checkpointPath();
    const inner = createGameFactory(lock);
    const flaky = createFlakyBackend(inner, {});
    const options = { image, task: lockTask(lock), seed: 3, explorationSteps: 4, maxIterations: 30 } as const;
    const reference = await goExplore({ factory: createGameFactory(lock), ...options });
    const failed = goExplore({
      factory: flaky.factory,
      ...options,
      checkpoint: { path },
      maxFailures: 2,
      onProgress: (progress) => {
        // The engine goes away after 10 iterations.
        if (progress.iteration === 10) flaky.setRates({ start: 1 });
      },
    });
    await expect(failed).rejects.toSatisfy(FailureBudgetExceededError.isInstance);
    await expect(failed).rejects.toThrow(/return 3.*kept: resume it with resumeFrom/);
    const saved = JSON.parse(await readFile(path, 'utf8')) as { counters: { iterations: number } };
    expect(saved.counters.iterations).toBe(10);
    expect(inner.liveContainers()).toEqual([]);
    expect(inner.listSnapshots().every((snapshot) => snapshot.keep)).toBe(true);

    flaky.setRates({});
    const resumed = await goExplore({ factory: flaky.factory, ...options, resumeFrom: path });
    expect(resumed.resumed).toMatchObject({ path, iterations: 10 });
    expect(fingerprint(resumed)).toEqual(fingerprint(reference));
    expectNothingLeft(inner);
    await expect(stat(path)).rejects.toThrow(/ENOENT/);
  });
});

/** What must repeat in a seeded run (snapshot ids are random by design). */
function fingerprint(result: GoExploreResult<unknown, unknown>) {
  return {
    cells: result.cells.map(({ snapshotId: _, ...cell }) => cell),
    steps: result.steps,
    iterations: result.iterations,
  };
}

describe('errors of the task', () => {
  it('reports the cell, the action and the trajectory, and fails the run by default', async () => {
    const factory = createGameFactory(lock);
    const task = lockTask(lock);
    let calls = 0;
    const failing: GoExploreTask<number, { position: number }> = {
      ...task,
      step: async (...args) => {
        if (++calls === 12) throw new Error('the game crashed');
        return task.step(...args);
      },
    };
    const attempt = goExplore({ factory, image, task: failing, seed: 5, explorationSteps: 5, maxIterations: 50 });
    await expect(attempt).rejects.toSatisfy(GoExploreTaskError.isInstance);
    const error = (await attempt.catch((e: unknown) => e)) as GoExploreTaskError;
    expect(error.phase).toBe('step');
    expect(error.worker).toBe(0);
    expect(typeof error.cell).toBe('string');
    expect(typeof error.action).toBe('number');
    expect((error.cause as Error).message).toBe('the game crashed');
    expect(error.message).toMatch(
      /task\.step threw on worker 0, exploring from cell "\d+" \d+ actions from the start, action \d: the game crashed/,
    );
    // The trajectory leads to the state the failing step saw: a replay reaches the cell's
    // position plus the moves explored since.
    const check = await replay({ factory, image, task, trajectory: error.trajectory as number[] });
    expect(check.steps).toBe(error.trajectory.length);
    expectNothingLeft(factory);
  });

  it("goes on when onTaskError says 'continue', counting the task's errors", async () => {
    const factory = createGameFactory(lock);
    const task = lockTask(lock);
    let calls = 0;
    const failing: GoExploreTask<number, { position: number }> = {
      ...task,
      step: async (...args) => {
        if (++calls % 10 === 0) throw new Error('flaky tool');
        return task.step(...args);
      },
    };
    const seen: GoExploreTaskError[] = [];
    const result = await goExplore({
      factory,
      image,
      task: failing,
      seed: 5,
      explorationSteps: 5,
      maxIterations: 40,
      maxFailures: 0,
      onTaskError: (error) => {
        seen.push(error);
        return 'continue';
      },
    });
    expect(result.iterations).toBe(40);
    expect(seen.length).toBeGreaterThan(5);
    expect(result.failures).toEqual({ return: 0, step: 0, snapshot: 0, cleanup: 0, task: seen.length });
    expectNothingLeft(factory);
  });

  it("retries a step whose error was caused by the backend (kept as the error's cause)", async () => {
    const factory = createGameFactory(lock);
    const task = lockTask(lock);
    let calls = 0;
    const wrapping: GoExploreTask<number, { position: number }> = {
      ...task,
      step: async (...args) => {
        if (++calls % 7 === 0) {
          throw new Error('lock try failed', {
            cause: new SnapboxError('ENGINE_ERROR', { message: 'container died' }),
          });
        }
        return task.step(...args);
      },
    };
    const result = await goExplore({ factory, image, task: wrapping, seed: 2, explorationSteps: 4, maxIterations: 30 });
    expect(result.iterations).toBe(30);
    expect(result.failures.step).toBeGreaterThan(3);
    expect(result.failures.task).toBe(0);
    expectNothingLeft(factory);
  }, 30_000);

  it('reports errors of the policy and of cellOf as task errors', async () => {
    const factory = createGameFactory();
    const walk = walkTask();
    await expect(
      goExplore({
        factory,
        image,
        task: walk,
        maxIterations: 5,
        policy: () => {
          throw new Error('model unavailable');
        },
      }),
    ).rejects.toThrow(/the policy threw on worker 0.*model unavailable/);
    await expect(
      goExplore({
        factory,
        image,
        task: { ...walk, cellOf: (position) => (position > 0 ? JSON.parse('{') : String(position)) },
        seed: 1,
        maxIterations: 50,
      }),
    ).rejects.toSatisfy((error) => GoExploreTaskError.isInstance(error) && error.phase === 'cellOf');
    expectNothingLeft(factory);
  });
});
