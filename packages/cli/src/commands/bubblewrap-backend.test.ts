import { execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goExploreLabels } from './go-explore-runs.js';

/**
 * `snapbox` over the bubblewrap backend, through the built bin as a user runs it: the backend is
 * found by its package.json (`SNAPBOX_BACKENDS` names it, so this file sees no other backend), and
 * it looks in the state folder named by `SNAPBOX_BUBBLEWRAP_STATE_DIR`, as the programs that made
 * the resources did.
 */

const tinyImage = 'snapbox-fixture/tiny:1';
const bin = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));
const packageDir = fileURLToPath(new URL('../../', import.meta.url));

interface Orphans {
  session: string;
  containers: string[];
  parent: string;
  child: string;
  kept: string;
}

type Listed = {
  id: string;
  kind: string;
  backend: string;
  keep?: boolean;
  parentSnapshot?: string;
  owner: { session: string; liveness: string };
  labels: Record<string, string>;
};

let stateDir: string;
let folder: string;
let checkpoint: string;
let orphans: Orphans;
let runId: string;

const env = () => ({ ...process.env, SNAPBOX_BACKENDS: '@snapbox/bubblewrap', SNAPBOX_BUBBLEWRAP_STATE_DIR: stateDir });

function snapbox(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { encoding: 'utf8', env: env(), cwd: packageDir },
      (error, stdout, stderr) =>
        resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr }),
    );
  });
}

/** Runs a test-support script until `ready` says so, then SIGKILLs it (its watchdog is off). */
async function runAndKill(script: string, args: string[], ready: (stdout: string) => boolean): Promise<string> {
  const path = fileURLToPath(new URL(`../test-support/${script}`, import.meta.url));
  const child = spawn(process.execPath, [path, ...args], { stdio: ['ignore', 'pipe', 'inherit'], env: env() });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stdout = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (ready(out)) resolve(out);
    });
    child.once('exit', () => reject(new Error(`${script} ended before it was killed`)));
  });
  child.kill('SIGKILL');
  await exited;
  return stdout;
}

/** What is left in the state folder besides the image cache. */
function stored(): { containers: number; snapshots: number; layers: number } {
  const count = (name: string) => {
    try {
      return readdirSync(join(stateDir, name)).filter((entry) => !entry.startsWith('.')).length;
    } catch {
      return 0;
    }
  };
  return { containers: count('containers'), snapshots: count('snapshots'), layers: count('layers') };
}

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'snapbox-cli-bwrap-'));
  folder = await mkdtemp(join(tmpdir(), 'snapbox-cli-bwrap-run-'));
  checkpoint = join(folder, 'run.checkpoint.json');
  const made = await runAndKill('orphan-maker.mjs', [tinyImage, 'bubblewrap'], (out) => out.includes('\n'));
  orphans = JSON.parse(made.split('\n')[0] as string) as Orphans;
  // A checkpointed Go-Explore run, a few iterations in: checkpoints written, snapshots kept.
  await runAndKill(
    'go-explore-run.mjs',
    [tinyImage, checkpoint, 'bubblewrap'],
    (out) => out.split('\n').filter((line) => line.includes('"step"')).length >= 8 && existsSync(checkpoint),
  );
  runId = (JSON.parse(await readFile(checkpoint, 'utf8')) as { runId: string }).runId;
}, 120_000);

afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
  await rm(stateDir, { recursive: true, force: true });
});

