import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDockerFactory } from '@snapbox/docker';
import { tinyImage } from '@snapbox/test-support';
import { afterAll, describe, expect, it } from 'vitest';
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

/** Runs the child; with `killAtStep`, SIGKILLs it as soon as it reports that step. */
function runChild(mode: 'fresh' | 'resume' | 'reference', path: string, killAtStep?: number): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [childScript, mode, path, image], { stdio: ['ignore', 'pipe', 'pipe'] });
    const run: ChildRun = { steps: 0, result: undefined, code: null, signal: null, stderr: '' };
    let buffered = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        const line = JSON.parse(buffered.slice(0, newline)) as { step?: number; result?: Summary };
        buffered = buffered.slice(newline + 1);
        if (line.step !== undefined) {
          run.steps = line.step;
          if (line.step === killAtStep) child.kill('SIGKILL');
        }
        if (line.result !== undefined) run.result = line.result;
        newline = buffered.indexOf('\n');
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      run.stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ ...run, code, signal }));
  });
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

describe('checkpoints on Docker, across processes', () => {
  const docker = createDockerFactory({ pull: 'never' }).docker;
  let folder: string | undefined;
  let runId: string | undefined;

  const leftovers = async (): Promise<{ containers: number; images: number }> => {
    const filters = { label: [`${runLabels.run}=${runId}`] };
    const [containers, images] = await Promise.all([
      docker.listContainers({ all: true, filters }),
      docker.listImages({ all: true, filters }),
    ]);
    return { containers: containers.length, images: images.length };
  };

  afterAll(async () => {
    // Leave nothing behind even if an assertion failed half-way.
    if (runId !== undefined) {
      const filters = { label: [`${runLabels.run}=${runId}`] };
      for (const container of await docker.listContainers({ all: true, filters })) {
        await docker
          .getContainer(container.Id)
          .remove({ force: true })
          .catch(() => {});
      }
      for (const leftover of await docker.listImages({ all: true, filters })) {
        await docker
          .getImage(leftover.Id)
          .remove({ force: true })
          .catch(() => {});
      }
    }
    if (folder !== undefined) await rm(folder, { recursive: true, force: true });
  });

  it('a seeded run SIGKILLed at several points and resumed each time ends with the archive of the run never interrupted', async () => {
    const reference = await runChild('reference', '');
    expect(reference.stderr).toBe('');
    expect(reference.code).toBe(0);
    expect(reference.result?.cells.length).toBeGreaterThan(2);

    folder = await mkdtemp(join(tmpdir(), 'go-explore-sigkill-'));
    const path = join(folder, 'run.json');
    const iterationsSaved = async (): Promise<number> =>
      (JSON.parse(await readFile(path, 'utf8')) as { counters: { iterations: number } }).counters.iterations;

    // In the first iteration, then at the 20th and 31st steps of the next processes: each kill
    // lands wherever the child is then (in a step, a snapshot, a checkpoint write, a return).
    const first = await runChild('fresh', path, 2);
    expect(first.signal).toBe('SIGKILL');
    runId = (JSON.parse(await readFile(path, 'utf8')) as { runId: string }).runId;
    const progress = [await iterationsSaved()];
    for (const killAt of [20, 31]) {
      const killed = await runChild('resume', path, killAt);
      expect(killed.signal, killed.stderr).toBe('SIGKILL');
      progress.push(await iterationsSaved());
    }
    expect(progress[1]).toBeGreaterThan(progress[0] as number);
    expect(progress[2]).toBeGreaterThan(progress[1] as number);
    // What the killed processes left: the checkpoint's snapshots, kept, under the run's label.
    expect((await leftovers()).images).toBeGreaterThan(0);

    const last = await runChild('resume', path);
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
    expect(await leftovers()).toEqual({ containers: 0, images: 0 });
  }, 600_000);
});
