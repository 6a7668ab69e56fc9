import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BackendUnavailableError, NotASnapshotError, SnapboxError } from '@snapbox/core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DaytonaClient } from './client-types.js';
import { createDaytonaFactory, type DaytonaFactory } from './daytona-factory.js';
import { runSyncJob } from './sync-runner.js';

// These tests cross a process boundary for real: `deleteSnapshotSync`, `stopAndRemoveSync` and
// the exit cleanup spawn the built worker (dist/sync-worker.js), which loads the fake client
// module given as `syncClientModule`; the fake keeps its state in a JSON file both sides read.

const fakeModule = fileURLToPath(new URL('./test-support/fake-client-module.mjs', import.meta.url));
const exitScenario = fileURLToPath(new URL('./test-support/exit-scenario.mjs', import.meta.url));
const builtWorker = fileURLToPath(new URL('../dist/sync-worker.js', import.meta.url));

interface FakeState {
  sandboxes: Record<string, { name?: string; labels?: Record<string, string> }>;
  snapshots: Record<string, { state: string }>;
  calls: Array<{ method: string; args: unknown[]; pid: number }>;
  failures: Array<{ method: string; status: number; message: string; name?: string; times: number }>;
  nextId?: number;
}

let dir = '';
let statePath = '';
const readState = (): FakeState => JSON.parse(readFileSync(statePath, 'utf8')) as FakeState;
const writeState = (state: Partial<FakeState>): void =>
  writeFileSync(statePath, JSON.stringify({ sandboxes: {}, snapshots: {}, calls: [], failures: [], ...state }));
const workerCalls = (): FakeState['calls'] => readState().calls.filter((call) => call.pid !== process.pid);

beforeAll(async () => {
  if (!existsSync(builtWorker)) throw new Error(`${builtWorker} is missing: run \`pnpm run build\` before these tests`);
  dir = await mkdtemp(join(tmpdir(), 'snapbox-daytona-sync-'));
  statePath = join(dir, 'state.json');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  process.env.SNAPBOX_FAKE_DAYTONA_STATE = statePath;
  writeState({});
});
afterEach(() => {
  delete process.env.SNAPBOX_FAKE_DAYTONA_STATE;
});

async function fakeClient(): Promise<DaytonaClient> {
  const module = (await import(fakeModule)) as { createClient(config: unknown): DaytonaClient };
  return module.createClient({});
}

async function factoryWithFake(): Promise<DaytonaFactory> {
  return createDaytonaFactory({
    client: await fakeClient(),
    apiKey: 'test-key',
    apiUrl: 'https://daytona.example/api',
    target: 'eu',
    syncClientModule: fakeModule,
    cleanupOnExit: false,
    pollIntervalMs: 1,
    retry: { baseDelayMs: 1, maxDelayMs: 2 },
  });
}

