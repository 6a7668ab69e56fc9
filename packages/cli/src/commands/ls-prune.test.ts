import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { snapboxLabels } from '@snapbox/core';
import { createDockerFactory } from '@snapbox/docker';
import { tinyImage } from '@snapbox/test-support';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runCliWith } from '../test-support/run-cli.js';
import { goExploreLabels } from './go-explore-runs.js';
import { notConfirmedExitCode } from './prune.js';

const engine = new Docker();

interface Orphans {
  session: string;
  containers: string[];
  parent: string;
  child: string;
  kept: string;
}

/** A process that made containers and snapshots (watchdog off) and keeps running. */
async function startOwner(): Promise<{ report: Orphans; child: ChildProcess; kill(): Promise<void> }> {
  const script = fileURLToPath(new URL('../test-support/orphan-maker.mjs', import.meta.url));
  const child = spawn(process.execPath, [script, tinyImage], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const report = await new Promise<Orphans>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0] as string) as Orphans);
    });
    child.once('exit', () => reject(new Error('orphan maker ended early')));
  });
  const kill = async () => {
    child.kill('SIGKILL');
    await exited;
  };
  return { report, child, kill };
}

/** Resources of a process that was SIGKILLed with no watchdog: what prune exists for. */
async function makeOrphans(): Promise<Orphans> {
  const owner = await startOwner();
  await owner.kill();
  return owner.report;
}

const exists = async (kind: 'container' | 'image', id: string) =>
  (kind === 'container' ? engine.getContainer(id).inspect() : engine.getImage(id).inspect()).then(
    () => true,
    () => false,
  );

let orphans: Orphans;
const live = createDockerFactory().fromImage({ image: tinyImage });
let liveSnapshot = '';
const outsider = { container: '', image: 'snapbox-cli-outsider:1' };

beforeAll(async () => {
  orphans = await makeOrphans();
  await live.start();
  liveSnapshot = await live.snapshot();
  await engine.getImage(tinyImage).tag({ repo: 'snapbox-cli-outsider', tag: '1' });
  // Carries a label with our prefix but not the managed marker: still not ours.
  const container = await engine.createContainer({
    Image: tinyImage,
    Cmd: ['sleep', '600'],
    Labels: { [snapboxLabels.session]: orphans.session },
  });
  outsider.container = container.id;
}, 120_000);

afterAll(async () => {
  await live.deleteSnapshot(liveSnapshot);
  await live.stop();
  await engine.getContainer(outsider.container).remove({ force: true });
  await engine.getImage(outsider.image).remove();
  await engine
    .getImage(orphans.kept)
    .remove()
    .catch(() => undefined);
});

describe('snapbox ls', () => {
  it('lists our containers and snapshots with owner, liveness and lineage', async () => {
    const result = await runCli('ls', '--json');
    expect(result.code).toBe(0);
    const listing = JSON.parse(result.stdout) as {
      containers: { id: string; owner: { session: string; liveness: string }; parentSnapshot?: string }[];
      snapshots: {
        id: string;
        owner: { liveness: string; isCurrentProcess: boolean };
        parentSnapshot?: string;
        keep: boolean;
        sizeBytes: number;
      }[];
    };
    const orphanContainers = listing.containers.filter((c) => orphans.containers.includes(c.id));
    expect(orphanContainers).toHaveLength(2);
    expect(orphanContainers.every((c) => c.owner.liveness === 'dead')).toBe(true);
    expect(orphanContainers.find((c) => c.id === orphans.containers[1])?.parentSnapshot).toBe(orphans.parent);
    const child = listing.snapshots.find((s) => s.id === orphans.child);
    expect(child?.parentSnapshot).toBe(orphans.parent);
    expect(child?.sizeBytes).toBeGreaterThan(0);
    expect(listing.snapshots.find((s) => s.id === orphans.kept)?.keep).toBe(true);
    expect(listing.snapshots.find((s) => s.id === liveSnapshot)?.owner).toMatchObject({
      liveness: 'alive',
      isCurrentProcess: true,
    });
    expect(listing.containers.some((c) => c.id === outsider.container)).toBe(false);

    const table = await runCli('ls');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/CONTAINERS \(\d+\)/);
    // The child snapshot is drawn under its parent.
    const lines = table.stdout.split('\n');
    const parentLine = lines.findIndex((line) => line.startsWith(orphans.parent));
    expect(parentLine).toBeGreaterThan(-1);
    expect(lines.slice(parentLine + 1).some((line) => line.includes(`└ ${orphans.child}`))).toBe(true);
  });
});

