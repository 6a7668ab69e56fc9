import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DaytonaAuthenticationError,
  DaytonaBadGatewayError,
  DaytonaConnectionError,
  DaytonaError,
  DaytonaForbiddenError,
  DaytonaNotFoundError,
  DaytonaRateLimitError,
  DaytonaServiceUnavailableError,
  DaytonaTimeoutError,
  Image,
} from '@daytonaio/sdk';
import {
  BackendUnavailableError,
  ContainerNotStartedError,
  currentSession,
  ExecAbortedError,
  ExecTimeoutError,
  ImageBuildError,
  ImageNotFoundError,
  InvalidArgumentError,
  isSnapshotable,
  isSnapshotableFactory,
  NotASnapshotError,
  RemotePathNotFoundError,
  type SnapboxError,
  SnapshotNotFoundError,
  snapboxLabels,
  UnsupportedCapabilityError,
} from '@snapbox/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const sessionId = currentSession().id;

import type { DaytonaCreateParams } from './client-types.js';
import { createDaytonaFactory, type DaytonaFactoryOptions } from './daytona-factory.js';
import { buildExecScript, buildKillScript } from './exec-script.js';
import { containerLabelKey } from './labels.js';
import { QuotaExceededError } from './quota-exceeded-error.js';
import { FakeDaytona, type FakeSandbox } from './test-support/fake-daytona.js';

function setup(options: DaytonaFactoryOptions = {}) {
  const fake = new FakeDaytona();
  const factory = createDaytonaFactory({
    client: fake,
    cleanupOnExit: false,
    pollIntervalMs: 1,
    retry: { baseDelayMs: 1, maxDelayMs: 2 },
    ...options,
  });
  return { fake, factory };
}

async function running(options: DaytonaFactoryOptions = {}, env?: Record<string, string>) {
  const { fake, factory } = setup(options);
  const box = factory.fromImage({ image: 'debian:12' });
  await box.start(env === undefined ? undefined : { env });
  const sandbox = fake.sandboxes.get(box.sandboxId as string) as FakeSandbox;
  fake.calls.length = 0;
  return { fake, factory, box, sandbox };
}

const rejection = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

let local = '';
beforeAll(async () => {
  local = await mkdtemp(join(tmpdir(), 'snapbox-daytona-test-'));
});
afterAll(async () => {
  await rm(local, { recursive: true, force: true });
});

describe('createDaytonaFactory', () => {
  it('does no I/O and returns created containers that pass the structural checks', () => {
    const { fake, factory } = setup();
    const box = factory.fromImage({ image: 'debian:12', name: 'my-box' });
    expect(fake.calls).toEqual([]);
    expect(box.state).toBe('created');
    expect(box.backend).toBe('daytona');
    expect(box.name).toBe('my-box');
    expect(isSnapshotable(box)).toBe(true);
    expect(isSnapshotableFactory(factory)).toBe(true);
  });

  it('rejects bad options with InvalidArgumentError naming them', () => {
    const { factory } = setup();
    expect(() => createDaytonaFactory({ apiKey: '' })).toThrow(/options\.apiKey/);
    expect(() => createDaytonaFactory({ retry: { attempts: 0 } })).toThrow(/options\.retry\.attempts/);
    expect(() => createDaytonaFactory({ autoStopMinutes: 1.5 })).toThrow(/options\.autoStopMinutes/);
    expect(() => factory.fromImage({ image: '' })).toThrow(/image/);
    expect(() => factory.fromDockerfile({ dockerfilePath: '' })).toThrow(/dockerfilePath/);
    expect(() => factory.fromSnapshot({ snapshotId: '' })).toThrow(/snapshotId/);
    expect(() => factory.fromImage({ image: 'x', labels: { 'org.snapbox.session': 'x' } })).toThrow(/labels/);
    expect(() => factory.fromImage({ image: 'x', defaultWorkdir: 'rel' })).toThrow(/defaultWorkdir/);
  });

  it('refuses resources for a restore, since Daytona takes them from the snapshot', () => {
    const { factory } = setup();
    const error = (() => {
      try {
        factory.fromSnapshot({ snapshotId: 'snapbox-0123abcd-4567-89ab-cdef-0123456789ab-1', resources: { cpu: 2 } });
      } catch (e) {
        return e;
      }
    })();
    expect(UnsupportedCapabilityError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/from a snapshot.*leave resources unset/);
  });
});

