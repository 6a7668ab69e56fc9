import { describe, expect, it, vi } from 'vitest';
import type { ExecResult } from '../container.js';
import {
  BackendUnavailableError,
  ContainerNotStartedError,
  ExecAbortedError,
  ExecTimeoutError,
  ImageBuildError,
  ImageNotFoundError,
  InvalidArgumentError,
  NotASnapshotError,
  RemotePathNotFoundError,
  SnapboxError,
  SnapshotNotFoundError,
  StartAbortedError,
  StartTimeoutError,
  UnsupportedCapabilityError,
} from './index.js';

const partial: ExecResult = { exitCode: -1, output: 'so far\n', stdout: 'so far\n', stderr: '', truncated: false };
const cause = new Error('the engine said no');

/** One instance of every error class, with the code and message parts it must carry. */
const cases = [
  {
    error: new BackendUnavailableError({
      backend: 'docker',
      endpoint: '/var/run/docker.sock',
      detail: 'ECONNREFUSED',
      cause,
    }),
    type: BackendUnavailableError,
    code: 'BACKEND_UNAVAILABLE',
    message: /docker backend is unavailable at \/var\/run\/docker\.sock: ECONNREFUSED/,
  },
  {
    error: new ContainerNotStartedError({ operation: 'exec', state: 'created', container: 'box-1', cause }),
    type: ContainerNotStartedError,
    code: 'CONTAINER_NOT_STARTED',
    message: /Cannot exec: container box-1 is created, not running; call start\(\) first/,
  },
  {
    error: new ExecAbortedError({ command: 'sleep 5', result: partial, cause }),
    type: ExecAbortedError,
    code: 'EXEC_ABORTED',
    message: /aborted and killed: sleep 5/,
  },
  {
    error: new ExecTimeoutError({ command: 'sleep 5', timeoutMs: 700, result: partial, cause }),
    type: ExecTimeoutError,
    code: 'EXEC_TIMEOUT',
    message: /timed out after 700 ms and was killed: sleep 5/,
  },
  {
    error: new ImageBuildError({
      dockerfilePath: '/ctx/Dockerfile',
      detail: 'RUN failed',
      logTail: 'step 3\nboom\n',
      cause,
    }),
    type: ImageBuildError,
    code: 'IMAGE_BUILD_FAILED',
    message: /Building \/ctx\/Dockerfile failed: RUN failed\n--- last lines of the build log ---\nstep 3\nboom$/,
  },
  {
    error: new ImageNotFoundError({ image: 'nope:1', detail: 'pull access denied', cause }),
    type: ImageNotFoundError,
    code: 'IMAGE_NOT_FOUND',
    message: /Image nope:1 was not found: pull access denied/,
  },
  {
    error: new InvalidArgumentError({ argument: 'files[2].remotePath', message: 'must be absolute', cause }),
    type: InvalidArgumentError,
    code: 'INVALID_ARGUMENT',
    message: /^Invalid files\[2\]\.remotePath: must be absolute$/,
  },
  {
    error: new NotASnapshotError({ snapshotId: 'busybox:latest', reason: 'no snapbox label', cause }),
    type: NotASnapshotError,
    code: 'NOT_A_SNAPSHOT',
    message: /Refusing to delete busybox:latest: it is not a snapshot created by snapbox \(no snapbox label\)/,
  },
  {
    error: new RemotePathNotFoundError({ remotePath: '/etc/nope', container: 'box-1', cause }),
    type: RemotePathNotFoundError,
    code: 'REMOTE_PATH_NOT_FOUND',
    message: /^\/etc\/nope does not exist in container box-1\.$/,
  },
  {
    error: new SnapshotNotFoundError({ snapshotId: 'snap-1', cause }),
    type: SnapshotNotFoundError,
    code: 'SNAPSHOT_NOT_FOUND',
    message: /Snapshot snap-1 does not exist/,
  },
  {
    error: new StartAbortedError({ container: 'box-1', phase: 'build', cause }),
    type: StartAbortedError,
    code: 'START_ABORTED',
    message: /^Start of container box-1 aborted during its build phase; nothing it made was kept\.$/,
  },
  {
    error: new StartTimeoutError({ timeoutMs: 900, phase: 'pull', cause }),
    type: StartTimeoutError,
    code: 'START_TIMEOUT',
    message:
      /^Start of the container timed out after 900 ms during its pull phase; nothing it made was kept\. Raise timeoutMs/,
  },
  {
    error: new UnsupportedCapabilityError({
      capability: 'diskGiB',
      backend: 'docker',
      detail: 'overlay2 cannot enforce it',
      cause,
    }),
    type: UnsupportedCapabilityError,
    code: 'UNSUPPORTED_CAPABILITY',
    message: /diskGiB is not supported on the docker backend: overlay2 cannot enforce it/,
  },
] as const;