describe('deleteSnapshotSync', () => {
  it('blocks until a worker process has deleted the snapshot with the factory’s connection settings', async () => {
    const factory = await factoryWithFake();
    const box = factory.fromImage({ image: 'debian:12' });
    await box.start();
    const id = await box.snapshot();
    expect(readState().snapshots[id]).toBeDefined();

    box.deleteSnapshotSync(id);
    expect(readState().snapshots[id]).toBeUndefined();
    const calls = workerCalls();
    expect(calls.map((call) => call.method)).toEqual(['createClient', 'snapshot.get', 'snapshot.delete']);
    expect(calls[0]?.args).toEqual([{ apiKey: 'test-key', apiUrl: 'https://daytona.example/api', target: 'eu' }]);
    expect(calls[2]?.args).toEqual([id]);
    expect(new Set(calls.map((call) => call.pid)).size).toBe(1);

    box.deleteSnapshotSync(id);
    await box.stop();
  });

  it('retries transient failures inside the worker', async () => {
    const factory = await factoryWithFake();
    const box = factory.fromImage({ image: 'debian:12' });
    await box.start();
    const id = await box.snapshot();
    const state = readState();
    state.failures = [
      { method: 'snapshot.delete', status: 503, message: 'busy', name: 'DaytonaServiceUnavailableError', times: 2 },
    ];
    writeFileSync(statePath, JSON.stringify(state));
    box.deleteSnapshotSync(id);
    expect(readState().snapshots[id]).toBeUndefined();
    expect(workerCalls().filter((call) => call.method === 'snapshot.delete')).toHaveLength(3);
    await box.stop();
  });

  it('throws the mapped error of a permanent failure, leaving the snapshot', async () => {
    const factory = await factoryWithFake();
    const box = factory.fromImage({ image: 'debian:12' });
    await box.start();
    const id = await box.snapshot();
    const state = readState();
    state.failures = [
      { method: 'snapshot.get', status: 401, message: 'Invalid API key', name: 'DaytonaAuthenticationError', times: 1 },
    ];
    writeFileSync(statePath, JSON.stringify(state));
    let error: unknown;
    try {
      box.deleteSnapshotSync(id);
    } catch (e) {
      error = e;
    }
    expect(BackendUnavailableError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('Invalid API key');
    expect(readState().snapshots[id]).toBeDefined();
    await box.stop();
  });

  it('refuses a foreign id synchronously without starting a worker', async () => {
    const factory = await factoryWithFake();
    const box = factory.fromImage({ image: 'debian:12' });
    expect(() => box.deleteSnapshotSync('debian:12')).toThrow(NotASnapshotError);
    expect(readState().calls.map((call) => call.method)).toEqual(['createClient']);
    expect(workerCalls()).toEqual([]);
  });
});

describe('stopAndRemoveSync', () => {
  it('blocks until the sandbox is deleted, and treats one already gone as removed', async () => {
    const factory = await factoryWithFake();
    const box = factory.fromImage({ image: 'debian:12' });
    await box.start();
    const id = box.sandboxId as string;
    box.stopAndRemoveSync();
    expect(box.state).toBe('stopped');
    expect(readState().sandboxes[id]).toBeUndefined();
    expect(workerCalls().map((call) => call.method)).toEqual(['createClient', 'daytona.get', 'sandbox.delete']);

    const other = factory.fromImage({ image: 'debian:12' });
    await other.start();
    const state = readState();
    delete state.sandboxes[other.sandboxId as string];
    writeFileSync(statePath, JSON.stringify(state));
    other.stopAndRemoveSync();
    expect(other.state).toBe('stopped');
  });
});

describe('runSyncJob', () => {
  it('reports a worker that cannot load its client as failed outcomes, not a crash', () => {
    const outcomes = runSyncJob({
      connection: {
        config: {},
        clientModule: join(dir, 'no-such-module.mjs'),
        retry: { attempts: 1, baseDelayMs: 0, maxDelayMs: 0 },
        timeoutMs: 30_000,
      },
      sandboxes: ['s-1'],
      snapshots: ['snapbox-0123abcd-4567-89ab-cdef-0123456789ab-1'],
    });
    expect(outcomes.map((outcome) => [outcome.kind, outcome.id, outcome.ok])).toEqual([
      ['sandbox', 's-1', false],
      ['snapshot', 'snapbox-0123abcd-4567-89ab-cdef-0123456789ab-1', false],
    ]);
  });

  it('fails with SYNC_CLEANUP_FAILED when the worker does not answer in time', () => {
    const slow = join(dir, 'slow-client.mjs');
    writeFileSync(
      slow,
      'export function createClient() { const end = Date.now() + 5000; while (Date.now() < end); }\n',
    );
    let error: unknown;
    try {
      runSyncJob({
        connection: {
          config: {},
          clientModule: slow,
          retry: { attempts: 1, baseDelayMs: 0, maxDelayMs: 0 },
          timeoutMs: 500,
        },
        sandboxes: ['s-1'],
        snapshots: [],
      });
    } catch (e) {
      error = e;
    }
    expect(SnapboxError.isInstance(error)).toBe(true);
    expect((error as SnapboxError).code).toBe('SYNC_CLEANUP_FAILED');
  });
});

describe('cleanup at exit', () => {
  function runScenario(mode: string) {
    const child = spawnSync(process.execPath, [exitScenario, mode], {
      env: { ...process.env, SNAPBOX_FAKE_DAYTONA_STATE: statePath },
      encoding: 'utf8',
      timeout: 60_000,
    });
    const created = JSON.parse(child.stdout.split('\n')[0] ?? '{}') as {
      sandbox: string;
      session: string;
      kept: string;
    };
    return { child, created, state: readState() };
  }

  it.each([
    ['exit', 'process.exit()', { status: 3, signal: null }],
    ['throw', 'an uncaught error', { status: 1, signal: null }],
    ['signal', 'SIGTERM', { status: null, signal: 'SIGTERM' }],
    ['end', 'the event loop running empty', { status: 0, signal: null }],
  ])('on %s (%s) removes the running sandbox and the session snapshots, and keeps the kept one', (mode, _, ending) => {
    const { child, created, state } = runScenario(mode);
    expect({ status: child.status, signal: child.signal }).toEqual(ending);
    expect(created.sandbox).toMatch(/^sandbox-/);
    expect(state.sandboxes).toEqual({});
    expect(Object.keys(state.snapshots)).toEqual([created.kept]);
    const cleanupPids = new Set(
      state.calls
        .filter((call) => call.method === 'sandbox.delete' || call.method === 'snapshot.delete')
        .map((call) => call.pid),
    );
    // In-process deletes (stop, deleteSnapshot) plus one worker for everything left at exit.
    expect(cleanupPids.size).toBe(2);
    expect(child.stderr).not.toContain('could not remove');
  });

  it('lets a program’s own exit handler remove everything with the synchronous methods', () => {
    const { child, state } = runScenario('handler');
    expect(child.status).toBe(0);
    expect(child.stdout.trim().split('\n').at(-1)).toBe('{"handlerDone":true}');
    expect(state.sandboxes).toEqual({});
    expect(state.snapshots).toEqual({});
    expect(child.stderr).toBe('');
  });
});