describe('snapbox prune', () => {
  it('--dry-run shows what belongs to dead owners and removes nothing', async () => {
    const result = await runCli('prune', '--dry-run', '--json');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as {
      dryRun: boolean;
      containers: { id: string }[];
      snapshots: { id: string }[];
    };
    expect(report.dryRun).toBe(true);
    expect(report.containers.map((c) => c.id).sort()).toEqual(expect.arrayContaining([...orphans.containers].sort()));
    const snapshotIds = report.snapshots.map((s) => s.id);
    expect(snapshotIds).toEqual(expect.arrayContaining([orphans.parent, orphans.child]));
    expect(snapshotIds).not.toContain(orphans.kept);
    expect(snapshotIds).not.toContain(liveSnapshot);
    for (const id of orphans.containers) expect(await exists('container', id)).toBe(true);
  });

  it('removes what belongs to dead owners, leaving live, kept and foreign resources alone', async () => {
    const result = await runCli('prune');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/removed \d+ container\(s\) and \d+ snapshot\(s\)/);
    expect(result.stderr).toContain('removing container');
    for (const id of orphans.containers) expect(await exists('container', id)).toBe(false);
    expect(await exists('image', orphans.parent)).toBe(false);
    expect(await exists('image', orphans.child)).toBe(false);
    expect(await exists('image', orphans.kept)).toBe(true);
    expect(await exists('image', liveSnapshot)).toBe(true);
    expect(await exists('container', live.id as string)).toBe(true);
    expect(await exists('container', outsider.container)).toBe(true);
    expect(await exists('image', outsider.image)).toBe(true);
    expect(await exists('image', tinyImage)).toBe(true);

    const kept = await runCli('prune', '--include-kept', '--json');
    expect(kept.code).toBe(0);
    expect(await exists('image', orphans.kept)).toBe(false);
  });

  it('--include-builds lists and removes unused build-cache images, and only with the flag', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'snapbox-cli-build-'));
    try {
      await writeFile(join(dir, 'Dockerfile'), `FROM ${tinyImage}\nRUN echo cli > /built\n`);
      const box = createDockerFactory().fromDockerfile({ dockerfilePath: join(dir, 'Dockerfile') });
      await box.start();
      const imageId = (await engine.getContainer(box.id as string).inspect()).Image;
      await box.stop();

      const listing = JSON.parse((await runCli('ls', '--json')).stdout) as { builds: { imageId: string }[] };
      expect(listing.builds.map((b) => b.imageId)).toContain(imageId);
      const without = await runCli('prune', '--json');
      expect((JSON.parse(without.stdout) as { builds: unknown[] }).builds).toEqual([]);
      expect(await exists('image', imageId)).toBe(true);

      const result = await runCli('prune', '--include-builds');
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/removed \d+ container\(s\), \d+ snapshot\(s\) and [1-9]\d* build\(s\)/);
      expect(await exists('image', imageId)).toBe(false);
      expect(await exists('image', tinyImage)).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects a malformed duration and reports an unreachable engine', async () => {
    const bad = await runCli('prune', '--older-than', 'soon');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--older-than/);
    const previous = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = 'unix:///tmp/snapbox-no-engine.sock';
    try {
      const offline = await runCli('ls');
      expect(offline.code).toBe(1);
      expect(offline.stderr).toContain('/tmp/snapbox-no-engine.sock');
    } finally {
      if (previous === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = previous;
    }
  });
});