describe('start', () => {
  it('creates the sandbox with the image, mapped resources, labels and lifecycle settings', async () => {
    const { fake, factory } = setup({ createTimeoutSeconds: 90, autoStopMinutes: 30 });
    const box = factory.fromImage({
      image: 'python:3.12',
      name: 'explorer-1',
      resources: { cpu: 1.5, memoryMiB: 3000, diskGiB: 10, gpu: 1 },
      labels: { team: 'rl' },
    });
    await box.start();
    expect(box.state).toBe('running');
    const [[params, options]] = fake.callsOf('daytona.create') as [[DaytonaCreateParams, unknown]];
    expect(params).toEqual({
      name: 'explorer-1',
      image: 'python:3.12',
      resources: { cpu: 2, memory: 3, disk: 10, gpu: 1 },
      labels: {
        team: 'rl',
        [snapboxLabels.managed]: 'true',
        [snapboxLabels.kind]: 'container',
        [snapboxLabels.session]: sessionId,
        [snapboxLabels.ownerPid]: String(process.pid),
        [snapboxLabels.ownerHost]: expect.any(String),
        [snapboxLabels.ownerStartedAt]: expect.stringMatching(/^\d+$/),
        [snapboxLabels.createdAt]: expect.stringMatching(/^\d+$/),
        [containerLabelKey]: expect.stringMatching(/^[0-9a-f-]{36}$/),
      },
      autoDeleteInterval: 0,
      autoStopInterval: 30,
    });
    expect(options).toEqual({ timeout: 90 });
    expect(box.name).toBe('explorer-1');
    expect(fake.calls.map((call) => call.method)).toEqual(['daytona.create']);
  });

  it('names an unnamed sandbox after the session, and does not pass the start env to Daytona', async () => {
    const { fake, factory } = setup();
    const box = factory.fromImage({ image: 'debian:12' });
    expect(box.name).toBeUndefined();
    await box.start({ env: { SECRET: 'x' } });
    const [[params]] = fake.callsOf('daytona.create') as [[DaytonaCreateParams]];
    expect(params.name).toMatch(new RegExp(`^snapbox-${sessionId}-c\\d+$`));
    expect(box.name).toBe(params.name);
    expect(JSON.stringify(params)).not.toContain('SECRET');
    expect(params).not.toHaveProperty('resources');
  });

  it('creates the default workdir', async () => {
    const { fake, factory } = setup();
    await factory.fromImage({ image: 'debian:12', defaultWorkdir: '/work/dir' }).start();
    expect(fake.callsOf('fs.createFolder')).toEqual([['/work/dir', '755']]);
  });

  it('builds a Dockerfile through the SDK Image and keeps the build log for errors', async () => {
    const dir = join(local, 'dockerfile');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'Dockerfile'), 'FROM debian:12\nRUN echo hi\n');
    const { fake, factory } = setup();
    await factory.fromDockerfile({ dockerfilePath: join(dir, 'Dockerfile') }).start();
    const [[params, options]] = fake.callsOf('daytona.create') as [
      [DaytonaCreateParams, { onSnapshotCreateLogs?: unknown }],
    ];
    expect(params.image).toBeInstanceOf(Image);
    expect((params.image as Image).dockerfile).toContain('RUN echo hi');
    expect(typeof options.onSnapshotCreateLogs).toBe('function');

    fake.create = async (createParams, createOptions) => {
      fake.record('daytona.create', [createParams, createOptions]);
      createOptions?.onSnapshotCreateLogs?.('Step 2/2 : RUN false');
      throw new DaytonaError('Sandbox x failed to start with status: build_failed, error reason: exit code 1');
    };
    const error = await rejection(factory.fromDockerfile({ dockerfilePath: join(dir, 'Dockerfile') }).start());
    expect(ImageBuildError.isInstance(error)).toBe(true);
    expect((error as ImageBuildError).logTail).toBe('Step 2/2 : RUN false');
  });

  it('fails with ImageBuildError when the Dockerfile cannot be read, before contacting the service', async () => {
    const { fake, factory } = setup();
    const error = await rejection(
      factory.fromDockerfile({ dockerfilePath: join(local, 'nope', 'Dockerfile') }).start(),
    );
    expect(ImageBuildError.isInstance(error)).toBe(true);
    expect(fake.callsOf('daytona.create')).toEqual([]);
  });

  it('maps a missing image, refused credentials and a quota to typed errors', async () => {
    const { fake, factory } = setup();
    fake.failNext(
      'daytona.create',
      new DaytonaError('Sandbox x failed to start with status: build_failed, error reason: manifest unknown'),
    );
    expect(ImageNotFoundError.isInstance(await rejection(factory.fromImage({ image: 'nope:1' }).start()))).toBe(true);
    fake.failNext('daytona.create', new DaytonaAuthenticationError('Invalid API key', 401));
    expect(BackendUnavailableError.isInstance(await rejection(factory.fromImage({ image: 'x' }).start()))).toBe(true);
    fake.failNext('daytona.create', new DaytonaForbiddenError('Total CPU quota exceeded. Maximum allowed: 10', 403));
    const quota = await rejection(factory.fromImage({ image: 'x' }).start());
    expect(QuotaExceededError.isInstance(quota)).toBe(true);
    expect((quota as QuotaExceededError).operation).toBe('start');
  });

  it('retries a create the service turned away (429, 503) but never one it may have acted on (502, timeouts)', async () => {
    const { fake, factory } = setup();
    fake.failNext('daytona.create', new DaytonaRateLimitError('slow down', 429));
    fake.failNext('daytona.create', new DaytonaServiceUnavailableError('busy', 503));
    await factory.fromImage({ image: 'x' }).start();
    expect(fake.callsOf('daytona.create')).toHaveLength(3);

    fake.calls.length = 0;
    fake.failNext('daytona.create', new DaytonaBadGatewayError('bad gateway', 502));
    const error = await rejection(factory.fromImage({ image: 'x' }).start());
    expect(BackendUnavailableError.isInstance(error)).toBe(true);
    expect(fake.callsOf('daytona.create')).toHaveLength(1);
  });

  it('deletes the sandbox a failed create left behind, and only if it is this container’s', async () => {
    const { fake, factory } = setup();
    const box = factory.fromImage({ image: 'x', name: 'half-made' });
    fake.create = async (params) => {
      fake.record('daytona.create', [params]);
      fake.leaveSandbox(params.name as string, params.labels ?? {});
      throw new DaytonaTimeoutError('Failed to create and start sandbox within 300 seconds. Operation timed out.');
    };
    const error = await rejection(box.start());
    expect((error as SnapboxError).code).toBe('DAYTONA_TIMEOUT');
    expect(fake.callsOf('daytona.get')).toEqual([['half-made']]);
    expect(fake.callsOf('sandbox.delete')).toHaveLength(1);
    expect(fake.sandboxes.size).toBe(0);
    expect(box.state).toBe('created');

    fake.calls.length = 0;
    const stranger = fake.leaveSandbox('taken', { owner: 'someone else' });
    fake.create = async (params) => {
      fake.record('daytona.create', [params]);
      throw new DaytonaError('Sandbox failed to start with status: error');
    };
    await rejection(factory.fromImage({ image: 'x', name: 'taken' }).start());
    expect(fake.callsOf('daytona.get')).toEqual([['taken']]);
    expect(fake.callsOf('sandbox.delete')).toEqual([]);
    expect(fake.sandboxes.get(stranger.id)).toBe(stranger);
  });

  it('does not look for leftovers when the service refused the request outright', async () => {
    const { fake, factory } = setup();
    fake.failNext('daytona.create', new DaytonaAuthenticationError('Invalid API key', 401));
    await rejection(factory.fromImage({ image: 'x' }).start());
    expect(fake.callsOf('daytona.get')).toEqual([]);
  });

  it('refuses a second start, and may be retried after a failed one', async () => {
    const { fake, factory } = setup();
    const box = factory.fromImage({ image: 'x' });
    fake.failNext('daytona.create', new DaytonaServiceUnavailableError('busy', 503), 5);
    expect(BackendUnavailableError.isInstance(await rejection(box.start()))).toBe(true);
    expect(box.state).toBe('created');
    await box.start();
    expect(InvalidArgumentError.isInstance(await rejection(box.start()))).toBe(true);
    await box.stop();
    expect(InvalidArgumentError.isInstance(await rejection(box.start()))).toBe(true);
  });

  it('restores from a snapshot after checking that it exists and is usable', async () => {
    const { fake, factory } = setup();
    fake.snapshots.set('snapbox-0123abcd-4567-89ab-cdef-0123456789ab-1', {
      name: 'snapbox-0123abcd-4567-89ab-cdef-0123456789ab-1',
      state: 'active',
      pendingPolls: 0,
    });
    await factory
      .fromSnapshot({ snapshotId: 'snapbox-0123abcd-4567-89ab-cdef-0123456789ab-1', labels: { a: 'b' } })
      .start();
    expect(fake.calls.map((call) => call.method)).toEqual(['snapshot.get', 'daytona.create']);
    const [[params]] = fake.callsOf('daytona.create') as [[DaytonaCreateParams]];
    expect(params.snapshot).toBe('snapbox-0123abcd-4567-89ab-cdef-0123456789ab-1');
    expect(params).not.toHaveProperty('image');
    expect(params).not.toHaveProperty('resources');
    expect(params.labels?.a).toBe('b');
    expect(params.labels?.[snapboxLabels.parentSnapshot]).toBe('snapbox-0123abcd-4567-89ab-cdef-0123456789ab-1');
    expect(params.labels?.[snapboxLabels.kind]).toBe('container');
  });

  it('fails with SnapshotNotFoundError for a deleted snapshot, also while Daytona is still removing it', async () => {
    const { fake, factory } = setup();
    const missing = await rejection(
      factory.fromSnapshot({ snapshotId: 'snapbox-0123abcd-4567-89ab-cdef-0123456789ab-9' }).start(),
    );
    expect(SnapshotNotFoundError.isInstance(missing)).toBe(true);
    expect((missing as SnapshotNotFoundError).snapshotId).toBe('snapbox-0123abcd-4567-89ab-cdef-0123456789ab-9');
    fake.snapshots.set('snapbox-0123abcd-4567-89ab-cdef-0123456789ab-8', {
      name: 'snapbox-0123abcd-4567-89ab-cdef-0123456789ab-8',
      state: 'removing',
      pendingPolls: 0,
    });
    expect(
      SnapshotNotFoundError.isInstance(
        await rejection(factory.fromSnapshot({ snapshotId: 'snapbox-0123abcd-4567-89ab-cdef-0123456789ab-8' }).start()),
      ),
    ).toBe(true);
    fake.snapshots.set('broken', { name: 'broken', state: 'error', errorReason: 'disk full', pendingPolls: 0 });
    const broken = await rejection(factory.fromSnapshot({ snapshotId: 'broken' }).start());
    expect((broken as SnapboxError).code).toBe('SNAPSHOT_UNUSABLE');
    expect((broken as Error).message).toContain('disk full');
    expect(fake.callsOf('daytona.create')).toEqual([]);
  });
});

