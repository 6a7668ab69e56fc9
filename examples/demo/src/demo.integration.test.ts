import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBubblewrapAdmin } from '@snapbox/bubblewrap';
import type { AdminResource, BackendAdmin } from '@snapbox/core';
import { createDockerAdmin } from '@snapbox/docker';
import { runLabels } from '@snapbox/go-explore';
import { spawnNode } from '@snapbox/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import type { DemoRecord } from './run-record.js';

const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));

const start = (args: readonly string[], env: Record<string, string>) =>
  spawnNode(main, args, { env: { ...process.env, ...env } });

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
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the demo, on bubblewrap and Docker, interrupted and resumed', () => {
  let folder: string | undefined;
  let out = '';
  let admins: BackendAdmin[] = [];
  /** What the demo's runs left on either backend: resources labelled with a checkpoint of `out`. */
  const ofDemo = async (): Promise<AdminResource[]> => {
    const listed = await Promise.all(admins.map((admin) => admin.list()));
    return listed.flat().filter((resource) => (resource.labels[runLabels.checkpoint] ?? '').startsWith(out));
  };

  afterAll(async () => {
    for (const resource of out === '' ? [] : await ofDemo()) {
      const admin = admins.find((candidate) => candidate.backend === resource.backend) as BackendAdmin;
      await admin.prune({ allSessions: true, includeKept: true, filter: (candidate) => candidate.id === resource.id });
    }
    if (folder !== undefined) await rm(folder, { recursive: true, force: true });
  });

  it('Ctrl-C keeps the run; a kill loses at most an iteration; --resume says what it recovered and finishes', async () => {
    folder = await mkdtemp(join(tmpdir(), 'snapbox-demo-'));
    out = join(folder, 'out');
    const stateDir = join(folder, 'bubblewrap-state');
    const env = { SNAPBOX_BUBBLEWRAP_STATE_DIR: stateDir };
    admins = [createBubblewrapAdmin({ stateDir }), createDockerAdmin()];
    const bubblewrapCheckpoint = join(out, 'checkpoints', 'bubblewrap-seed-3.json');
    const dockerCheckpoint = join(out, 'checkpoints', 'docker-seed-3.json');
    // A shorter lock, one worker and two seeds: a quick run, still long enough to interrupt twice.
    const args = ['--positions', '6', '--workers', '1', '--seed', '3', '--seeds', '2', '--out', out];

    // Interrupted in the first run, on bubblewrap.
    const first = start(args, env);
    const atInterrupt = await waitForCheckpoint(bubblewrapCheckpoint, 2, first.child);
    first.child.kill('SIGINT');
    const interrupted = await first.ended;
    expect(interrupted.code, interrupted.stderr).toBe(130);
    expect(interrupted.stdout).toMatch(/backend bubblewrap: .*bubblewrap-state/);
    expect(interrupted.stderr).toMatch(/interrupted, saving the run/);
    expect(interrupted.stdout).toMatch(
      /go-explore on bubblewrap, seed 3: interrupted after \d+ iterations.*npm run demo -- --resume/,
    );
    expect(interrupted.stdout).toMatch(
      /leftovers of this run on bubblewrap: 0 containers, 0 snapshots; \d+ snapshots kept for --resume/,
    );
    expect(interrupted.stdout).toMatch(/leftovers of this run on Docker: 0 containers, 0 snapshots\n/);
    expect(await savedIterations(bubblewrapCheckpoint)).toBeGreaterThanOrEqual(atInterrupt);

    // Resumed: the bubblewrap run goes on to the end, then it is killed in the Docker run.
    const second = start([...args, '--resume'], env);
    const beforeKill = await waitForCheckpoint(dockerCheckpoint, 3, second.child);
    second.child.kill('SIGKILL');
    const killed = await second.ended;
    expect(killed.signal, `${killed.stdout}\n${killed.stderr}`).toBe('SIGKILL');
    expect(killed.stdout).toContain(`resumed from ${bubblewrapCheckpoint}`);
    expect(killed.stdout).toMatch(/go-explore on bubblewrap, seed 3: OPENED after \d+ steps/);
    const saved = await savedIterations(dockerCheckpoint);
    expect(saved).toBeGreaterThanOrEqual(beforeKill);

    const last = await start([...args, '--resume'], env).ended;
    expect(last.code, `${last.stdout}\n${last.stderr}`).toBe(0);
    expect(last.stdout).toMatch(/go-explore on bubblewrap, seed 3: done before the interruption/);
    expect(last.stdout).toContain(`resumed from ${dockerCheckpoint}`);
    expect(last.stdout).toMatch(new RegExp(`recovered ${saved} iterations, \\d+ steps, \\d+ cells`));
    expect(last.stdout).toMatch(/go-explore on Docker, seed 3: OPENED/);
    expect(last.stdout).toMatch(/go-explore on bubblewrap, seed 4: OPENED/);
    expect(last.stdout).toMatch(/lock status -> position 6\/6: OPEN/);
    // Returns per second, side by side.
    expect(last.stdout).toMatch(/returns per second +\d+(\.\d+)? +\d+(\.\d+)?\n/);
    expect(last.stdout).toMatch(/leftovers of this run on bubblewrap: 0 containers, 0 snapshots\n/);
    expect(last.stdout).toMatch(/leftovers of this run on Docker: 0 containers, 0 snapshots\n/);
    expect(await readdir(join(out, 'checkpoints'))).toEqual([]);

    // The run record holds every run, and the charts were drawn from it.
    const record = JSON.parse(await readFile(join(out, 'run.json'), 'utf8')) as DemoRecord;
    expect(record.complete).toBe(true);
    expect(record.goExplore.map((run) => `${run.backend} ${run.seed} ${run.opened}`)).toEqual([
      'bubblewrap 3 true',
      'docker 3 true',
      'bubblewrap 4 true',
    ]);
    expect(record.goExplore[0]?.resumed?.iterations).toBeGreaterThanOrEqual(atInterrupt);
    expect(record.goExplore[1]?.resumed?.iterations).toBe(saved);
    expect(record.goExplore.every((run) => run.returnsPerSecond > 0 && run.cellsHistory.length === 7)).toBe(true);
    expect(record.baseline.map((run) => `${run.backend} ${run.seed}`)).toEqual(['bubblewrap 3', 'bubblewrap 4']);
    expect(record.replay).toMatchObject({ backend: 'bubblewrap', reproduced: true });
    for (const chart of ['progress.svg', 'cells.svg', 'time.svg']) {
      const svg = await readFile(join(out, chart), 'utf8');
      expect(svg).toMatch(/^<svg xmlns/);
      expect(svg).toContain('data-series=');
    }
    expect(await readFile(join(out, 'time.svg'), 'utf8')).toContain('data-series="Docker"');

    // The killed run's containers go once its watchdog has seen it die; its snapshots went with the run.
    const deadline = Date.now() + 20_000;
    while ((await ofDemo()).length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(await ofDemo()).toEqual([]);
  });
});
