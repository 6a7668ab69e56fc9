import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDockerFactory } from '@snapbox/docker';
import { runLabels } from '@snapbox/go-explore';
import { afterAll, describe, expect, it } from 'vitest';

const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function start(args: readonly string[]): { child: ChildProcess; ended: Promise<Ended> } {
  const child = spawn(process.execPath, [main, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const ended = new Promise<Ended>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, ended };
}

/** Iterations saved in the checkpoint, or -1 while there is none. */
async function savedIterations(path: string): Promise<number> {
  try {
    return (JSON.parse(await readFile(path, 'utf8')) as { counters: { iterations: number } }).counters.iterations;
  } catch {
    return -1;
  }
}

/** Resolves once the checkpoint holds at least `iterations` iterations (or the child ended). */
async function waitForCheckpoint(path: string, iterations: number, child: ChildProcess): Promise<number> {
  for (;;) {
    const saved = await savedIterations(path);
    if (saved >= iterations || child.exitCode !== null) return saved;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('the demo, interrupted and resumed', () => {
  const docker = createDockerFactory({ pull: 'never' }).docker;
  let folder: string | undefined;
  let checkpoint = '';
  const ofRun = async () => {
    const filters = { label: [`${runLabels.checkpoint}=${checkpoint}`] };
    const [containers, images] = await Promise.all([
      docker.listContainers({ all: true, filters }),
      docker.listImages({ all: true, filters }),
    ]);
    return { containers: containers.length, images: images.length };
  };

  afterAll(async () => {
    if (checkpoint !== '') {
      for (const image of await docker.listImages({ filters: { label: [`${runLabels.checkpoint}=${checkpoint}`] } })) {
        await docker
          .getImage(image.Id)
          .remove({ force: true })
          .catch(() => {});
      }
    }
    if (folder !== undefined) await rm(folder, { recursive: true, force: true });
  });

  it('Ctrl-C keeps the run; a kill loses at most an iteration; --resume says what it recovered and finishes', async () => {
    folder = await mkdtemp(join(tmpdir(), 'snapbox-demo-'));
    checkpoint = join(folder, 'checkpoint.json');
    // A shorter lock and one worker: a quick run, still long enough to interrupt twice.
    const args = ['--positions', '6', '--workers', '1', '--seed', '3', '--checkpoint', checkpoint];

    const first = start(args);
    const atInterrupt = await waitForCheckpoint(checkpoint, 2, first.child);
    first.child.kill('SIGINT');
    const interrupted = await first.ended;
    expect(interrupted.code, interrupted.stderr).toBe(130);
    expect(interrupted.stderr).toMatch(/interrupted, saving the run/);
    expect(interrupted.stdout).toMatch(/go-explore: interrupted after \d+ iterations.*npm run demo -- --resume/);
    expect(interrupted.stdout).toMatch(
      /leftovers of this run: 0 containers, 0 images; \d+ snapshots kept for --resume/,
    );
    expect(await savedIterations(checkpoint)).toBeGreaterThanOrEqual(atInterrupt);

    const second = start([...args, '--resume']);
    const beforeKill = await waitForCheckpoint(checkpoint, atInterrupt + 3, second.child);
    second.child.kill('SIGKILL');
    const killed = await second.ended;
    expect(killed.signal).toBe('SIGKILL');
    expect(killed.stdout).toMatch(/resumed from .*recovered \d+ iterations/);
    const saved = await savedIterations(checkpoint);
    expect(saved).toBeGreaterThanOrEqual(beforeKill);

    const last = await start([...args, '--resume']).ended;
    expect(last.code, `${last.stdout}\n${last.stderr}`).toBe(0);
    expect(last.stdout).toContain(`resumed from ${checkpoint}`);
    expect(last.stdout).toMatch(new RegExp(`recovered ${saved} iterations, \\d+ steps, \\d+ cells`));
    expect(last.stdout).toMatch(/go-explore: OPENED/);
    expect(last.stdout).toMatch(/lock status -> position 6\/6: OPEN/);
    expect(last.stdout).toMatch(/leftovers of this run: 0 containers, 0 images\n/);
    await expect(stat(checkpoint)).rejects.toThrow(/ENOENT/);
    // The killed run's containers go once its watchdog has seen it die; its snapshots went with the run.
    const deadline = Date.now() + 20_000;
    while ((await ofRun()).containers > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(await ofRun()).toEqual({ containers: 0, images: 0 });
  });
});