describe('stop', () => {
  it('deletes the sandbox once, and is idempotent', async () => {
    const { fake, box } = await running();
    await Promise.all([box.stop(), box.stop()]);
    await box.stop();
    box.stopAndRemoveSync();
    expect(box.state).toBe('stopped');
    expect(fake.callsOf('sandbox.delete')).toHaveLength(1);
    expect(fake.sandboxes.size).toBe(0);
  });

  it('makes a never-started container stopped without contacting the service', async () => {
    const { fake, factory } = setup();
    const box = factory.fromImage({ image: 'x' });
    await box.stop();
    box.stopAndRemoveSync();
    expect(box.state).toBe('stopped');
    expect(fake.calls).toEqual([]);
  });

  it('treats a sandbox that is already gone as removed', async () => {
    const { fake, box } = await running();
    fake.failNext('sandbox.delete', new DaytonaNotFoundError('Sandbox not found', 404));
    await box.stop();
    expect(box.state).toBe('stopped');
  });

  it('retries transient failures, reports permanent ones, and may be called again', async () => {
    const { fake, box } = await running();
    fake.failNext('sandbox.delete', new DaytonaConnectionError('socket hang up'));
    fake.failNext('sandbox.delete', new DaytonaBadGatewayError('bad gateway', 502));
    fake.failNext('sandbox.delete', new DaytonaAuthenticationError('expired', 401));
    const error = await rejection(box.stop());
    expect(BackendUnavailableError.isInstance(error)).toBe(true);
    expect(fake.callsOf('sandbox.delete')).toHaveLength(3);
    expect(box.state).toBe('stopped');
    await box.stop();
    expect(fake.sandboxes.size).toBe(0);
  });

  it('waits for a start in progress, then removes what it created', async () => {
    const { fake, factory } = setup();
    const box = factory.fromImage({ image: 'x' });
    const starting = box.start();
    const stopping = box.stop();
    await starting;
    await stopping;
    expect(box.state).toBe('stopped');
    expect(fake.sandboxes.size).toBe(0);
  });

  it('refuses exec, files and snapshots once stopped', async () => {
    const { box } = await running();
    await box.stop();
    for (const call of [
      () => box.exec('true'),
      () => box.readFile('/x'),
      () => box.uploadFiles([]),
      () => box.snapshot(),
    ]) {
      const error = await rejection(call());
      expect(ContainerNotStartedError.isInstance(error)).toBe(true);
      expect((error as ContainerNotStartedError).state).toBe('stopped');
    }
  });
});

