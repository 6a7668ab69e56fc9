import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeContainerConformance } from '@snapbox/conformance';
import { BackendUnavailableError, ExecAbortedError, ExecTimeoutError } from '@snapbox/core';
import { tinyImage } from '@snapbox/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDockerFactory, type DockerContainer } from './index.js';
import { describeEngineSuite } from './test-support/engine-suite.js';
import { sshEngine, withSshAgent } from './test-support/other-engines.js';

// The local dockerd through an sshd on loopback (scripts/ensure-remote-engines.sh starts it; a
// failure fails this file). The tests connect with the key itself; the child processes of the
// cleanup tests use DOCKER_HOST=ssh://... and an ssh agent, as a user's shell would.
//
// Every API call over ssh is a new ssh connection (docker-modem's design), so the whole
// conformance suite takes minutes here: CI runs the smoke tests below and the cleanup tests;
// SNAPBOX_SSH_CONFORMANCE=full adds the whole conformance suite and engine suite.
const ssh = sshEngine();
const agent = withSshAgent();
afterAll(() => agent.stop());
const full = process.env.SNAPBOX_SSH_CONFORMANCE === 'full';
const timeoutMs = 180_000;

if (full) {
  describeContainerConformance({
    name: ssh.name,
    factory: createDockerFactory({ docker: ssh.connection }),
    image: tinyImage,
    testTimeoutMs: timeoutMs,
  });
}

describe(`${ssh.name}: smoke`, { timeout: timeoutMs }, () => {
  const factory = createDockerFactory({ docker: ssh.connection });
  let box: DockerContainer;
  let local = '';
  beforeAll(async () => {
    local = await mkdtemp(join(tmpdir(), 'snapbox-ssh-'));
    box = factory.fromImage({ image: tinyImage });
    await box.start({ env: { FROM_START: 'yes' } });
  });
  afterAll(async () => {
    await box?.stop();
    await rm(local, { recursive: true, force: true });
  });

  it('runs commands with separate streams, exit codes and the start env', async () => {
    const result = await box.exec('echo out; echo err >&2; echo $FROM_START; exit 3');
    expect(result).toMatchObject({ exitCode: 3, stdout: 'out\nyes\n', stderr: 'err\n' });
    expect((await box.exec(['printf', '%s', 'a b'])).stdout).toBe('a b');
  });

  it('kills a timed-out or aborted command and its background children', async () => {
    // The error comes once the kill has finished, so nothing of the command may be left.
    const sleeping = async () =>
      (
        await box.exec(
          "for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline 2>/dev/null; echo; done | grep -c '^sleep 3[01] ' || true",
        )
      ).stdout.trim();
    const timedOut = await box
      .exec('(sleep 31; touch /tmp/late) & echo started; sleep 30', { timeoutMs: 1000 })
      .catch((e: unknown) => e);
    expect(ExecTimeoutError.isInstance(timedOut)).toBe(true);
    expect((timedOut as ExecTimeoutError).result.stdout).toBe('started\n');
    expect(await sleeping()).toBe('0');
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 500);
    await expect(box.exec('sleep 30 & sleep 31', { signal: controller.signal })).rejects.toSatisfy(
      ExecAbortedError.isInstance,
    );
    expect(await sleeping()).toBe('0');
  });

  it('streams files and folders both ways through the ssh channel', async () => {
    const bytes = Buffer.alloc(8 * 1024 * 1024);
    for (let index = 0; index < bytes.length; index += 4096) bytes.writeUInt32BE(index, index);
    await writeFile(join(local, 'big.bin'), bytes);
    await box.uploadFile(join(local, 'big.bin'), '/tmp/in/big.bin');
    await box.writeFile('/tmp/in/sub/note.txt', 'note');
    await box.downloadDir('/tmp/in', join(local, 'back'));
    expect((await readFile(join(local, 'back', 'big.bin'))).equals(bytes)).toBe(true);
    expect(await readFile(join(local, 'back', 'sub', 'note.txt'), 'utf8')).toBe('note');
  });

  it('snapshots, restores independent copies and deletes in any order', async () => {
    await box.exec('echo original > /state');
    const snapshotId = await box.snapshot();
    const copy = box.fromSnapshot(snapshotId);
    await copy.start();
    await copy.exec('echo changed > /state');
    expect((await box.exec('cat /state')).stdout).toBe('original\n');
    await box.deleteSnapshot(snapshotId);
    expect((await copy.exec('cat /state')).stdout).toBe('changed\n');
    await copy.stop();
  });

  it('stops and deletes synchronously through a child process with the same key', async () => {
    const other = factory.fromImage({ image: tinyImage });
    await other.start();
    const snapshotId = await other.snapshot();
    other.deleteSnapshotSync(snapshotId);
    other.stopAndRemoveSync();
    expect(other.state).toBe('stopped');
    await expect(other.exec('true')).rejects.toThrow(/stopped/);
    await expect(factory.fromSnapshot({ snapshotId }).start()).rejects.toThrow(/does not exist/);
  });

  it('names the endpoint it tried when sshd does not answer', async () => {
    const error = await createDockerFactory({ docker: { ...ssh.connection, port: 1 } })
      .fromImage({ image: tinyImage })
      .start()
      .catch((e: unknown) => e);
    expect(BackendUnavailableError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('ssh://snapbox-remote@127.0.0.1:1');
  });
});

describeEngineSuite(ssh, {
  concurrency: full ? 4 : undefined,
  childEnv: () => agent.env,
  parts: full ? undefined : ['cleanup'],
  timeoutMs,
});
