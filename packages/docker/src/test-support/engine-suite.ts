import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BackendUnavailableError,
  ContainerNotStartedError,
  ExecAbortedError,
  ExecTimeoutError,
  ImageBuildError,
  ImageNotFoundError,
  NotASnapshotError,
  SnapshotNotFoundError,
  snapboxLabels,
  UnsupportedCapabilityError,
} from '@snapbox/core';
import { tinyImage } from '@snapbox/test-support';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveDocker } from '../docker-connection.js';
import { createDockerFactory, type DockerContainer, listSnapshots } from '../index.js';
import { engineHelpers } from './engine.js';
import type { EngineUnderTest } from './other-engines.js';
import { expectSessionGone, runSessionChild, type SessionChildReport } from './session-children.js';

/**
 * The groups of tests in {@link describeEngineSuite}. `flattening` squashes a lineage with a low
 * `flattenAtLayers`; the local engine leaves it to snapshot-chain.test.ts, whose 300 generations
 * flatten at the default threshold.
 */
export type EngineSuitePart = 'processes' | 'snapshots' | 'flattening' | 'images' | 'cleanup';

/** Options of {@link describeEngineSuite}. */
export interface EngineSuiteOptions {
  /** Environment for the child processes of the cleanup tests (an ssh agent, say). */
  childEnv?: () => Record<string, string>;
  /** How many containers snapshot and restore at once in the concurrency test; none: no such test. */
  concurrency?: number;
  /** Which groups run. Default: all. */
  parts?: readonly EngineSuitePart[];
  /** Per-test timeout in ms. Default: the project's. */
  timeoutMs?: number;
}

/**
 * The Docker-specific behaviours that depend on the engine or the transport, run against each
 * engine (the local one, Podman, a remote dockerd over tcp): processes and the init, exec failures, snapshots as
 * engine images (labels, config, untag-while-in-use, flattening), builds, resources, and the
 * cleanup by child processes that reconnect from a serialized connection. Everything runs on
 * the tiny fixture image.
 */