describe('snapbox prune --all-sessions', () => {
  // A live process's resources. Every command keeps to its session (--session), so the
  // resources of other live programs on this shared engine are listed at most, never removed.
  let owner: Awaited<ReturnType<typeof startOwner>>;
  let session: string;
  const extra = { container: '' };

  beforeAll(async () => {
    owner = await startOwner();
    session = owner.report.session;
  }, 120_000);

  afterAll(async () => {
    await owner.kill();
    // Whatever a failing test left behind.
    await runCliWith({}, 'prune', '--all-sessions', '--yes', '--include-kept', '--session', session);
    if (extra.container !== '') {
      await engine
        .getContainer(extra.container)
        .remove({ force: true })
        .catch(() => undefined);
    }
  });

  const all = () => [
    ...owner.report.containers.map((id) => exists('container', id)),
    ...[owner.report.parent, owner.report.child, owner.report.kept].map((id) => exists('image', id)),
  ];

  it('without --yes and without a terminal, shows what it would remove, removes nothing and exits 3', async () => {
    const result = await runCli('prune', '--all-sessions', '--session', session);
    expect(result.code).toBe(notConfirmedExitCode);
    for (const id of owner.report.containers) expect(result.stdout).toContain(id.slice(0, 12));
    expect(result.stdout).toContain(owner.report.parent);
    expect(result.stdout).toContain(owner.report.child);
    expect(result.stdout).not.toContain(owner.report.kept);
    expect(result.stdout).toMatch(/would remove 2 container\(s\) and 2 snapshot\(s\)\n$/);
    expect(result.stderr).toContain('nothing was removed. Pass --yes to remove the above');
    expect(await Promise.all(all())).toEqual([true, true, true, true, true]);

    const json = await runCli('prune', '--all-sessions', '--session', session, '--json');
    expect(json.code).toBe(notConfirmedExitCode);
    const report = JSON.parse(json.stdout) as { dryRun: boolean; containers: { id: string }[] };
    expect(report.dryRun).toBe(true);
    expect(report.containers.map((c) => c.id).sort()).toEqual([...owner.report.containers].sort());

    // A pipe is not a person: a "y" from it is not read.
    const piped = new PassThrough();
    piped.end('y\n');
    expect((await runCliWith({ stdin: piped }, 'prune', '--all-sessions', '--session', session)).code).toBe(
      notConfirmedExitCode,
    );
    // Nothing selected still needs --yes: a script that forgot it fails every time.
    const none = await runCli('prune', '--all-sessions', '--session', 'no-such-session');
    expect(none.code).toBe(notConfirmedExitCode);
    expect(none.stdout).toBe('would remove 0 container(s) and 0 snapshot(s)\n');
    expect(await Promise.all(all())).toEqual([true, true, true, true, true]);
  });

  it('on a terminal, asks and removes nothing when the answer is no (the built bin, under a pty)', async () => {
    const bin = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));
    const command = `'${process.execPath}' '${bin}' prune --all-sessions --session '${session}'`;
    // script(1) runs the command on a pseudo-terminal, so its stdin is a TTY, as for a person.
    const child = spawn('script', ['-qec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    const code = await new Promise<number | null>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Remove them? [y/N] ') && child.stdin.writable) child.stdin.end('n\n');
      });
      child.once('error', reject);
      child.once('close', resolve);
    });
    expect(code).toBe(notConfirmedExitCode);
    for (const id of owner.report.containers) expect(output).toContain(id.slice(0, 12));
    expect(output).toContain('would remove 2 container(s) and 2 snapshot(s) (with --all-sessions');
    expect(output).toContain('not confirmed; nothing was removed');
    expect(await Promise.all(all())).toEqual([true, true, true, true, true]);
  });

  it('on a terminal, removes exactly what it showed once the answer is yes', async () => {
    const terminal = Object.assign(new PassThrough(), { isTTY: true });
    const labels = (await engine.getContainer(owner.report.containers[0] as string).inspect()).Config.Labels;
    let asked = false;
    const result = await runCliWith(
      {
        stdin: terminal,
        onStderr: (stderr) => {
          if (asked || !stderr.includes('Remove them? [y/N] ')) return;
          asked = true;
          // The owner makes another container while the question is open: it was not shown,
          // so the yes does not cover it.
          void engine.createContainer({ Image: tinyImage, Cmd: ['sleep', '600'], Labels: labels }).then((container) => {
            extra.container = container.id;
            terminal.write('yes\n');
          });
        },
      },
      'prune',
      '--all-sessions',
      '--session',
      session,
    );
    expect(asked).toBe(true);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/removed 2 container\(s\) and 2 snapshot\(s\)\n$/);
    expect(await Promise.all(all())).toEqual([false, false, false, false, true]);
    expect(await exists('container', extra.container)).toBe(true);
  });

  it('--yes removes without asking', async () => {
    const terminal = Object.assign(new PassThrough(), { isTTY: true });
    // Were it to ask, the end of input would answer no and the exit code would show it.
    terminal.end();
    const result = await runCliWith(
      { stdin: terminal },
      'prune',
      '--all-sessions',
      '-y',
      '--include-kept',
      '--session',
      session,
    );
    expect(result.stderr).not.toContain('[y/N]');
    expect(result.code).toBe(0);
    // The kept snapshot, and the storage of the parent it was taken from, deleted while in use.
    expect(result.stdout).toMatch(/removed 1 container\(s\) and [12] snapshot\(s\)\n$/);
    expect(await exists('container', extra.container)).toBe(false);
    expect(await exists('image', owner.report.kept)).toBe(false);
  });
});