describe('snapbox with the bubblewrap backend', () => {
  it('backends: finds it by its package.json and names the state folder it looks at', async () => {
    const result = await snapbox('backends', '--json');
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual([
      expect.objectContaining({
        backend: 'bubblewrap',
        package: '@snapbox/bubblewrap',
        via: 'SNAPBOX_BACKENDS',
        target: `${stateDir}, from SNAPBOX_BUBBLEWRAP_STATE_DIR`,
        configured: true,
        module: expect.stringMatching(/@snapbox\/bubblewrap\/dist\/admin\.js$/),
      }),
    ]);
  });

  it("ls: a SIGKILLed owner's containers and snapshots, with lineage, and the Go-Explore run under its id", async () => {
    const result = await snapbox('ls', '--json');
    expect(result.code, result.stderr).toBe(0);
    const listing = JSON.parse(result.stdout) as { containers: Listed[]; snapshots: Listed[] };
    const all = [...listing.containers, ...listing.snapshots];
    expect(all.every((resource) => resource.backend === 'bubblewrap' && resource.owner.liveness === 'dead')).toBe(true);
    const mine = all.filter((resource) => resource.owner.session === orphans.session);
    expect(mine.map((resource) => `${resource.kind} ${resource.id}`).sort()).toEqual(
      [
        ...orphans.containers.map((id) => `container ${id}`),
        ...[orphans.parent, orphans.child, orphans.kept].map((id) => `snapshot ${id}`),
      ].sort(),
    );
    expect(listing.containers.find((c) => c.id === orphans.containers[1])?.parentSnapshot).toBe(orphans.parent);
    expect(listing.snapshots.find((s) => s.id === orphans.child)?.parentSnapshot).toBe(orphans.parent);
    expect(listing.snapshots.find((s) => s.id === orphans.kept)?.keep).toBe(true);

    // The run: its snapshots are kept (for a resume) and carry the run's labels, as its containers do.
    const ofRun = all.filter((resource) => resource.labels[goExploreLabels.run] === runId);
    const runSnapshots = ofRun.filter((resource) => resource.kind === 'snapshot');
    expect(runSnapshots.length).toBeGreaterThan(1);
    expect(runSnapshots.every((snapshot) => snapshot.keep === true)).toBe(true);
    expect(ofRun.some((resource) => resource.kind === 'container')).toBe(true);
    expect(ofRun.every((resource) => resource.labels[goExploreLabels.checkpoint] === checkpoint)).toBe(true);

    const table = await snapbox('ls');
    expect(table.code).toBe(0);
    const header = table.stdout.indexOf(`run ${runId}: `);
    expect(header).toBeGreaterThan(table.stdout.indexOf('GO-EXPLORE RUNS ('));
    expect(table.stdout.slice(header).split('\n')[0]).toContain(`; checkpoint ${checkpoint}`);
    for (const snapshot of runSnapshots) expect(table.stdout.indexOf(snapshot.id)).toBeGreaterThan(header);
    // The child snapshot is drawn under its parent.
    const lines = table.stdout.split('\n');
    const parentLine = lines.findIndex((line) => line.startsWith(orphans.parent));
    expect(parentLine).toBeGreaterThan(-1);
    expect(lines.slice(parentLine + 1).some((line) => line.includes(`└ ${orphans.child}`))).toBe(true);
  });

  it('prune: dead owners first, then the run with --run, then kept snapshots; the state folder ends empty', async () => {
    const before = stored();
    const dry = await snapbox('prune', '--dry-run', '--json');
    expect(dry.code, dry.stderr).toBe(0);
    const planned = JSON.parse(dry.stdout) as { containers: Listed[]; snapshots: Listed[] };
    expect(planned.containers.map((c) => c.id)).toEqual(expect.arrayContaining(orphans.containers));
    // Session snapshots only: no kept one, so none of the run's.
    expect(planned.snapshots.map((s) => s.id).sort()).toEqual([orphans.child, orphans.parent].sort());
    expect(stored()).toEqual(before);

    const pruned = await snapbox('prune');
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(pruned.stdout).toMatch(/removed [2-9] container\(s\) and 2 snapshot\(s\)/);
    expect(stored().containers).toBe(0);

    const run = await snapbox('prune', '--run', runId, '--yes');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/removed 0 container\(s\) and [2-9]\d* snapshot\(s\)/);
    const left = JSON.parse((await snapbox('ls', '--json')).stdout) as { containers: Listed[]; snapshots: Listed[] };
    expect(left.containers).toEqual([]);
    expect(left.snapshots.map((s) => s.id)).toEqual([orphans.kept]);

    const kept = await snapbox('prune', '--include-kept');
    expect(kept.code, kept.stderr).toBe(0);
    expect(stored()).toEqual({ containers: 0, snapshots: 0, layers: 0 });
  });
});
