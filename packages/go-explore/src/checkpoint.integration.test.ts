import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAdmin as createBubblewrapAdmin } from '@snapbox/bubblewrap/admin';
import type { BackendAdmin } from '@snapbox/core';
import { createAdmin as createDockerAdmin } from '@snapbox/docker/admin';
import { spawnNode, tinyImage } from '@snapbox/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { journalPath, runLabels } from './checkpoint-file.js';

const image = tinyImage;
const childScript = fileURLToPath(new URL('./test-support/checkpoint-child.mjs', import.meta.url));

/** What the child prints at the end (see checkpoint-child.mjs). */
interface Summary {
  cells: Record<string, unknown>[];
  steps: number;
  iterations: number;
  returns: number;
  snapshotsTaken: number;
  snapshotsDeleted: number;
  resumed?: { iterations: number; steps: number; cells: number; orphansDeleted: number };
  checkpointPath?: string;
}

interface ChildRun {
  steps: number;
  result: Summary | undefined;
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

type Backend = 'docker' | 'bubblewrap';

/** Runs the child; with `killAtStep`, SIGKILLs it as soon as it reports that step. */
async function runChild(
  backend: Backend,
  env: Record<string, string>,
  mode: 'fresh' | 'resume' | 'reference',
  path: string,
  killAtStep?: number,
): Promise<ChildRun> {
  let steps = 0;
  let result: Summary | undefined;
  const run = spawnNode(childScript, [mode, path, image, backend], {
    env: { ...process.env, ...env },
    onLine: (text) => {
      const line = JSON.parse(text) as { step?: number; result?: Summary };
      if (line.step !== undefined) {
        steps = line.step;
        if (line.step === killAtStep) run.child.kill('SIGKILL');
      }
      if (line.result !== undefined) result = line.result;
    },
  });
  const { code, signal, stderr } = await run.ended;
  return { steps, result, code, signal, stderr };
}

function fingerprint(summary: Summary | undefined) {
  expect(summary).toBeDefined();
  const { cells, steps, iterations, returns, snapshotsTaken, snapshotsDeleted } = summary as Summary;
  return { cells, steps, iterations, returns, snapshotsTaken, snapshotsDeleted };
}

const exists = (path: string): Promise<boolean> =>
  stat(path).then(
    () => true,
    () => false,
  );

// Every backend whose snapshots outlive the process (`keep: true`) is held to the same promise.
describe.each<Backend>(['docker', 'bubblewrap'])('checkpoints on %s, across processes', (backend) => {
  let folder: string | undefined;
  let runId: string | undefined;
  /** The environment of every child: bubblewrap's state folder, inside the test's folder. */
  let env: Record<string, string> = {};
  let admin: BackendAdmin;

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), `go-explore-sigkill-${backend}-`));
    const stateDir = join(folder, 'bubblewrap-state');
    env = backend === 'bubblewrap' ? { SNAPBOX_BUBBLEWRAP_STATE_DIR: stateDir } : {};
    admin = backend === 'bubblewrap' ? createBubblewrapAdmin({ stateDir }) : createDockerAdmin();
  });

  /** What is left of the run, through the backend's admin (what `snapbox ls` shows under the run). */
  const leftovers = async (): Promise<{ containers: number; snapshots: number }> => {
    const resources = await admin.list({ labels: { [runLabels.run]: runId as string } });
    return {
      containers: resources.filter((resource) => resource.kind === 'container').length,
      snapshots: resources.filter((resource) => resource.kind === 'snapshot').length,
    };
  };

  afterAll(async () => {
    // Leave nothing behind even if an assertion failed half-way.
    if (runId !== undefined) {
      await admin.prune({ labels: { [runLabels.run]: runId }, allSessions: true, includeKept: true });
    }
    if (folder !== undefined) await rm(folder, { recursive: true, force: true });
  });

  it('a seeded run SIGKILLed at several points and resumed each time ends with the archive of the run never interrupted', async () => {
    const reference = await runChild(backend, env, 'reference', '');
    expect(reference.stderr).toBe('');
    expect(reference.code).toBe(0);
    expect(reference.result?.cells.length).toBeGreaterThan(2);

    const path = join(folder as string, 'run.json');
    const iterationsSaved = async (): Promise<number> =>
      (JSON.parse(await readFile(path, 'utf8')) as { counters: { iterations: number } }).counters.iterations;

    // In the first iteration, then at the 20th and 31st steps of the next processes: each kill
    // lands wherever the child is then (in a step, a snapshot, a checkpoint write, a return).
    const first = await runChild(backend, env, 'fresh', path, 2);
    expect(first.signal).toBe('SIGKILL');
    runId = (JSON.parse(await readFile(path, 'utf8')) as { runId: string }).runId;
    const progress = [await iterationsSaved()];
    for (const killAt of [20, 31]) {
      const killed = await runChild(backend, env, 'resume', path, killAt);
      expect(killed.signal, killed.stderr).toBe('SIGKILL');
      progress.push(await iterationsSaved());
    }
    expect(progress[1]).toBeGreaterThan(progress[0] as number);
    expect(progress[2]).toBeGreaterThan(progress[1] as number);
    // What the killed processes left: the checkpoint's snapshots, kept, under the run's label.
    expect((await leftovers()).snapshots).toBeGreaterThan(0);

    const last = await runChild(backend, env, 'resume', path);
    expect(last.stderr).toBe('');
    expect(last.code).toBe(0);
    expect(last.result?.resumed?.iterations).toBe(progress[2]);
    expect(fingerprint(last.result)).toEqual(fingerprint(reference.result));

    // The run ended normally: its checkpoint, journal and snapshots are gone, and the killed
    // processes' containers once their watchdogs have seen them die.
    expect(last.result?.checkpointPath).toBeUndefined();
    expect(await exists(path)).toBe(false);
    expect(await exists(journalPath(path))).toBe(false);
    const deadline = Date.now() + 20_000;
    while ((await leftovers()).containers > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(await leftovers()).toEqual({ containers: 0, snapshots: 0 });
  }, 600_000);
});
