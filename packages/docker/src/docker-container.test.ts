import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExecTimeoutError } from '@snapbox/core';
import { debianImage, tinyImage } from '@snapbox/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDockerFactory,
  DockerContainer,
  listBuilds,
  listContainers,
  listSnapshots,
  type PruneCandidate,
  prune,
} from './index.js';
import { engine, imageExists, removeSessionBuilds, sessionLeftovers } from './test-support/engine.js';
import { describeEngineSuite } from './test-support/engine-suite.js';
import { localEngine } from './test-support/other-engines.js';

// What every engine must do, on the local one. The cleanup part runs in session-cleanup.test.ts,
// and snapshot-chain.test.ts flattens a far deeper lineage than the suite's flattening part.
describeEngineSuite(localEngine(), { parts: ['processes', 'snapshots', 'images'] });

// What only the local engine is asked for: the rest of this file.
const factory = createDockerFactory();
const started: DockerContainer[] = [];
async function start(container: DockerContainer): Promise<DockerContainer> {
  started.push(container);
  await container.start();
  return container;
}

let scratch = '';
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'snapbox-docker-test-'));
  await writeFile(join(scratch, 'upload-after'), 'uploaded during a snapshot\n');
});
afterAll(async () => {
  await Promise.allSettled(started.map((container) => container.stop()));
  await rm(scratch, { recursive: true, force: true });
  await removeSessionBuilds();
});

describe('processes on Debian, seen by ps', () => {
  async function ps(box: DockerContainer): Promise<string[]> {
    const listing = await box.exec(['ps', '-eo', 'stat=,args=']);
    return listing.stdout.split('\n').filter((line) => line.trim() !== '');
  }

  it('a timed-out command leaves no child and no zombie, and docker-init reaps orphans', async () => {
    const box = await start(factory.fromImage({ image: debianImage }));
    const error = await box
      .exec('setsid sleep 300 & nohup sleep 301 >/dev/null 2>&1 & (sleep 302 &); echo spawned; sleep 303', {
        timeoutMs: 1500,
      })
      .catch((e: unknown) => e);
    expect(ExecTimeoutError.isInstance(error)).toBe(true);
    expect((error as ExecTimeoutError).result.stdout).toBe('spawned\n');
    const afterTimeout = await ps(box);
    expect(afterTimeout.filter((line) => /sleep 30[0-3]/.test(line))).toEqual([]);
    expect(afterTimeout.filter((line) => line.trim().startsWith('Z'))).toEqual([]);

    expect((await box.exec(['cat', '/proc/1/comm'])).stdout.trim()).toBe('docker-init');
    await box.exec('for i in 1 2 3; do (sleep 0.1 &) ; done; sleep 0.5');
    expect((await ps(box)).filter((line) => line.trim().startsWith('Z'))).toEqual([]);
  });

  it('uses bash -lc for strings (login shell, bash features)', async () => {
    const box = await start(factory.fromImage({ image: tinyImage }));
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
    expect((await box.exec('echo $((6 * 7)) ${BASH_VERSION:+bash}; shopt -q login_shell && echo login')).stdout).toBe(
      '42 bash\nlogin\n',
    );
  });
});

describe('snapshots on the local engine', () => {
  it("a container's own labels go with its snapshots, beside its image's, and the listings show them", async () => {
    // The first snapshot's image carries `team` (a label of the container it was taken from);
    // the container restored from it adds `com.example.run` of its own.
    const box = await start(factory.fromImage({ image: tinyImage, labels: { team: 'research' } }));
    const first = await box.snapshot();
    const child = await start(box.fromSnapshot(first, { labels: { 'com.example.run': 'r-17' } }));
    const second = await child.snapshot();
    const childLabels = (await engine.getImage(second).inspect()).Config.Labels ?? {};
    expect(childLabels['com.example.run']).toBe('r-17');
    const listed = (await listSnapshots()).find((snapshot) => snapshot.id === second);
    expect(listed?.labels).toMatchObject({ 'com.example.run': 'r-17', team: 'research' });
    expect(Object.keys(listed?.labels ?? {}).some((key) => key.startsWith('org.snapbox.'))).toBe(false);
    const container = (await listContainers()).find((info) => info.parentSnapshot === first);
    expect(container?.labels['com.example.run']).toBe('r-17');
    await child.stop();
    await box.deleteSnapshot(second);
    await box.deleteSnapshot(first);
  });

  it('runs commands and transfers asked for during a snapshot after it, not into the paused container', async () => {
    const box = await start(factory.fromImage({ image: tinyImage }));
    // A large diff keeps the container paused for a while (about 0.7 s here).
    await box.exec('head -c 104857600 /dev/zero > /ballast');
    const snapshotting = box.snapshot();
    await new Promise((resolve) => setTimeout(resolve, 150));
    const [written, uploaded] = await Promise.all([
      box.exec('echo after > /after'),
      box.uploadFiles([{ localPath: join(scratch, 'upload-after'), remotePath: '/uploaded-after' }]),
    ]).catch((error: unknown) => {
      throw new Error(`an operation during the snapshot failed: ${String(error)}`);
    });
    expect(written.exitCode).toBe(0);
    expect(uploaded).toBeUndefined();
    const snapshotId = await snapshotting;
    const restored = await start(box.fromSnapshot(snapshotId));
    const seen = await restored.exec('ls / ; test -s /ballast && echo ballast-ok');
    expect(seen.stdout).toContain('ballast-ok');
    expect(seen.stdout).not.toContain('after');
    await restored.stop();
    await box.deleteSnapshot(snapshotId);
  });

  it('static constructors honour subclasses, and so does the instance fromSnapshot', async () => {
    class ResearchBox extends DockerContainer {}
    const box = ResearchBox.fromImage({ image: tinyImage });
    expect(box).toBeInstanceOf(ResearchBox);
    await start(box);
    const snapshotId = await box.snapshot();
    expect(box.fromSnapshot(snapshotId)).toBeInstanceOf(ResearchBox);
    expect(ResearchBox.fromSnapshot({ snapshotId })).toBeInstanceOf(ResearchBox);
    await box.deleteSnapshot(snapshotId);
  });
});

