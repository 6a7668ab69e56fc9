import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BackendUnavailableError,
  ExecTimeoutError,
  ImageBuildError,
  ImageNotFoundError,
  NotASnapshotError,
  SnapshotNotFoundError,
  snapboxLabels,
  UnsupportedCapabilityError,
} from '@snapbox/core';
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

const factory = createDockerFactory();
const started: DockerContainer[] = [];
async function start(container: DockerContainer, env?: Record<string, string>): Promise<DockerContainer> {
  started.push(container);
  await container.start(env === undefined ? undefined : { env });
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

describe('processes', () => {
  it('kills background, nohup and setsid children of a timed-out command and leaves no zombie', async () => {
    const box = await start(factory.fromImage({ image: debianImage }));
    const error = await box
      .exec('setsid sleep 300 & nohup sleep 301 >/dev/null 2>&1 & (sleep 302 &); echo spawned; sleep 303', {
        timeoutMs: 1500,
      })
      .catch((e: unknown) => e);
    expect(ExecTimeoutError.isInstance(error)).toBe(true);
    expect((error as ExecTimeoutError).result.stdout).toBe('spawned\n');
    const ps = await box.exec(['ps', '-eo', 'stat=,args=']);
    const lines = ps.stdout.split('\n').filter((line) => line.trim() !== '');
    expect(lines.filter((line) => /sleep 30[0-3]/.test(line))).toEqual([]);
    expect(lines.filter((line) => line.trim().startsWith('Z'))).toEqual([]);
  });

  it('runs the container under an init process that reaps orphans', async () => {
    const box = await start(factory.fromImage({ image: debianImage }));
    expect((await box.exec(['cat', '/proc/1/comm'])).stdout.trim()).toBe('docker-init');
    await box.exec('for i in 1 2 3; do (sleep 0.1 &) ; done; sleep 0.5');
    const zombies = await box.exec(['ps', '-eo', 'stat=']);
    expect(zombies.stdout.split('\n').filter((line) => line.startsWith('Z'))).toEqual([]);
  });

  it('returns when the command exits even if a background job keeps its output open', async () => {
    const box = await start(factory.fromImage({ image: tinyImage }));
    const began = Date.now();
    const result = await box.exec('sleep 20 & echo returned');
    expect(result.stdout).toBe('returned\n');
    expect(result.exitCode).toBe(0);
    expect(Date.now() - began).toBeLessThan(10_000);
  });

  it('uses bash -lc for strings (login shell, bash features)', async () => {
    const box = await start(factory.fromImage({ image: tinyImage }));
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
    expect((await box.exec('echo $((6 * 7)) ${BASH_VERSION:+bash}; shopt -q login_shell && echo login')).stdout).toBe(
      '42 bash\nlogin\n',
    );
  });
});

describe('snapshots on the engine', () => {
  it('labels snapshots as ours with session, owner and lineage, and keeps the image config but not the start env', async () => {
    const dir = join(scratch, 'config');
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, 'Dockerfile'),
      `FROM ${tinyImage}\nENV IMAGE_VAR=from-image\nWORKDIR /srv\nCMD ["/bin/sh", "-c", "echo image-cmd"]\nLABEL team=research\n`,
    );
    const box = await start(factory.fromDockerfile({ dockerfilePath: join(dir, 'Dockerfile') }), {
      API_TOKEN: 'secret-value',
    });
    expect((await box.exec('pwd; echo $IMAGE_VAR $API_TOKEN')).stdout).toBe('/srv\nfrom-image secret-value\n');
    const first = await box.snapshot();
    const info = await engine.getImage(first).inspect();
    const labels = info.Config.Labels ?? {};
    expect(labels[snapboxLabels.managed]).toBe('true');
    expect(labels[snapboxLabels.kind]).toBe('snapshot');
    expect(labels[snapboxLabels.ownerPid]).toBe(String(process.pid));
    expect(labels[snapboxLabels.keep]).toBe('false');
    expect(labels.team).toBe('research');
    expect(info.Config.Env).toContain('IMAGE_VAR=from-image');
    expect(JSON.stringify(info.Config)).not.toContain('secret-value');
    expect(info.Config.WorkingDir).toBe('/srv');
    expect(info.Config.Cmd).toEqual(['/bin/sh', '-c', 'echo image-cmd']);
    expect(info.Config.Entrypoint ?? []).toEqual([]);

    const child = await start(box.fromSnapshot(first, { labels: { 'com.example.run': 'r-17' } }));
    const second = await child.snapshot();
    const childLabels = (await engine.getImage(second).inspect()).Config.Labels ?? {};
    expect(childLabels[snapboxLabels.parentSnapshot]).toBe(first);
    // The container's own labels go with its snapshot, and listSnapshots shows them.
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

  it('refuses to delete an image without our label, even in our repository, and leaves it intact', async () => {
    const impostor = 'snapbox-snapshot:not-ours';
    await engine.getImage(tinyImage).tag({ repo: 'snapbox-snapshot', tag: 'not-ours' });
    try {
      const box = await start(factory.fromImage({ image: tinyImage }));
      await expect(box.deleteSnapshot(impostor)).rejects.toSatisfy(NotASnapshotError.isInstance);
      expect(() => box.deleteSnapshotSync(impostor)).toThrow(/not a snapshot created by snapbox/);
      await expect(box.deleteSnapshot(tinyImage)).rejects.toSatisfy(NotASnapshotError.isInstance);
      await expect(box.deleteSnapshot('sha256:0123')).rejects.toSatisfy(NotASnapshotError.isInstance);
      expect(await imageExists(impostor)).toBe(true);
      expect(await imageExists(tinyImage)).toBe(true);
      const restore = box.fromSnapshot(impostor);
      await expect(restore.start()).rejects.toSatisfy(NotASnapshotError.isInstance);
    } finally {
      await engine.getImage(impostor).remove();
    }
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

  it('reclaims the storage of a snapshot deleted while in use, once the last dependent is gone', async () => {
    const box = await start(factory.fromImage({ image: tinyImage }));
    await box.exec('echo data > /payload');
    const snapshotId = await box.snapshot();
    const imageId = (await engine.getImage(snapshotId).inspect()).Id;
    const restored = await start(box.fromSnapshot(snapshotId));
    const grandchild = await restored.snapshot();
    await box.deleteSnapshot(snapshotId);
    expect(await imageExists(snapshotId)).toBe(false);
    expect(await imageExists(imageId)).toBe(true);
    await expect(start(box.fromSnapshot(snapshotId))).rejects.toSatisfy(SnapshotNotFoundError.isInstance);
    expect((await restored.exec('cat /payload')).stdout).toBe('data\n');
    await restored.stop();
    expect(await imageExists(imageId)).toBe(true);
    await box.deleteSnapshot(grandchild);
    expect(await imageExists(imageId)).toBe(false);
  });
});

describe('images and resources', () => {
  it('builds from a Dockerfile honouring .dockerignore', async () => {
    const dir = join(scratch, 'build');
    await mkdir(join(dir, 'secrets'), { recursive: true });
    await writeFile(join(dir, 'kept.txt'), 'kept');
    await writeFile(join(dir, 'secrets', 'key.pem'), 'private');
    await writeFile(join(dir, 'notes.log'), 'log');
    await writeFile(join(dir, '.dockerignore'), 'secrets\n*.log\n');
    await writeFile(join(dir, 'Dockerfile'), `FROM ${tinyImage}\nCOPY . /ctx/\n`);
    const box = await start(factory.fromDockerfile({ dockerfilePath: join(dir, 'Dockerfile') }));
    expect((await box.exec('ls -A /ctx | sort')).stdout).toBe('.dockerignore\nDockerfile\nkept.txt\n');
  });

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

  it('reports a failed build with ImageBuildError and the end of the log', async () => {
    const dir = join(scratch, 'broken');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'Dockerfile'), `FROM ${tinyImage}\nRUN echo about-to-fail && exit 7\n`);
    const error = await start(factory.fromDockerfile({ dockerfilePath: join(dir, 'Dockerfile') })).catch(
      (e: unknown) => e,
    );
    expect(ImageBuildError.isInstance(error)).toBe(true);
    expect((error as ImageBuildError).logTail).toContain('about-to-fail');
    expect((error as Error).message).toMatch(/exit code: 7|returned a non-zero code: 7/);
    const missing = await start(factory.fromDockerfile({ dockerfilePath: join(dir, 'nope', 'Dockerfile') })).catch(
      (e: unknown) => e,
    );
    expect(ImageBuildError.isInstance(missing)).toBe(true);
  });

  it('says clearly that a missing image could not be pulled', async () => {
    const error = await start(factory.fromImage({ image: 'snapbox-test/does-not-exist:1' })).catch((e: unknown) => e);
    expect(ImageNotFoundError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/pulling it failed/);
    const never = createDockerFactory({ pull: 'never' });
    const refused = await start(never.fromImage({ image: 'snapbox-test/does-not-exist:1' })).catch((e: unknown) => e);
    expect((refused as Error).message).toMatch(/pulling is disabled/);
  });

  it('maps cpu and memory to the engine and rejects what it cannot enforce', async () => {
    const box = await start(factory.fromImage({ image: tinyImage, resources: { cpu: 0.5, memoryMiB: 256 } }));
    const info = await engine.getContainer(box.id as string).inspect();
    expect(info.HostConfig.NanoCpus).toBe(500_000_000);
    expect(info.HostConfig.Memory).toBe(256 * 1024 * 1024);
    expect(info.HostConfig.Init).toBe(true);
    const disk = await start(factory.fromImage({ image: tinyImage, resources: { diskGiB: 1 } })).catch(
      (e: unknown) => e,
    );
    expect(UnsupportedCapabilityError.isInstance(disk)).toBe(true);
    expect((disk as Error).message).toMatch(/diskGiB/);
    const gpu = await start(factory.fromImage({ image: tinyImage, resources: { gpu: 1 } })).catch((e: unknown) => e);
    expect(UnsupportedCapabilityError.isInstance(gpu)).toBe(true);
  });

  it('names the socket it tried when the engine is unreachable', async () => {
    const offline = createDockerFactory({ docker: { socketPath: '/tmp/snapbox-no-engine.sock' } });
    const error = await offline
      .fromImage({ image: tinyImage })
      .start()
      .catch((e: unknown) => e);
    expect(BackendUnavailableError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('/tmp/snapbox-no-engine.sock');
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