describe('a Go-Explore run that is not resumed', () => {
  // A real checkpointed run on Docker, killed half-way: its snapshots are kept (they outlive the
  // process so that the run can be resumed) and, with no watchdog, its containers stay too.
  let folder: string;
  let checkpoint: string;
  let runId: string;

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'snapbox-cli-run-'));
    checkpoint = join(folder, 'run.checkpoint.json');
    const script = fileURLToPath(new URL('../test-support/go-explore-run.mjs', import.meta.url));
    const child = spawn(process.execPath, [script, tinyImage, checkpoint], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    await new Promise<void>((resolve, reject) => {
      let steps = 0;
      child.stdout.on('data', (chunk: Buffer) => {
        steps += chunk
          .toString()
          .split('\n')
          .filter((line) => line.includes('"step"')).length;
        // A few iterations in: checkpoints written, snapshots kept, a container running.
        if (steps >= 8 && existsSync(checkpoint)) resolve();
      });
      child.once('exit', () => reject(new Error('the Go-Explore run ended before it was killed')));
    });
    child.kill('SIGKILL');
    await exited;
    runId = (JSON.parse(await readFile(checkpoint, 'utf8')) as { runId: string }).runId;
  }, 120_000);

  afterAll(async () => {
    await runCliWith({}, 'prune', '--run', runId, '--yes');
    await rm(folder, { recursive: true, force: true });
  });

  type Listed = { id: string; kind: string; keep?: boolean; labels: Record<string, string> };
  const ofRun = async () => {
    const listing = JSON.parse((await runCli('ls', '--json')).stdout) as { containers: Listed[]; snapshots: Listed[] };
    return [...listing.containers, ...listing.snapshots].filter((r) => r.labels[goExploreLabels.run] === runId);
  };

  it('is listed under its run, with its checkpoint, kept snapshots and containers', async () => {
    const resources = await ofRun();
    const snapshots = resources.filter((r) => r.kind === 'snapshot');
    expect(snapshots.length).toBeGreaterThan(1);
    expect(snapshots.every((s) => s.keep === true)).toBe(true);
    expect(resources.some((r) => r.kind === 'container')).toBe(true);
    expect(resources.every((r) => r.labels[goExploreLabels.checkpoint] === checkpoint)).toBe(true);

    const table = await runCli('ls');
    expect(table.code).toBe(0);
    const runs = table.stdout.indexOf('GO-EXPLORE RUNS (');
    expect(runs).toBeGreaterThan(-1);
    const header = table.stdout.indexOf(`run ${runId}: `);
    expect(header).toBeGreaterThan(runs);
    expect(table.stdout.slice(header).split('\n')[0]).toContain(`; checkpoint ${checkpoint}`);
    // Each of its snapshots is drawn under the run, not in the general list.
    for (const snapshot of snapshots) expect(table.stdout.indexOf(snapshot.id)).toBeGreaterThan(header);
  });

  it('prune --run asks first (kept snapshots), then removes the run and nothing else', async () => {
    const before = await ofRun();
    const refused = await runCli('prune', '--run', runId);
    expect(refused.code).toBe(notConfirmedExitCode);
    expect(refused.stderr).toContain('--run also removes kept snapshots');
    for (const resource of before) expect(refused.stdout).toContain(resource.id.slice(0, 12));
    expect(await ofRun()).toHaveLength(before.length);

    const dry = await runCli('prune', '--run', runId, '--dry-run', '--json');
    const planned = JSON.parse(dry.stdout) as { containers: Listed[]; snapshots: Listed[] };
    expect([...planned.containers, ...planned.snapshots].map((r) => r.id).sort()).toEqual(
      before.map((r) => r.id).sort(),
    );

    const removed = await runCli('prune', '--run', runId, '--yes');
    expect(removed.code).toBe(0);
    expect(removed.stdout).toMatch(/removed [1-9]\d* container\(s\) and [1-9]\d* snapshot\(s\)\n$/);
    expect(await ofRun()).toEqual([]);
    for (const resource of before) {
      expect(await exists(resource.kind === 'container' ? 'container' : 'image', resource.id)).toBe(false);
    }
    // Not the test's own, nor a foreign one.
    expect(await exists('image', liveSnapshot)).toBe(true);
    expect(await exists('container', outsider.container)).toBe(true);
  });
});
