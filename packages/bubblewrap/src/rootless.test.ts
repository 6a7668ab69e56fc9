import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBubblewrapFactory } from './index.js';
import { testStateDir, tinyImage } from './test-support/fixtures.js';

/**
 * Rootless: the same backend run by an ordinary user, created here for the test (CI runs as root
 * on a fresh machine). The user reads no engine (the Docker socket is root's), so its image is a
 * root filesystem tarball made from the fixture image.
 */
const user = 'snapbox-rootless';
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const repoDir = fileURLToPath(new URL('../../..', import.meta.url));
let tarball = '';
let viewDir = '';

beforeAll(async () => {
  expect(process.getuid?.(), 'the rootless test sets itself up as root').toBe(0);
  try {
    execFileSync('id', ['-u', user], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['--create-home', '--shell', '/bin/bash', user]);
  }
  // The fixture image as a tarball, from the root backend's own export of it.
  const factory = createBubblewrapFactory({ stateDir: testStateDir('rootless-export') });
  const container = factory.fromImage({ image: tinyImage });
  await container.start();
  const dir = mkdtempSync(join(tmpdir(), 'snapbox-rootless-image-'));
  chmodSync(dir, 0o755);
  tarball = join(dir, 'tiny.tar.gz');
  const rootfs = join(factory.stateDir, 'images');
  execFileSync('sh', ['-c', `tar -czf "${tarball}" -C "$(ls -d ${rootfs}/*/rootfs | head -1)" .`]);
  chmodSync(tarball, 0o644);
  await container.stop();
  rmSync(factory.stateDir, { recursive: true, force: true });
});

afterAll(() => {
  if (tarball !== '') rmSync(dirname(tarball), { recursive: true, force: true });
  // Empty once the child's mount namespace is gone: rmdir, never a recursive removal through a
  // mount that might still be there.
  if (viewDir !== '') rmdirSync(viewDir);
});

describe('rootless (an ordinary user, unprivileged user namespaces)', () => {
  it('passes the conformance suite and the snapshot stress as that user', { timeout: 300_000 }, async () => {
    // The clone may sit in a folder the test user cannot enter (mktemp's 0700, a home folder):
    // the run sees it through a bind mount under a fresh folder it can enter, in a mount
    // namespace of its own, so nothing outside the test changes and the mount goes with it.
    const view = mkdtempSync(join(tmpdir(), 'snapbox-rootless-clone-'));
    chmodSync(view, 0o755);
    viewDir = view;
    const relative = packageDir.slice(repoDir.length);
    const child = spawn(
      'unshare',
      [
        '--mount',
        '--propagation',
        'private',
        '--',
        'sh',
        '-c',
        'mount --bind "$1" "$2" && cd "$2/$3" && shift 3 && exec runuser -u "$@"',
        'sh',
        repoDir,
        view,
        relative,
        user,
        '--',
        process.execPath,
        'node_modules/vitest/vitest.mjs',
        'run',
        '--config',
        'vitest.rootless.config.mjs',
        '--configLoader',
        'native',
        // Every test on its own line, so that the skipped ones can be named below.
        '--reporter',
        'verbose',
      ],
      {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: `/home/${user}`, SNAPBOX_ROOTLESS_IMAGE: tarball },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code, output.slice(-6000)).toBe(0);
    expect(output).toMatch(/Tests\s+.*\d+ passed/);
    // What rootless honestly skips, and nothing else: a foreign id shaped like the backend's own
    // needs a store of snapshots that is not snapbox's, which this backend has no notion of (its
    // foreign-id refusal is tested with the image name); and the two tests that build an image,
    // as the test user has no access to the Docker engine (fromDockerfile is declared
    // unsupported, and its refusal is tested). `user` and, without cgroups, `resources.pids`
    // are refused, which their refusal tests check: they are not skips.
    const plain = output.replace(/\x1b\[[0-9;]*m/g, '');
    const skipped = plain
      .split('\n')
      .filter((line) => /^\s*↓ /.test(line))
      .map((line) => line.replace(/^.*container conformance > /, '').trim())
      .sort();
    expect(skipped, 'the skipped tests of the rootless run').toEqual([
      expect.stringMatching(/^snapshots > refuses an id shaped like its own /),
      expect.stringMatching(/^start: cancellation and progress > a build reports its log lines .*\(not supported: /),
      expect.stringMatching(
        /^start: cancellation and progress > a start that times out during a build .*\(not supported: /,
      ),
    ]);
    expect(plain.match(/Tests\s+(.*)/g)?.at(-1)).toMatch(/ 3 skipped/);
  });
});
