import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { NotASnapshotError, snapboxLabels } from '@snapbox/core';
import { dockerCli, leftovers, spawnNode, tinyImage } from '@snapbox/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { type CliDockerContainer, createCliDockerFactory } from './index.js';

// What the conformance suite cannot see: what lands on the engine, flattening, and exit cleanup.

const image = tinyImage;
const docker = (...args: string[]): string => execFileSync('docker', args, { encoding: 'utf8' }).trim();
const inspect = (reference: string) =>
  JSON.parse(docker('image', 'inspect', reference))[0] as {
    Config: { Cmd: string[] | null; Env: string[]; Labels: Record<string, string> };
    RootFS: { Layers: string[] };
  };
/** Containers and images on the engine labelled with `session`. */
const sessionLeftovers = (session: string) => leftovers(dockerCli, [`${snapboxLabels.session}=${session}`]);

const started: CliDockerContainer[] = [];
afterAll(async () => {
  await Promise.allSettled(started.map((container) => container.stop()));
});

describe('on the engine', () => {
  it('labels containers and snapshots with their owner, and snapshots keep the image config, not the start env', async () => {
    const factory = createCliDockerFactory();
    const box = factory.fromImage({ image, labels: { 'com.example.team': 'search' } });
    started.push(box);
    await box.start({ env: { SECRET: 'not-in-the-snapshot' } });
    const labels = JSON.parse(docker('inspect', '--format', '{{json .Config.Labels}}', box.id as string));
    expect(labels).toMatchObject({
      'com.example.team': 'search',
      [snapboxLabels.managed]: 'true',
      [snapboxLabels.kind]: 'container',
      [snapboxLabels.ownerPid]: String(process.pid),
    });
    const snapshotId = await box.snapshot();
    const info = inspect(snapshotId);
    expect(info.Config.Labels).toMatchObject({ [snapboxLabels.kind]: 'snapshot', [snapboxLabels.baseImage]: image });
    expect(info.Config.Cmd).toEqual(inspect(image).Config.Cmd);
    expect(info.Config.Env.join('\n')).not.toContain('SECRET');
    await box.deleteSnapshot(snapshotId);
    await box.stop();
  });

  it('refuses to delete an image that only looks like a snapshot, and leaves it intact', async () => {
    const factory = createCliDockerFactory({ snapshotRepository: 'snapbox-example-test' });
    docker('tag', image, 'snapbox-example-test:impostor');
    try {
      const box = factory.fromImage({ image });
      await expect(box.deleteSnapshot('snapbox-example-test:impostor')).rejects.toSatisfy(NotASnapshotError.isInstance);
      expect(() => box.deleteSnapshotSync('snapbox-example-test:impostor')).toThrow(
        /not a snapshot created by snapbox/,
      );
      expect(inspect('snapbox-example-test:impostor').Config.Labels[snapboxLabels.managed]).toBeUndefined();
    } finally {
      docker('rmi', 'snapbox-example-test:impostor');
    }
  });

  it('flattens a deep lineage into one layer and keeps every generation restorable', async () => {
    const factory = createCliDockerFactory({ flattenAtLayers: 3 });
    let box = factory.fromImage({ image });
    started.push(box);
    await box.start();
    const depths: number[] = [];
    const snapshots: string[] = [];
    for (let generation = 1; generation <= 4; generation++) {
      await box.exec(`echo ${generation} >> /chain`);
      const snapshotId = await box.snapshot();
      snapshots.push(snapshotId);
      depths.push(inspect(snapshotId).RootFS.Layers.length);
      await box.stop();
      box = box.fromSnapshot(snapshotId);
      started.push(box);
      await box.start();
    }
    expect(depths).toEqual([2, 1, 2, 1]);
    expect((await box.exec('cat /chain')).stdout).toBe('1\n2\n3\n4\n');
    expect(inspect(snapshots[1] as string).Config.Cmd).toEqual(inspect(image).Config.Cmd);
    await box.stop();
    for (const snapshotId of snapshots) await box.deleteSnapshot(snapshotId);
  });
});

describe('when the owner process ends, its containers and snapshots are removed', () => {
  const childScript = fileURLToPath(new URL('./test-support/session-child.mjs', import.meta.url));

  it.each([
    ['process.exit', 'exit', undefined],
    ['SIGTERM', 'wait', 'SIGTERM'],
    ['SIGINT', 'wait', 'SIGINT'],
  ] as const)('%s', async (_, ending, signal) => {
    const run = spawnNode(childScript, [ending, image]);
    const report = await run.report<{ session: string; containers: string[]; snapshots: string[] }>();
    expect((await sessionLeftovers(report.session)).containers).not.toEqual([]);
    if (signal !== undefined) run.child.kill(signal);
    const { code, signal: endSignal } = await run.ended;
    expect({ code, signal: endSignal }).toEqual(
      signal === undefined ? { code: 0, signal: null } : { code: null, signal },
    );
    expect(await sessionLeftovers(report.session)).toEqual({ containers: [], images: [] });
  });
});