describe('exec', () => {
  function launched(fake: FakeDaytona) {
    const [[session, request, timeout]] = fake.callsOf('process.executeSessionCommand') as [
      [string, { command: string; runAsync: boolean }, unknown],
    ];
    return { session, request, timeout, marker: session.replace('snapbox-exec-', '') };
  }

  it('runs a string under bash -lc in its own session, with the merged env and the workdir', async () => {
    const { fake, box } = await running({}, { FROM_START: 'start', SHARED: 'start' });
    await box.exec('echo "$FROM_START"', { env: { SHARED: 'exec', EXTRA: 'x y' }, workdir: '/srv' });
    const { session, request, timeout, marker } = launched(fake);
    expect(session).toMatch(/^snapbox-exec-[0-9a-f-]{36}$/);
    expect(request).toEqual({
      command: buildExecScript({
        command: 'echo "$FROM_START"',
        workdir: '/srv',
        env: { FROM_START: 'start', SHARED: 'exec', EXTRA: 'x y' },
        marker,
      }),
      runAsync: true,
    });
    expect(timeout).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(fake.calls.map((call) => call.method)).toEqual([
      'process.createSession',
      'process.executeSessionCommand',
      'process.getSessionCommandLogs',
      'process.getSessionCommand',
      'process.deleteSession',
    ]);
    for (const args of [...fake.callsOf('process.createSession'), ...fake.callsOf('process.deleteSession')]) {
      expect(args).toEqual([session]);
    }
    expect(fake.callsOf('process.getSessionCommand')[0]?.[0]).toBe(session);
  });

  it('runs an array as argv, in the default workdir unless the call gives one', async () => {
    const { fake, factory } = setup();
    const box = factory.fromImage({ image: 'x', defaultWorkdir: '/home/agent' });
    await box.start();
    await box.exec(['ls', '-la', "it's"]);
    const { request, marker } = launched(fake);
    expect(request.command).toBe(
      buildExecScript({ command: ['ls', '-la', "it's"], workdir: '/home/agent', env: {}, marker }),
    );
  });

  it('keeps stdout and stderr apart, interleaves them in arrival order, and returns the exit code', async () => {
    const { fake, box } = await running();
    fake.commandHandler = () => ({
      events: [
        ['stdout', 'one\n'],
        ['stderr', 'two\n'],
        ['stdout', 'three\n'],
      ],
      exitCode: 3,
    });
    const streamed: string[] = [];
    const result = await box.exec('x', {
      onStdout: (chunk) => streamed.push(`out:${chunk}`),
      onStderr: (chunk) => streamed.push(`err:${chunk}`),
    });
    expect(result).toEqual({
      exitCode: 3,
      output: 'one\ntwo\nthree\n',
      stdout: 'one\nthree\n',
      stderr: 'two\n',
      truncated: false,
    });
    expect(streamed).toEqual(['out:one\n', 'err:two\n', 'out:three\n']);
  });

  it('waits for an exit status that the service records late', async () => {
    const { fake, box } = await running();
    fake.commandHandler = () => ({ exitCode: 7, exitCodeLatePolls: 2 });
    expect((await box.exec('x')).exitCode).toBe(7);
    expect(fake.callsOf('process.getSessionCommand')).toHaveLength(3);
  });

  it('bounds what it keeps with maxOutputBytes while the callbacks see everything', async () => {
    const { fake, box } = await running();
    fake.commandHandler = () => ({
      events: [
        ['stdout', 'abcdef'],
        ['stdout', 'ghij'],
        ['stderr', 'xyz'],
      ],
    });
    const seen: string[] = [];
    const result = await box.exec('x', { maxOutputBytes: 4, onStdout: (chunk) => seen.push(chunk) });
    expect(result.stdout).toBe('abcd');
    expect(result.stderr).toBe('xyz');
    expect(result.truncated).toBe(true);
    expect(seen.join('')).toBe('abcdefghij');
  });

  it('rejects with the error a callback threw, once the command has ended', async () => {
    const { fake, box } = await running();
    fake.commandHandler = () => ({ events: [['stdout', 'a']] });
    const thrown = new Error('callback broke');
    const error = await rejection(
      box.exec('x', {
        onStdout: () => {
          throw thrown;
        },
      }),
    );
    expect(error).toBe(thrown);
    expect(fake.callsOf('process.getSessionCommand')).toHaveLength(1);
  });

  it('kills every process of a timed-out command and rejects with the partial output', async () => {
    const { fake, box, sandbox } = await running();
    fake.commandHandler = () => ({ events: [['stdout', 'before\n']], hang: true });
    const error = await rejection(box.exec('echo before; sleep 30', { timeoutMs: 30 }));
    expect(ExecTimeoutError.isInstance(error)).toBe(true);
    const timeout = error as ExecTimeoutError;
    expect(timeout.timeoutMs).toBe(30);
    expect(timeout.result).toEqual({
      exitCode: -1,
      output: 'before\n',
      stdout: 'before\n',
      stderr: '',
      truncated: false,
    });
    const { session, marker } = launched(fake);
    const kill = fake.callsOf('process.executeSessionCommand')[1] as [
      string,
      { command: string; runAsync: boolean },
      number,
    ];
    expect(kill[0]).toBe(`snapbox-kill-${marker}`);
    expect(kill[1]).toEqual({ command: buildKillScript(marker), runAsync: false });
    expect(kill[2]).toBe(60);
    expect([...sandbox.commands.values()][0]?.killed).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(fake.callsOf('process.deleteSession').flat().sort()).toEqual([session, `snapbox-kill-${marker}`].sort());
    expect(sandbox.sessions.size).toBe(0);
  });

  it('kills the command when the signal aborts, with ExecAbortedError carrying the reason', async () => {
    const { fake, box, sandbox } = await running();
    fake.commandHandler = () => ({ events: [['stderr', 'working\n']], hang: true });
    const controller = new AbortController();
    const reason = new Error('caller gave up');
    const error = await rejection(
      box.exec('x', { signal: controller.signal, onStderr: () => setTimeout(() => controller.abort(reason), 5) }),
    );
    expect(ExecAbortedError.isInstance(error)).toBe(true);
    expect((error as ExecAbortedError).cause).toBe(reason);
    expect((error as ExecAbortedError).result.stderr).toBe('working\n');
    expect([...sandbox.commands.values()][0]?.killed).toBe(true);
  });

  it('does not even start a command whose signal is already aborted', async () => {
    const { fake, box } = await running();
    const error = await rejection(box.exec('x', { signal: AbortSignal.abort() }));
    expect(ExecAbortedError.isInstance(error)).toBe(true);
    expect(fake.calls).toEqual([]);
  });

  it('kills the command and reports a mapped error when the log stream breaks', async () => {
    const { fake, box, sandbox } = await running();
    fake.commandHandler = () => ({
      events: [['stdout', 'a']],
      streamError: new DaytonaConnectionError('websocket closed'),
    });
    const error = await rejection(box.exec('x'));
    expect(BackendUnavailableError.isInstance(error)).toBe(true);
    expect((error as Error).cause).toBeInstanceOf(DaytonaConnectionError);
    expect(fake.callsOf('process.executeSessionCommand')).toHaveLength(2);
    expect([...sandbox.commands.values()][0]?.killed).toBe(true);
  });

  it('retries session calls the service turned away, and maps what it cannot retry', async () => {
    const { fake, box } = await running();
    fake.failNext('process.createSession', new DaytonaRateLimitError('slow down', 429));
    fake.failNext('process.executeSessionCommand', new DaytonaServiceUnavailableError('busy', 503));
    expect((await box.exec('x')).exitCode).toBe(0);
    expect(fake.callsOf('process.createSession')).toHaveLength(2);
    expect(fake.callsOf('process.executeSessionCommand')).toHaveLength(2);

    fake.failNext('process.executeSessionCommand', new DaytonaBadGatewayError('bad gateway', 502));
    const error = await rejection(box.exec('x'));
    expect(BackendUnavailableError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('exec x');
  });

  it('rejects bad arguments with InvalidArgumentError before contacting the service', async () => {
    const { fake, box } = await running();
    for (const call of [
      () => box.exec(''),
      () => box.exec([]),
      () => box.exec('x', { timeoutMs: -1 }),
      () => box.exec('x', { workdir: 'rel' }),
    ]) {
      expect(InvalidArgumentError.isInstance(await rejection(call()))).toBe(true);
    }
    expect(fake.calls).toEqual([]);
  });
});

describe('files', () => {
  it('uploads files and restores modes other than the 0644 the service writes', async () => {
    const { fake, box, sandbox } = await running();
    const script = join(local, 'tool.sh');
    const data = join(local, 'data.txt');
    await writeFile(script, '#!/bin/sh\n');
    await chmod(script, 0o755);
    await writeFile(data, 'data');
    await chmod(data, 0o644);
    await box.uploadFiles([
      { localPath: script, remotePath: '/opt/tool.sh' },
      { localPath: data, remotePath: '/opt/data.txt' },
    ]);
    expect(fake.callsOf('fs.uploadFiles')).toEqual([
      [
        [
          { source: script, destination: '/opt/tool.sh' },
          { source: data, destination: '/opt/data.txt' },
        ],
        undefined,
      ],
    ]);
    expect(fake.callsOf('fs.setFilePermissions')).toEqual([['/opt/tool.sh', { mode: '755' }]]);
    expect(sandbox.files.get('/opt/tool.sh')?.mode).toBe(0o755);
  });

  it('refuses a missing local file before uploading anything', async () => {
    const { fake, box } = await running();
    const error = await rejection(box.uploadFile(join(local, 'missing'), '/x'));
    expect(InvalidArgumentError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/files\[0\]\.localPath/);
    expect(fake.calls).toEqual([]);
  });

  it('downloads files with their modes, creating local parents', async () => {
    const { fake, box, sandbox } = await running();
    sandbox.files.set('/opt/run', { content: new TextEncoder().encode('#!/bin/sh'), mode: 0o750 });
    const target = join(local, 'down', 'deep', 'run');
    await box.downloadFile('/opt/run', target);
    expect(await readFile(target, 'utf8')).toBe('#!/bin/sh');
    expect((await stat(target)).mode & 0o777).toBe(0o750);
    expect(fake.callsOf('fs.getFileDetails')).toEqual([['/opt/run']]);
    expect(fake.callsOf('fs.downloadFiles')).toEqual([[[{ source: '/opt/run', destination: target }], undefined]]);
  });

  it('reports a missing remote file with RemotePathNotFoundError and writes nothing', async () => {
    const { fake, box } = await running();
    const target = join(local, 'never', 'written');
    const error = await rejection(box.downloadFile('/no/such', target));
    expect(RemotePathNotFoundError.isInstance(error)).toBe(true);
    expect((error as RemotePathNotFoundError).remotePath).toBe('/no/such');
    expect(fake.callsOf('fs.downloadFiles')).toEqual([]);
    expect(await stat(target).catch(() => undefined)).toBeUndefined();
    expect(RemotePathNotFoundError.isInstance(await rejection(box.readFile('/no/such')))).toBe(true);
  });

  it('maps a per-file download failure reported in the answer', async () => {
    const { fake, box, sandbox } = await running();
    sandbox.files.set('/racy', { content: new Uint8Array([1]), mode: 0o644 });
    const original = sandbox.fs.downloadFiles;
    sandbox.fs.downloadFiles = async (files) => {
      fake.record('fs.downloadFiles', [files]);
      return [{ source: '/racy', error: 'file not found or invalid: /racy' }];
    };
    expect(RemotePathNotFoundError.isInstance(await rejection(box.readFile('/racy')))).toBe(true);
    sandbox.fs.downloadFiles = original;
  });

  it('refuses to download a folder as a file', async () => {
    const { box, sandbox } = await running();
    sandbox.folders.add('/etc');
    const error = await rejection(box.downloadFile('/etc', join(local, 'etc')));
    expect(InvalidArgumentError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('use downloadDir');
  });

  it('writes and reads whole files, empty ones included', async () => {
    const { fake, box } = await running();
    await box.writeFile('/tmp/bytes', new Uint8Array([0, 255, 10]));
    expect(await box.readFile('/tmp/bytes')).toEqual(new Uint8Array([0, 255, 10]));
    await box.writeFile('/tmp/empty', '');
    fake.emptyDownloadQuirk = true;
    expect((await box.readFile('/tmp/empty')).length).toBe(0);
  });

  it('creates the folders of an uploaded tree through the file API', async () => {
    const { fake, box, sandbox } = await running();
    const tree = join(local, 'tree');
    await mkdir(join(tree, 'a', 'b'), { recursive: true });
    await mkdir(join(tree, 'empty'), { recursive: true });
    await writeFile(join(tree, 'a', 'b', 'f.txt'), 'f');
    await box.uploadDir(tree, '/dst');
    expect(
      fake
        .callsOf('fs.createFolder')
        .map((args) => args[0])
        .sort(),
    ).toEqual(['/dst', '/dst/a', '/dst/a/b', '/dst/empty']);
    expect(new TextDecoder().decode(sandbox.files.get('/dst/a/b/f.txt')?.content)).toBe('f');
  });
});

describe('snapshots', () => {
  it('names the snapshot, waits until it is active, and returns the name as the id', async () => {
    const { fake, box } = await running({ snapshotTimeoutSeconds: 120 });
    fake.snapshotActivationPolls = 2;
    const id = await box.snapshot();
    expect(id).toMatch(new RegExp(`^snapbox-${sessionId}-\\d+$`));
    expect(fake.callsOf('sandbox.createSnapshot')).toEqual([[box.sandboxId, id, 120]]);
    expect(fake.callsOf('snapshot.get')).toEqual([[id], [id], [id]]);
    expect(fake.snapshots.get(id)?.state).toBe('active');
    expect(await box.snapshot({ keep: true })).toMatch(new RegExp(`^snapbox-${sessionId}-keep-\\d+$`));
  });

  it('takes one snapshot of a container at a time', async () => {
    const { fake, box, sandbox } = await running();
    let inFlight = 0;
    let most = 0;
    const original = sandbox.createSnapshot.bind(sandbox);
    sandbox.createSnapshot = async (name, timeout) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      await original(name, timeout);
      inFlight -= 1;
    };
    const ids = await Promise.all([box.snapshot(), box.snapshot(), box.snapshot()]);
    expect(new Set(ids).size).toBe(3);
    expect(most).toBe(1);
    expect(fake.snapshots.size).toBe(3);
  });

  it('reports a snapshot Daytona could not complete, and a quota refusal', async () => {
    const { fake, box, sandbox } = await running();
    const original = sandbox.createSnapshot.bind(sandbox);
    sandbox.createSnapshot = async (name, timeout) => {
      await original(name, timeout);
      const info = fake.snapshots.get(name);
      if (info) Object.assign(info, { state: 'error', errorReason: 'commit failed' });
    };
    const failed = await rejection(box.snapshot());
    expect((failed as SnapboxError).code).toBe('SNAPSHOT_FAILED');
    expect((failed as Error).message).toContain('commit failed');
    sandbox.createSnapshot = original;
    fake.failNext('sandbox.createSnapshot', new DaytonaForbiddenError('Snapshot quota exceeded', 403));
    expect(QuotaExceededError.isInstance(await rejection(box.snapshot()))).toBe(true);
  });

  it('says so when the installed SDK cannot snapshot', async () => {
    const { box, sandbox } = await running();
    Object.defineProperty(sandbox, 'createSnapshot', { value: undefined });
    const error = await rejection(box.snapshot());
    expect(UnsupportedCapabilityError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('upgrade');
  });

  it('refuses to snapshot a container that is not running', async () => {
    const { factory } = setup();
    expect(ContainerNotStartedError.isInstance(await rejection(factory.fromImage({ image: 'x' }).snapshot()))).toBe(
      true,
    );
  });

  it('restores through fromSnapshot whatever the state, as a new unstarted container', async () => {
    const { fake, box } = await running();
    const id = await box.snapshot();
    await box.stop();
    const copy = box.fromSnapshot(id);
    expect(copy.state).toBe('created');
    expect(copy).not.toBe(box);
    await copy.start();
    const [[params]] = fake.callsOf('daytona.create') as [[DaytonaCreateParams]];
    expect(params.snapshot).toBe(id);
    expect(() => box.fromSnapshot('')).toThrow(/snapshotId/);
  });

  it('deletes its own snapshots idempotently, also while Daytona is still removing them', async () => {
    const { fake, box } = await running();
    const id = await box.snapshot();
    fake.calls.length = 0;
    await box.deleteSnapshot(id);
    expect(fake.calls.map((call) => [call.method, ...call.args])).toEqual([
      ['snapshot.get', id],
      ['snapshot.delete', id],
    ]);
    await box.deleteSnapshot(id);
    expect(fake.callsOf('snapshot.delete')).toHaveLength(1);
    fake.snapshots.set('snapbox-0123abcd-4567-89ab-cdef-0123456789ab-3', {
      name: 'snapbox-0123abcd-4567-89ab-cdef-0123456789ab-3',
      state: 'removing',
      pendingPolls: 0,
    });
    await box.deleteSnapshot('snapbox-0123abcd-4567-89ab-cdef-0123456789ab-3');
    expect(fake.callsOf('snapshot.delete')).toHaveLength(1);
  });

  it('refuses, untouched, any id snapbox did not name', async () => {
    const { fake, box } = await running();
    fake.snapshots.set('daytonaio/sandbox:0.4.3', {
      name: 'daytonaio/sandbox:0.4.3',
      state: 'active',
      pendingPolls: 0,
    });
    for (const id of ['daytonaio/sandbox:0.4.3', 'debian:12', 'snapbox-mine']) {
      const error = await rejection(box.deleteSnapshot(id));
      expect(NotASnapshotError.isInstance(error)).toBe(true);
      expect(() => box.deleteSnapshotSync(id)).toThrow(/not a snapshot created by snapbox/);
    }
    expect(InvalidArgumentError.isInstance(await rejection(box.deleteSnapshot('')))).toBe(true);
    expect(fake.calls).toEqual([]);
    expect(fake.snapshots.has('daytonaio/sandbox:0.4.3')).toBe(true);
  });

  it('retries a delete through transient failures and maps a permanent one', async () => {
    const { fake, box } = await running();
    const id = await box.snapshot();
    fake.failNext('snapshot.delete', new DaytonaBadGatewayError('bad gateway', 502));
    fake.failNext('snapshot.delete', new DaytonaServiceUnavailableError('busy', 503));
    await box.deleteSnapshot(id);
    expect(fake.snapshots.has(id)).toBe(false);

    const other = await box.snapshot();
    fake.failNext('snapshot.get', new DaytonaAuthenticationError('expired', 401));
    expect(BackendUnavailableError.isInstance(await rejection(box.deleteSnapshot(other)))).toBe(true);
    expect(fake.snapshots.has(other)).toBe(true);
  });
});
