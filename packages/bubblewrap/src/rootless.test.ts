import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBubblewrapFactory } from './index.js';
import { testStateDir, tinyImage } from './test-support/fixtures.js';

/**
 * Rootless: the same backend run by ordinary users, created here for the test (CI runs as root
 * on a fresh machine). The users read no engine (the Docker socket is root's), so their image is
 * a root filesystem tarball made from the fixture image. One user has a range of subordinate ids
 * (and newuidmap, from the package uidmap that scripts/ensure-bubblewrap.sh installs), so its
 * sandboxes map other users and `user` works; the other has none, so its sandboxes map it alone
 * and `user` is refused with what is missing.
 */
const user = 'snapbox-rootless';
const singleUser = 'snapbox-rootless-single';
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const repoDir = fileURLToPath(new URL('../../..', import.meta.url));
let tarball = '';
const viewDirs: string[] = [];
/** Each run's TMPDIR (its state folders): removed at the end as root, whatever their files' owners. */
const tmpDirs: string[] = [];

/** The `start-end` ranges of `name` in /etc/subuid or /etc/subgid. */
function rangesOf(file: string, name: string): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.split(':'))
    .filter(([owner]) => owner === name)
    .map(([, start, count]) => `${start}-${Number(start) + Number(count) - 1}`);
}

/** Gives `name` a range of 65536 subordinate ids above every range there is, unless it has one. */
function ensureSubordinateIds(name: string): void {
  if (rangesOf('/etc/subuid', name).length > 0 && rangesOf('/etc/subgid', name).length > 0) return;
  let start = 100000;
  for (const file of ['/etc/subuid', '/etc/subgid']) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const [, from, count] = line.split(':');
      if (from !== undefined && count !== undefined) start = Math.max(start, Number(from) + Number(count));
    }
  }
  const range = `${start}-${start + 65535}`;
  execFileSync('usermod', ['--add-subuids', range, '--add-subgids', range, name]);
}

function ensureUser(name: string): void {
  try {
    execFileSync('id', ['-u', name], { stdio: 'ignore' });
  } catch {
    // Debian's useradd gives a new user subordinate ids by default: the single-uid user gets none.
    const none = name === singleUser ? ['-K', 'SUB_UID_COUNT=0', '-K', 'SUB_GID_COUNT=0'] : [];
    execFileSync('useradd', ['--create-home', '--shell', '/bin/bash', ...none, name]);
  }
}

beforeAll(async () => {
  expect(process.getuid?.(), 'the rootless test sets itself up as root').toBe(0);
  ensureUser(user);
  ensureSubordinateIds(user);
  ensureUser(singleUser);
  const uids = rangesOf('/etc/subuid', singleUser);
  const gids = rangesOf('/etc/subgid', singleUser);
  if (uids.length + gids.length > 0) {
    execFileSync('usermod', [
      ...uids.flatMap((range) => ['--del-subuids', range]),
      ...gids.flatMap((range) => ['--del-subgids', range]),
      singleUser,
    ]);
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
  for (const dir of viewDirs) rmdirSync(dir);
  for (const dir of tmpDirs) rmSync(dir, { recursive: true, force: true });
});

/**
 * Runs the rootless suites (vitest.rootless.config.mjs) as `name`; `filter` narrows them to
 * matching files. Resolves with the exit code and the whole output.
 */
async function runSuitesAs(name: string, filter: string[]): Promise<{ code: number | null; output: string }> {
  // The clone may sit in a folder the test user cannot enter (mktemp's 0700, a home folder):
  // the run sees it through a bind mount under a fresh folder it can enter, in a mount
  // namespace of its own, so nothing outside the test changes and the mount goes with it.
  const view = mkdtempSync(join(tmpdir(), 'snapbox-rootless-clone-'));
  chmodSync(view, 0o755);
  viewDirs.push(view);
  const relative = packageDir.slice(repoDir.length);
  // The run's state folders go there. Those of a test that failed may hold files of subordinate
  // ids, which the test user could not remove by itself.
  const tmp = mkdtempSync(join(tmpdir(), `snapbox-rootless-tmp-`));
  tmpDirs.push(tmp);
  const id = (flag: string) => Number(execFileSync('id', [flag, name], { encoding: 'utf8' }).trim());
  chownSync(tmp, id('-u'), id('-g'));
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
      name,
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
      ...filter,
    ],
    {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: `/home/${name}`,
        TMPDIR: tmp,
        SNAPBOX_ROOTLESS_IMAGE: tarball,
      },
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
  return { code, output };
}

