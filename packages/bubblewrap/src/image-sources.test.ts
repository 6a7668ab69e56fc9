import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BackendUnavailableError, ImageBuildError, ImageNotFoundError } from '@snapbox/core';
import { afterAll, describe, expect, it } from 'vitest';
import type { BubblewrapContainer } from './bubblewrap-container.js';
import { createBubblewrapFactory } from './index.js';
import { debianImage, testStateDir, tinyImage } from './test-support/fixtures.js';

const stateDir = testStateDir('images');
const factory = createBubblewrapFactory({ stateDir });
const live: BubblewrapContainer[] = [];
const scratch: string[] = [];
/** A temporary folder for this file's inputs (Dockerfiles, root filesystems), removed at the end. */
function scratchDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `snapbox-bwrap-${name}-`));
  scratch.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(live.map((container) => container.stop()));
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

async function started(container: BubblewrapContainer): Promise<BubblewrapContainer> {
  live.push(container);
  await container.start();
  return container;
}

describe('image sources', () => {
  it('reads an image from the local engine once, cached by image id', async () => {
    const first = await started(factory.fromImage({ image: tinyImage }));
    const other = createBubblewrapFactory({ stateDir });
    const second = await started(other.fromImage({ image: tinyImage }));
    expect((await second.exec('echo ok')).stdout).toBe('ok\n');
    expect(readdirSync(join(stateDir, 'images'))).toHaveLength(1);
    await Promise.all([first.stop(), second.stop()]);
  });

  it("runs Debian with its owners, users and environment (the image's config)", async () => {
    const debian = await started(factory.fromImage({ image: debianImage }));
    expect((await debian.exec('cat /etc/debian_version')).exitCode).toBe(0);
    // Users other than root exist inside (setuid to _apt, apt's sandbox user, works) and own files.
    expect(
      (await debian.exec(['setpriv', '--reuid=_apt', '--regid=nogroup', '--clear-groups', 'id', '-un'])).stdout,
    ).toBe('_apt\n');
    expect((await debian.exec('touch /owned && chown _apt:nogroup /owned && stat -c %U:%G /owned')).stdout).toBe(
      '_apt:nogroup\n',
    );
    expect((await debian.exec('echo $PATH')).stdout).toContain('/usr/bin');
    await debian.stop();
  });

  it('uses a root filesystem folder in place, and extracts a tarball once', async () => {
    const folder = scratchDir('rootfs');
    const imageRoot = join(stateDir, 'images', readdirSync(join(stateDir, 'images'))[0] as string, 'rootfs');
    execFileSync('cp', ['-a', `${imageRoot}/.`, folder]);
    writeFileSync(join(folder, 'from-folder'), 'folder\n');
    const fromFolder = await started(factory.fromRootfs({ path: folder }));
    expect((await fromFolder.exec('cat /from-folder')).stdout).toBe('folder\n');
    await fromFolder.exec('echo changed > /from-folder');
    await fromFolder.stop();
    expect(execFileSync('cat', [join(folder, 'from-folder')], { encoding: 'utf8' })).toBe('folder\n');

    const tarball = join(scratchDir('rootfs-tar'), 'rootfs.tar.gz');
    execFileSync('tar', ['-czf', tarball, '-C', folder, '.']);
    const fromTarball = await started(factory.fromImage({ image: tarball }));
    expect((await fromTarball.exec('cat /from-folder')).stdout).toBe('folder\n');
    await fromTarball.stop();
  });

  it('builds a Dockerfile through the engine, with its deletions applied (whiteouts, opaque folders)', async () => {
    const dir = scratchDir('build');
    writeFileSync(
      join(dir, 'Dockerfile'),
      [
        `FROM ${tinyImage}`,
        'RUN mkdir -p /d/keep && echo a > /d/a && echo b > /d/keep/b && echo gone > /gone',
        'RUN rm /gone /d/a && rm -rf /d/keep && mkdir /d/keep && echo c > /d/keep/c',
        'WORKDIR /d',
        'ENV BUILT=yes',
      ].join('\n'),
    );
    const built = await started(factory.fromDockerfile({ dockerfilePath: join(dir, 'Dockerfile') }));
    expect((await built.exec('pwd; echo $BUILT; ls -A /d /d/keep; test -e /gone || echo no-gone')).stdout).toBe(
      '/d\nyes\n/d:\nkeep\n\n/d/keep:\nc\nno-gone\n',
    );
    await built.stop();
  });

  it('says clearly when an image or an engine is missing', async () => {
    const missing = factory.fromImage({ image: 'snapbox-fixture/does-not-exist:1' });
    live.push(missing);
    expect(ImageNotFoundError.isInstance(await missing.start().catch((e: unknown) => e))).toBe(true);
    const noEngine = createBubblewrapFactory({ stateDir, engineSocket: '/nonexistent/docker.sock' });
    const image = noEngine.fromImage({ image: tinyImage });
    live.push(image);
    const error = await image.start().catch((e: unknown) => e);
    expect(BackendUnavailableError.isInstance(error)).toBe(true);
    expect(String(error)).toMatch(/root filesystem folder or tarball/);
    const dir = scratchDir('nobuild');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'Dockerfile'), `FROM ${tinyImage}\nRUN exit 7\n`);
    const failing = factory.fromDockerfile({ dockerfilePath: join(dir, 'Dockerfile') });
    live.push(failing);
    expect(ImageBuildError.isInstance(await failing.start().catch((e: unknown) => e))).toBe(true);
    const noEngineBuild = noEngine.fromDockerfile({ dockerfilePath: join(dir, 'Dockerfile') });
    live.push(noEngineBuild);
    expect(BackendUnavailableError.isInstance(await noEngineBuild.start().catch((e: unknown) => e))).toBe(true);
  });
});