describe('the build cache', () => {
  it('lists built images as build cache and prunes the unused ones only when asked', async () => {
    const build = async (name: string) => {
      const dir = join(scratch, name);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'Dockerfile'), `FROM ${tinyImage}\nRUN echo ${name} > /built\n`);
      return factory.fromDockerfile({ dockerfilePath: join(dir, 'Dockerfile') });
    };
    const used = await start(await build('cache-used'));
    const unusedBox = await start(await build('cache-unused'));
    const imageOf = async (box: DockerContainer) => (await engine.getContainer(box.id as string).inspect()).Image;
    const usedImage = await imageOf(used);
    const unusedImage = await imageOf(unusedBox);
    await unusedBox.stop();

    const builds = await listBuilds();
    const usedBuild = builds.find((b) => b.imageId === usedImage);
    const unusedBuild = builds.find((b) => b.imageId === unusedImage);
    expect(usedBuild?.inUse).toBe(true);
    expect(unusedBuild?.inUse).toBe(false);
    expect(unusedBuild?.tag).toMatch(/^snapbox-build:[0-9a-f]{16}$/);
    expect(unusedBuild?.owner.isCurrentProcess).toBe(true);

    expect((await prune({ dryRun: true })).builds).toEqual([]);
    const planned = (await prune({ dryRun: true, includeBuilds: true })).builds.map((b) => b.imageId);
    expect(planned).toContain(unusedImage);
    expect(planned).not.toContain(usedImage);
    expect(await imageExists(unusedImage)).toBe(true);

    // filter narrows the selection to this test's build (the engine is shared: other programs'
    // build cache and dead owners' leftovers are not this test's to remove).
    const onlyOurs = (candidate: PruneCandidate) =>
      candidate.kind === 'build' && candidate.resource.imageId === unusedImage;
    const narrowed = await prune({ dryRun: true, includeBuilds: true, filter: onlyOurs });
    expect(narrowed.builds.map((b) => b.imageId)).toEqual([unusedImage]);
    expect([narrowed.containers, narrowed.snapshots]).toEqual([[], []]);
    expect(await prune({ dryRun: true, includeBuilds: true, filter: () => false })).toMatchObject({
      containers: [],
      snapshots: [],
      builds: [],
    });

    const report = await prune({ includeBuilds: true, filter: onlyOurs });
    expect(report.errors).toEqual([]);
    expect(report.builds.map((b) => b.imageId)).toEqual([unusedImage]);
    expect(await imageExists(unusedImage)).toBe(false);
    expect(await imageExists(usedImage)).toBe(true);
    expect((await used.exec('cat /built')).stdout).toBe('cache-used\n');
  });
});

describe('synchronous removal of many containers', () => {
  it('stopAndRemoveAllSync removes them all in one blocking call, and stop() after it is a no-op', async () => {
    const boxes = await Promise.all(Array.from({ length: 4 }, () => start(factory.fromImage({ image: tinyImage }))));
    const ids = boxes.map((box) => box.id as string);
    const notStarted = factory.fromImage({ image: tinyImage });
    DockerContainer.stopAndRemoveAllSync([...boxes, notStarted, boxes[0] as DockerContainer]);
    for (const box of [...boxes, notStarted]) expect(box.state).toBe('stopped');
    for (const id of ids) {
      await expect(engine.getContainer(id).inspect()).rejects.toMatchObject({ statusCode: 404 });
    }
    await Promise.all(boxes.map((box) => box.stop()));
  });
});

describe('end of file', () => {
  it('leaves nothing of this session once everything is stopped and deleted', async () => {
    await Promise.all(started.map((container) => container.stop()));
    await removeSessionBuilds();
    expect(await sessionLeftovers()).toEqual({ containers: [], images: [] });
  });
});