/** The tests a run skipped, without their suite's prefix, sorted. */
function skippedTests(output: string): string[] {
  return output
    .replace(/\x1b\[[0-9;]*m/g, '')
    .split('\n')
    .filter((line) => /^\s*↓ /.test(line))
    .map((line) => line.replace(/^.*container conformance > /, '').trim())
    .sort();
}

// What rootless honestly skips, and nothing else: a foreign id shaped like the backend's own
// needs a store of snapshots that is not snapbox's, which this backend has no notion of (its
// foreign-id refusal is tested with the image name); and the two tests that build an image, as
// the test user has no access to the Docker engine (fromDockerfile is declared unsupported, and
// its refusal is tested). Without cgroups, `resources.pids` is refused, and without subordinate
// ids `user` is, which their refusal tests check: they are not skips.
const expectedSkips = [
  expect.stringMatching(/^snapshots > refuses an id shaped like its own /),
  expect.stringMatching(/^start: cancellation and progress > a build reports its log lines .*\(not supported: /),
  expect.stringMatching(
    /^start: cancellation and progress > a start that times out during a build .*\(not supported: /,
  ),
];

describe('rootless (an ordinary user, unprivileged user namespaces)', () => {
  it('with subordinate ids: passes the conformance suite, user included, the snapshot stress and the ownership tests', {
    timeout: 400_000,
  }, async () => {
    const { code, output } = await runSuitesAs(user, []);
    expect(code, output.slice(-6000)).toBe(0);
    const plain = output.replace(/\x1b\[[0-9;]*m/g, '');
    expect(plain).toMatch(/Tests\s+.*\d+ passed/);
    // The user tests ran (they are not the refusal test), and so did the ownership tests.
    expect(plain).toMatch(/sandbox: user > every exec runs as the container's user/);
    expect(plain).not.toMatch(/refuses user and ExecOptions\.user/);
    expect(plain).toMatch(/survives snapshot and restore, and nothing is left/);
    expect(plain).toMatch(/with the spawner relay, restores its owners, and a SIGKILLed owner leaves nothing/);
    expect(plain).toMatch(/with the spawner node, restores its owners, and a SIGKILLed owner leaves nothing/);
    expect(plain).toMatch(/prune removes what a dead session without a watchdog left/);
    expect(skippedTests(output), 'the skipped tests of the rootless run').toEqual(expectedSkips);
    expect(plain.match(/Tests\s+(.*)/g)?.at(-1)).toMatch(/ 3 skipped/);
  });

  it('without subordinate ids: passes the conformance suite, refusing user with what is missing', {
    timeout: 300_000,
  }, async () => {
    const { code, output } = await runSuitesAs(singleUser, ['conformance.rootless']);
    expect(code, output.slice(-6000)).toBe(0);
    const plain = output.replace(/\x1b\[[0-9;]*m/g, '');
    expect(plain).toMatch(/bubblewrap \(rootless, single uid\)/);
    // The refusal test ran, with the reason the factory found (its message is checked in
    // subordinate-ids.test.ts).
    expect(plain).toMatch(
      /refuses user and ExecOptions\.user with UnsupportedCapabilityError.*\/etc\/subuid has no range for snapbox-rootless-single/,
    );
    expect(skippedTests(output), 'the skipped tests of the single-uid run').toEqual(expectedSkips);
    expect(plain.match(/Tests\s+(.*)/g)?.at(-1)).toMatch(/ 3 skipped/);
  });
});