describe('snapbox errors', () => {
  it.each(cases.map((entry) => [entry.type.name, entry] as const))(
    '%s carries its code, name, message and cause',
    (_, entry) => {
      expect(entry.error.code).toBe(entry.code);
      expect(entry.error.name).toBe(entry.type.name);
      expect(entry.error.message).toMatch(entry.message);
      expect(entry.error.cause).toBe(cause);
      expect(entry.error).toBeInstanceOf(Error);
      expect(entry.error).toBeInstanceOf(SnapboxError);
      expect(entry.error.stack).toContain(entry.type.name);
    },
  );

  it.each(cases.map((entry) => [entry.type.name, entry] as const))(
    '%s.isInstance recognises only its own class',
    (_, entry) => {
      expect(entry.type.isInstance(entry.error)).toBe(true);
      expect(SnapboxError.isInstance(entry.error)).toBe(true);
      for (const other of cases) {
        if (other.type !== entry.type) expect(other.type.isInstance(entry.error)).toBe(false);
      }
    },
  );

  it('isInstance is false for look-alikes and non-errors', () => {
    const lookAlike = Object.assign(new Error('x'), { code: 'EXEC_TIMEOUT', name: 'ExecTimeoutError' });
    for (const value of [lookAlike, null, undefined, 42, 'ExecTimeoutError', {}, () => {}]) {
      expect(ExecTimeoutError.isInstance(value)).toBe(false);
      expect(SnapboxError.isInstance(value)).toBe(false);
    }
  });

  it('omits the cause when none is given, and words optional parts sensibly', () => {
    const error = new ContainerNotStartedError({ operation: 'snapshot', state: 'stopped' });
    expect('cause' in error).toBe(false);
    expect(error.message).toBe(
      'Cannot snapshot: the container is stopped, not running; a stopped container cannot be restarted; create a new one (or restore a snapshot).',
    );
    expect(new ImageBuildError({ detail: 'no FROM', logTail: '  \n' }).message).toBe(
      'Building the image failed: no FROM',
    );
    expect(new BackendUnavailableError({ backend: 'daytona' }).message).toBe('The daytona backend is unavailable.');
    expect(new RemotePathNotFoundError({ remotePath: '/x' }).message).toBe('/x does not exist in the container.');
  });

  it('exposes the extra fields callers branch on', () => {
    const timeout = new ExecTimeoutError({ command: 'c', timeoutMs: 5, result: partial });
    expect(timeout.result).toBe(partial);
    expect(timeout.timeoutMs).toBe(5);
    expect(new ExecAbortedError({ command: 'c', result: partial }).result).toBe(partial);
    expect(new InvalidArgumentError({ argument: 'image', message: 'm' }).argument).toBe('image');
    expect(new NotASnapshotError({ snapshotId: 'x' }).snapshotId).toBe('x');
    expect(new SnapshotNotFoundError({ snapshotId: 'y' }).snapshotId).toBe('y');
    expect(new ContainerNotStartedError({ operation: 'exec', state: 'created' }).operation).toBe('exec');
    const startTimeout = new StartTimeoutError({ timeoutMs: 7 });
    expect([startTimeout.timeoutMs, startTimeout.phase]).toEqual([7, undefined]);
    expect(new StartAbortedError({ phase: 'start' }).phase).toBe('start');
    const unsupported = new UnsupportedCapabilityError({ capability: 'snapshots' });
    expect([unsupported.capability, unsupported.backend]).toEqual(['snapshots', undefined]);
  });

  describe('across two loaded copies of the module (a duplicate install)', () => {
    it('isInstance of one copy recognises errors of the other, where instanceof fails', async () => {
      vi.resetModules();
      const copy = await import('./index.js');
      expect(copy.ExecTimeoutError).not.toBe(ExecTimeoutError);

      const fromThisCopy = new ExecTimeoutError({ command: 'c', timeoutMs: 1, result: partial });
      const fromOtherCopy = new copy.ExecTimeoutError({ command: 'c', timeoutMs: 1, result: partial });
      expect(fromThisCopy instanceof copy.ExecTimeoutError).toBe(false);
      expect(fromOtherCopy instanceof ExecTimeoutError).toBe(false);
      expect(copy.ExecTimeoutError.isInstance(fromThisCopy)).toBe(true);
      expect(ExecTimeoutError.isInstance(fromOtherCopy)).toBe(true);
      expect(copy.SnapboxError.isInstance(fromThisCopy)).toBe(true);
      expect(SnapboxError.isInstance(fromOtherCopy)).toBe(true);
      expect(copy.ExecAbortedError.isInstance(fromThisCopy)).toBe(false);
      expect(NotASnapshotError.isInstance(new copy.NotASnapshotError({ snapshotId: 'x' }))).toBe(true);
    });
  });
});