export function describeEngineSuite(engine: EngineUnderTest, options: EngineSuiteOptions): void {
  const client = resolveDocker(engine.connection);
  const factory = createDockerFactory({ docker: engine.connection });
  const started: DockerContainer[] = [];
  async function start(container: DockerContainer, env?: Record<string, string>): Promise<DockerContainer> {
    started.push(container);
    await container.start(env === undefined ? undefined : { env });
    return container;
  }
  const { imageExists, sessionLeftovers, removeSessionBuilds } = engineHelpers(client);
  /** State and command line of every process in the container, from /proc (no ps needed). */
  async function processes(box: DockerContainer): Promise<string[]> {
    const listing = await box.exec(
      "for p in /proc/[0-9]*; do s=$(cut -d' ' -f3 $p/stat 2>/dev/null) && echo \"$s $(tr '\\0' ' ' < $p/cmdline 2>/dev/null)\"; done",
    );
    return listing.stdout.split('\n').filter((line) => line.trim() !== '');
  }

  const parts = new Set<EngineSuitePart>(
    options.parts ?? ['processes', 'snapshots', 'flattening', 'images', 'cleanup'],
  );
  const timeout = options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs };

  describe(`${engine.name}: engine-specific behaviour`, timeout, () => {
    let scratch = '';
    beforeAll(async () => {
      scratch = await mkdtemp(join(tmpdir(), 'snapbox-engine-suite-'));
    });
    afterAll(async () => {
      await Promise.allSettled(started.map((container) => container.stop()));
      await rm(scratch, { recursive: true, force: true });
      await removeSessionBuilds();
    });

    if (parts.has('processes'))
      describe('processes', () => {
        it('kills background, nohup and setsid children of a timed-out command and leaves no zombie', async () => {
          const box = await start(factory.fromImage({ image: tinyImage }));
          const error = await box
            .exec('setsid sleep 300 & nohup sleep 301 >/dev/null 2>&1 & (sleep 302 &); echo spawned; sleep 303', {
              timeoutMs: 1500,
            })
            .catch((e: unknown) => e);
          expect(ExecTimeoutError.isInstance(error)).toBe(true);
          expect((error as ExecTimeoutError).result.stdout).toBe('spawned\n');
          const left = await processes(box);
          expect(left.filter((line) => /sleep 30[0-3]/.test(line))).toEqual([]);
          expect(left.filter((line) => line.startsWith('Z'))).toEqual([]);
        });

        it(`runs the container under an init process (${engine.initProcess}) that reaps orphans`, async () => {
          const box = await start(factory.fromImage({ image: tinyImage }));
          expect((await box.exec(['cat', '/proc/1/comm'])).stdout.trim()).toBe(engine.initProcess);
          await box.exec('for i in 1 2 3; do (sleep 0.1 &) ; done; sleep 0.5');
          expect((await processes(box)).filter((line) => line.startsWith('Z'))).toEqual([]);
        });

        it('returns when the command exits even if a background job keeps its output open', async () => {
          const box = await start(factory.fromImage({ image: tinyImage }));
          const began = Date.now();
          const result = await box.exec('sleep 20 & echo returned');
          expect(result).toMatchObject({ stdout: 'returned\n', exitCode: 0 });
          expect(Date.now() - began).toBeLessThan(10_000);
        });

        it('an abort that comes while the exec is being created still stops the command', async () => {
          const box = await start(factory.fromImage({ image: tinyImage }));
          const controller = new AbortController();
          const began = Date.now();
          const pending = box.exec('sleep 30', { signal: controller.signal });
          controller.abort();
          await expect(pending).rejects.toSatisfy(ExecAbortedError.isInstance);
          expect(Date.now() - began).toBeLessThan(20_000);
        });

        it('reports a command the engine cannot start as the shell would: 127 or 126, message on stderr', async () => {
          const box = await start(factory.fromImage({ image: tinyImage }));
          const missing = await box.exec(['definitely-not-a-command-xyz']);
          expect(missing).toMatchObject({ exitCode: 127, stdout: '' });
          expect(missing.stderr).toMatch(/definitely-not-a-command-xyz.*not found/);
          expect(missing.stderr.trim().split('\n')).toHaveLength(1);
          const noWorkdir = await box.exec(['true'], { workdir: '/does/not/exist' });
          expect(noWorkdir).toMatchObject({ exitCode: 126, stdout: '' });
          expect(noWorkdir.stderr).toMatch(/\/does\/not\/exist/);
          const notExecutable = await box.exec(['/etc/passwd']);
          expect(notExecutable).toMatchObject({ exitCode: 126, stdout: '' });
          expect(notExecutable.stderr).toMatch(/permission denied/i);
          expect(await box.exec('echo still fine')).toMatchObject({ exitCode: 0, stdout: 'still fine\n' });
        });

        it('rejects exec with ContainerNotStartedError once the engine lost the container', async () => {
          const killed = await start(factory.fromImage({ image: tinyImage }));
          await client.getContainer(killed.id as string).kill();
          await expect(killed.exec('true')).rejects.toSatisfy(ContainerNotStartedError.isInstance);
          const removed = await start(factory.fromImage({ image: tinyImage }));
          await client.getContainer(removed.id as string).remove({ force: true });
          await expect(removed.exec('true')).rejects.toSatisfy(ContainerNotStartedError.isInstance);
          await Promise.all([killed.stop(), removed.stop()]);
        });
      });

    if (parts.has('snapshots'))
      describe('snapshots on the engine', () => {
        it('labels snapshots as ours with session, owner and lineage, and keeps the image config but not the start env', async () => {
          const dir = join(scratch, 'config');
          await mkdir(dir, { recursive: true });
          await writeFile(
            join(dir, 'Dockerfile'),
            `FROM ${tinyImage}\nENV IMAGE_VAR=from-image PRICE=\\$5\nWORKDIR /srv\nCMD ["/bin/sh", "-c", "echo image-cmd"]\nLABEL team=research\n`,
          );
          const box = await start(factory.fromDockerfile({ dockerfilePath: join(dir, 'Dockerfile') }), {
            API_TOKEN: 'secret-value',
          });
          expect((await box.exec('pwd; echo $IMAGE_VAR $API_TOKEN')).stdout).toBe('/srv\nfrom-image secret-value\n');
          const first = await box.snapshot();
          const info = await client.getImage(first).inspect();
          const labels = info.Config.Labels ?? {};
          expect(labels[snapboxLabels.managed]).toBe('true');
          expect(labels[snapboxLabels.kind]).toBe('snapshot');
          expect(labels[snapboxLabels.ownerPid]).toBe(String(process.pid));
          expect(labels[snapboxLabels.keep]).toBe('false');
          expect(labels.team).toBe('research');
          expect(info.Config.Env).toContain('IMAGE_VAR=from-image');
          expect(info.Config.Env).toContain('PRICE=$5');
          expect(JSON.stringify(info.Config)).not.toContain('secret-value');
          expect(info.Config.WorkingDir).toBe('/srv');
          expect(info.Config.Cmd).toEqual(['/bin/sh', '-c', 'echo image-cmd']);
          expect(info.Config.Entrypoint ?? []).toEqual([]);

          const child = await start(box.fromSnapshot(first));
          expect((await child.exec('pwd; echo "$PRICE"')).stdout).toBe('/srv\n$5\n');
          const second = await child.snapshot();
          const childLabels = (await client.getImage(second).inspect()).Config.Labels ?? {};
          expect(childLabels[snapboxLabels.parentSnapshot]).toBe(first);
          await child.stop();
          await box.deleteSnapshot(second);
          await box.deleteSnapshot(first);
        });

        it('refuses to delete an image without our label, even in our repository, and leaves it intact', async () => {
          const impostor = 'snapbox-snapshot:not-ours';
          await client.getImage(tinyImage).tag({ repo: 'snapbox-snapshot', tag: 'not-ours' });
          try {
            const box = await start(factory.fromImage({ image: tinyImage }));
            await expect(box.deleteSnapshot(impostor)).rejects.toSatisfy(NotASnapshotError.isInstance);
            expect(() => box.deleteSnapshotSync(impostor)).toThrow(/not a snapshot created by snapbox/);
            await expect(box.deleteSnapshot(tinyImage)).rejects.toSatisfy(NotASnapshotError.isInstance);
            await expect(box.deleteSnapshot('sha256:0123')).rejects.toSatisfy(NotASnapshotError.isInstance);
            expect(await imageExists(impostor)).toBe(true);
            expect(await imageExists(tinyImage)).toBe(true);
            await expect(start(box.fromSnapshot(impostor))).rejects.toSatisfy(NotASnapshotError.isInstance);
          } finally {
            await client.getImage(impostor).remove();
          }
        });

        it('deleting a snapshot in use keeps its containers running and reclaims it after the last one', async () => {
          const box = await start(factory.fromImage({ image: tinyImage }));
          await box.exec('echo data > /payload');
          const snapshotId = await box.snapshot();
          const imageId = (await client.getImage(snapshotId).inspect()).Id;
          const restored = await start(box.fromSnapshot(snapshotId));
          const grandchild = await restored.snapshot();
          await box.deleteSnapshot(snapshotId);
          expect(await imageExists(snapshotId)).toBe(false);
          expect(await imageExists(imageId)).toBe(true);
          await expect(start(box.fromSnapshot(snapshotId))).rejects.toSatisfy(SnapshotNotFoundError.isInstance);
          // Podman's forced image removal would have removed this container with the image.
          expect((await client.getContainer(restored.id as string).inspect()).State.Running).toBe(true);
          expect((await restored.exec('cat /payload')).stdout).toBe('data\n');
          await restored.stop();
          // The grandchild snapshot is built on it: the storage stays until that one goes too.
          expect(await imageExists(imageId)).toBe(true);
          await box.deleteSnapshot(grandchild);
          expect(await imageExists(imageId)).toBe(false);
        });

        it('lists its snapshots under the ids it returned, whatever the engine calls the image', async () => {
          const box = await start(factory.fromImage({ image: tinyImage }));
          const snapshotId = await box.snapshot();
          const listed = (await listSnapshots({ docker: engine.connection })).find((s) => s.id === snapshotId);
          expect(listed?.imageId).toMatch(/^sha256:[0-9a-f]{64}$/);
          expect(listed?.owner.isCurrentProcess).toBe(true);
          await box.deleteSnapshot(snapshotId);
        });
      });

    if (parts.has('flattening'))
      describe('flattening', () => {
        it('flattens deep lineages into single-layer snapshots that keep files, config and labels', async () => {
          const shallow = createDockerFactory({ docker: engine.connection, flattenAtLayers: 3 });
          const baseConfig = (await client.getImage(tinyImage).inspect()).Config;
          let container = await start(shallow.fromImage({ image: tinyImage }));
          let snapshotId = await container.snapshot();
          for (let generation = 1; generation <= 4; generation++) {
            const next = await start(container.fromSnapshot(snapshotId));
            await next.exec(`echo ${generation} >> /chain`);
            const nextSnapshot = await next.snapshot();
            await container.stop();
            await next.deleteSnapshot(snapshotId);
            snapshotId = nextSnapshot;
            container = next;
          }
          const info = await client.getImage(snapshotId).inspect();
          expect(info.RootFS.Layers?.length ?? 0).toBeLessThanOrEqual(3);
          expect(info.Config.Cmd).toEqual(baseConfig.Cmd);
          expect(info.Config.Labels?.[snapboxLabels.managed]).toBe('true');
          const last = await start(container.fromSnapshot(snapshotId));
          expect((await last.exec('cat /chain')).stdout).toBe('1\n2\n3\n4\n');
          await Promise.all([container.stop(), last.stop()]);
          await last.deleteSnapshot(snapshotId);
        });
      });

    if (parts.has('images'))
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

        it('reports a failed build with ImageBuildError and the end of the log', async () => {
          const dir = join(scratch, 'broken');
          await mkdir(dir, { recursive: true });
          await writeFile(join(dir, 'Dockerfile'), `FROM ${tinyImage}\nRUN echo about-to-fail && exit 7\n`);
          const error = await start(factory.fromDockerfile({ dockerfilePath: join(dir, 'Dockerfile') })).catch(
            (e: unknown) => e,
          );
          expect(ImageBuildError.isInstance(error)).toBe(true);
          expect((error as ImageBuildError).logTail).toContain('about-to-fail');
          expect((error as Error).message).toMatch(/exit code: 7|returned a non-zero code: 7|exit status 7/);
          const missing = await start(
            factory.fromDockerfile({ dockerfilePath: join(dir, 'nope', 'Dockerfile') }),
          ).catch((e: unknown) => e);
          expect(ImageBuildError.isInstance(missing)).toBe(true);
        });

        it('says clearly that a missing image could not be pulled', async () => {
          const error = await start(factory.fromImage({ image: 'snapbox-test/does-not-exist:1' })).catch(
            (e: unknown) => e,
          );
          expect(ImageNotFoundError.isInstance(error)).toBe(true);
          expect((error as Error).message).toMatch(/pulling it failed/);
          const never = createDockerFactory({ docker: engine.connection, pull: 'never' });
          const refused = await start(never.fromImage({ image: 'snapbox-test/does-not-exist:1' })).catch(
            (e: unknown) => e,
          );
          expect(ImageNotFoundError.isInstance(refused)).toBe(true);
          expect((refused as Error).message).toMatch(/pulling is disabled/);
        });

        it('maps cpu and memory to the engine and rejects what it cannot enforce', async () => {
          const box = await start(factory.fromImage({ image: tinyImage, resources: { cpu: 0.5, memoryMiB: 256 } }));
          const info = await client.getContainer(box.id as string).inspect();
          expect(info.HostConfig.NanoCpus).toBe(500_000_000);
          expect(info.HostConfig.Memory).toBe(256 * 1024 * 1024);
          expect(info.HostConfig.Init).toBe(true);
          const disk = await start(factory.fromImage({ image: tinyImage, resources: { diskGiB: 1 } })).catch(
            (e: unknown) => e,
          );
          expect(UnsupportedCapabilityError.isInstance(disk)).toBe(true);
          expect((disk as Error).message).toMatch(/diskGiB/);
          const gpu = await start(factory.fromImage({ image: tinyImage, resources: { gpu: 1 } })).catch(
            (e: unknown) => e,
          );
          expect(UnsupportedCapabilityError.isInstance(gpu)).toBe(true);
          expect((await sessionLeftovers()).containers).not.toContain(started.at(-1)?.id);
        });

        it('names the endpoint it tried when the engine is unreachable', async () => {
          const closed = { ...engine.connection, ...closedEndpoint(engine) };
          const error = await createDockerFactory({ docker: closed })
            .fromImage({ image: tinyImage })
            .start()
            .catch((e: unknown) => e);
          expect(BackendUnavailableError.isInstance(error)).toBe(true);
          expect((error as Error).message).toContain(closedDescription(engine));
        });
      });

    if (parts.has('cleanup'))
      describe('cleanup by child processes that reconnect to the same engine', () => {
        const runChild = (ending: string) =>
          runSessionChild(ending, { ...process.env, ...engine.env, ...options.childEnv?.() });

        it('a normal exit removes everything but kept snapshots (synchronous worker)', async () => {
          const run = runChild('normal');
          const report = await run.report<SessionChildReport>();
          expect((await run.ended).code).toBe(0);
          await expectSessionGone(client, report);
        });

        it('SIGKILL: the watchdog removes everything within 15 s', async () => {
          const run = runChild('wait');
          const report = await run.report<SessionChildReport>();
          run.child.kill('SIGKILL');
          expect((await run.ended).signal).toBe('SIGKILL');
          expect((await sessionLeftovers(report.session)).containers.length).toBeGreaterThan(0);
          await expectSessionGone(client, report, 15_000);
        });

        const concurrency = options.concurrency ?? 0;
        if (concurrency > 0)
          it(`${concurrency} containers snapshotting and restoring concurrently leave nothing behind`, async () => {
            await Promise.all(
              Array.from({ length: concurrency }, async (_, index) => {
                const box = factory.fromImage({ image: tinyImage });
                await box.start();
                try {
                  await box.exec(`echo ${index} > /id`);
                  const snapshotId = await box.snapshot();
                  const copy = box.fromSnapshot(snapshotId);
                  await copy.start();
                  expect((await copy.exec('cat /id')).stdout).toBe(`${index}\n`);
                  await box.deleteSnapshot(snapshotId);
                  await copy.stop();
                } finally {
                  await box.stop();
                }
              }),
            );
          });
      });

    describe('end of file', () => {
      it('leaves nothing of this session on the engine once everything is stopped and deleted', async () => {
        await Promise.all(started.map((container) => container.stop()));
        await removeSessionBuilds();
        expect(await sessionLeftovers()).toEqual({ containers: [], images: [] });
      });
    });
  });
}

/** Connection options for the same kind of endpoint where nothing listens. */
function closedEndpoint(engine: EngineUnderTest): Docker.DockerOptions {
  if (engine.connection.socketPath !== undefined) return { socketPath: '/tmp/snapbox-no-engine.sock' };
  return { port: 1 };
}

function closedDescription(engine: EngineUnderTest): string {
  if (engine.connection.socketPath !== undefined) return 'unix:///tmp/snapbox-no-engine.sock';
  return `${engine.connection.protocol === 'ssh' ? 'ssh' : 'tcp'}://${engine.connection.username ? `${engine.connection.username}@` : ''}127.0.0.1:1`;
}
