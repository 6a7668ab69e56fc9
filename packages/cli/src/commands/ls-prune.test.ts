import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { snapboxLabels } from '@snapbox/core';
import { createDockerFactory } from '@snapbox/docker';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../test-support/run-cli.js';

const tinyImage = 'snapbox-fixture/tiny:1';
const engine = new Docker();

interface Orphans {
  session: string;
  containers: string[];
  parent: string;
  child: string;
  kept: string;
}

/** Resources of a process that was SIGKILLed with no watchdog: what prune exists for. */
async function makeOrphans(): Promise<Orphans> {
  const script = fileURLToPath(new URL('../test-support/orphan-maker.mjs', import.meta.url));
  const child = spawn(process.execPath, [script, tinyImage], { stdio: ['ignore', 'pipe', 'inherit'] });
  const report = await new Promise<Orphans>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0] as string) as Orphans);
    });
    child.once('exit', () => reject(new Error('orphan maker ended early')));
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  return report;
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
