import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from './errors/invalid-argument-error.js';
import { UnsupportedCapabilityError } from './errors/unsupported-capability-error.js';
import {
  assertAbsoluteRemotePath,
  assertCommand,
  assertContainerOptions,
  assertExecOptions,
  assertFileTransfers,
  assertNonEmptyString,
  assertOptionalNumber,
  assertOptionalStringRecord,
  assertPort,
  assertStartOptions,
  assertUser,
  type SupportedOptions,
} from './validation.js';

/** Runs `call` and returns the UnsupportedCapabilityError it threw (failing the test otherwise). */
function refused(call: () => void): UnsupportedCapabilityError {
  try {
    call();
  } catch (error) {
    expect(UnsupportedCapabilityError.isInstance(error)).toBe(true);
    return error as UnsupportedCapabilityError;
  }
  throw new Error('expected an UnsupportedCapabilityError');
}

const everything: SupportedOptions = { backend: 'test', network: true, user: true, ports: true, pids: true };

/** Runs `call` and returns the InvalidArgumentError it threw (failing the test otherwise). */
function invalid(call: () => void): InvalidArgumentError {
  try {
    call();
  } catch (error) {
    expect(InvalidArgumentError.isInstance(error)).toBe(true);
    return error as InvalidArgumentError;
  }
  throw new Error('expected an InvalidArgumentError, nothing was thrown');
}

describe('assertNonEmptyString', () => {
  it('accepts a non-empty string', () => {
    expect(() => assertNonEmptyString('x', 'name')).not.toThrow();
  });

  it('refuses empty strings, non-strings and NUL bytes, naming the argument and the value', () => {
    expect(invalid(() => assertNonEmptyString('', 'image')).message).toBe(
      'Invalid image: expected a non-empty string, got an empty string',
    );
    expect(invalid(() => assertNonEmptyString(42, 'image')).message).toBe(
      'Invalid image: expected a non-empty string, got number 42',
    );
    expect(invalid(() => assertNonEmptyString(null, 'image')).message).toMatch(/got null$/);
    expect(invalid(() => assertNonEmptyString(['a'], 'image')).message).toMatch(/got an array$/);
    expect(invalid(() => assertNonEmptyString({}, 'image')).message).toMatch(/got an object$/);
    const nul = invalid(() => assertNonEmptyString('a\0b', 'name'));
    expect(nul.argument).toBe('name');
    expect(nul.message).toMatch(/NUL/);
  });
});

describe('assertAbsoluteRemotePath', () => {
  it('accepts absolute POSIX paths and refuses relative ones', () => {
    expect(() => assertAbsoluteRemotePath('/tmp/x', 'remotePath')).not.toThrow();
    const error = invalid(() => assertAbsoluteRemotePath('tmp/x', 'remotePath'));
    expect(error.argument).toBe('remotePath');
    expect(error.message).toMatch(/must be absolute.*"tmp\/x"/);
    expect(invalid(() => assertAbsoluteRemotePath('', 'remotePath')).message).toMatch(/non-empty/);
  });
});

describe('assertFileTransfers', () => {
  it('accepts an empty array and well-formed entries', () => {
    expect(() => assertFileTransfers([], 'files')).not.toThrow();
    expect(() => assertFileTransfers([{ localPath: 'rel/ok', remotePath: '/abs' }], 'files')).not.toThrow();
  });

  it('names the offending entry and field', () => {
    expect(invalid(() => assertFileTransfers('nope', 'files')).argument).toBe('files');
    expect(invalid(() => assertFileTransfers([null], 'files')).argument).toBe('files[0]');
    const entries = [
      { localPath: 'a', remotePath: '/a' },
      { localPath: '', remotePath: '/b' },
    ];
    expect(invalid(() => assertFileTransfers(entries, 'files')).argument).toBe('files[1].localPath');
    expect(invalid(() => assertFileTransfers([{ localPath: 'a', remotePath: 'b' }], 'files')).argument).toBe(
      'files[0].remotePath',
    );
    expect(invalid(() => assertFileTransfers([{ localPath: 'a' }], 'files')).argument).toBe('files[0].remotePath');
  });
});

describe('assertOptionalNumber', () => {
  it('accepts undefined and numbers within bounds', () => {
    expect(() => assertOptionalNumber(undefined, 'n', { min: 0 })).not.toThrow();
    expect(() => assertOptionalNumber(0, 'n', { min: 0 })).not.toThrow();
    expect(() => assertOptionalNumber(0.5, 'n', { min: 0, exclusive: true })).not.toThrow();
  });

  it('refuses out-of-bounds, non-finite, non-integer and non-number values', () => {
    expect(invalid(() => assertOptionalNumber(0, 'timeoutMs', { min: 0, exclusive: true })).message).toBe(
      'Invalid timeoutMs: expected a number > 0, got number 0',
    );
    expect(invalid(() => assertOptionalNumber(-1, 'n', { min: 0 })).message).toMatch(/≥ 0/);
    expect(invalid(() => assertOptionalNumber(1.5, 'bytes', { min: 0, integer: true })).message).toMatch(/an integer/);
    expect(invalid(() => assertOptionalNumber(Number.NaN, 'n', { min: 0 })).argument).toBe('n');
    expect(invalid(() => assertOptionalNumber(Number.POSITIVE_INFINITY, 'n', { min: 0 })).argument).toBe('n');
    expect(invalid(() => assertOptionalNumber('3', 'n', { min: 0 })).message).toMatch(/the string "3"/);
  });
});

describe('assertOptionalStringRecord', () => {
  it('accepts undefined and records of strings', () => {
    expect(() => assertOptionalStringRecord(undefined, 'env')).not.toThrow();
    expect(() => assertOptionalStringRecord({ A: '1', B: '' }, 'env')).not.toThrow();
  });

  it('refuses non-objects, bad keys and non-string values, naming the key', () => {
    expect(invalid(() => assertOptionalStringRecord([], 'env')).argument).toBe('env');
    expect(invalid(() => assertOptionalStringRecord('A=1', 'env')).argument).toBe('env');
    expect(invalid(() => assertOptionalStringRecord({ 'A=B': 'x' }, 'env')).argument).toBe('env key "A=B"');
    expect(invalid(() => assertOptionalStringRecord({ '': 'x' }, 'env')).argument).toBe('env key ""');
    expect(invalid(() => assertOptionalStringRecord({ A: 1 }, 'env')).argument).toBe('env.A');
  });
});

describe('assertCommand', () => {
  it('accepts a non-empty string or argv', () => {
    expect(() => assertCommand('echo hi')).not.toThrow();
    expect(() => assertCommand(['echo', ''])).not.toThrow();
  });

  it('refuses empty commands, non-strings and NUL bytes', () => {
    expect(invalid(() => assertCommand('')).argument).toBe('command');
    expect(invalid(() => assertCommand([])).argument).toBe('command');
    expect(invalid(() => assertCommand(42)).argument).toBe('command');
    expect(invalid(() => assertCommand(['echo', 3])).argument).toBe('command[1]');
    expect(invalid(() => assertCommand(['echo', 'a\0b'])).argument).toBe('command[1]');
    expect(invalid(() => assertCommand(['', 'x'])).argument).toBe('command[0]');
    expect(invalid(() => assertCommand('', 'cmd')).argument).toBe('cmd');
  });
});

describe('assertExecOptions', () => {
  it('accepts undefined, an empty object and every valid option', () => {
    expect(() => assertExecOptions(undefined)).not.toThrow();
    expect(() =>
      assertExecOptions({
        workdir: '/w',
        env: { A: 'b' },
        timeoutMs: 1,
        maxOutputBytes: 0,
        onStdout: () => {},
        onStderr: () => {},
        signal: new AbortController().signal,
      }),
    ).not.toThrow();
  });

  it.each([
    [null, 'options'],
    ['x', 'options'],
    [{ workdir: 'rel' }, 'options.workdir'],
    [{ env: { A: 1 } }, 'options.env.A'],
    [{ timeoutMs: 0 }, 'options.timeoutMs'],
    [{ maxOutputBytes: -1 }, 'options.maxOutputBytes'],
    [{ maxOutputBytes: 1.5 }, 'options.maxOutputBytes'],
    [{ onStdout: 'log' }, 'options.onStdout'],
    [{ onStderr: 1 }, 'options.onStderr'],
    [{ signal: {} }, 'options.signal'],
    [{ signal: null }, 'options.signal'],
    [{ user: '' }, 'options.user'],
    [{ user: 'a b' }, 'options.user'],
    [{ user: '1:2:3' }, 'options.user'],
  ])('refuses %j naming %s', (options, argument) => {
    expect(invalid(() => assertExecOptions(options, everything)).argument).toBe(argument);
  });

  it('refuses user with UnsupportedCapabilityError unless the backend supports it', () => {
    const error = refused(() => assertExecOptions({ user: '1000' }, { backend: 'memoryless' }));
    expect([error.capability, error.backend]).toEqual(['user', 'memoryless']);
    expect(refused(() => assertExecOptions({ user: 'app' })).backend).toBeUndefined();
    expect(() => assertExecOptions({ user: '1000:1000' }, { user: true })).not.toThrow();
    expect(() => assertExecOptions({ user: 'app:staff' }, { user: true })).not.toThrow();
  });
});

describe('assertStartOptions', () => {
  it('accepts undefined and every valid option', () => {
    expect(() => assertStartOptions(undefined)).not.toThrow();
    expect(() =>
      assertStartOptions({
        env: { A: 'b' },
        signal: new AbortController().signal,
        timeoutMs: 10,
        onProgress: () => {},
      }),
    ).not.toThrow();
  });

  it.each([
    [null, 'options'],
    [{ env: 'A=b' }, 'options.env'],
    [{ signal: {} }, 'options.signal'],
    [{ timeoutMs: 0 }, 'options.timeoutMs'],
    [{ timeoutMs: Number.POSITIVE_INFINITY }, 'options.timeoutMs'],
    [{ onProgress: 'log' }, 'options.onProgress'],
  ])('refuses %j naming %s', (options, argument) => {
    expect(invalid(() => assertStartOptions(options)).argument).toBe(argument);
  });
});

describe('assertPort and assertUser', () => {
  it('take ports 1 to 65535 and users as uid[:gid] or names', () => {
    for (const port of [1, 80, 65535]) expect(() => assertPort(port, 'port')).not.toThrow();
    for (const port of [0, 65536, 1.5, '80', Number.NaN])
      expect(invalid(() => assertPort(port, 'port')).argument).toBe('port');
    for (const user of ['0', '1000:1000', 'nobody', 'app:app', 'www-data']) {
      expect(() => assertUser(user, 'user')).not.toThrow();
    }
    for (const user of ['', ':1', '1:', 'a\0b', 3])
      expect(invalid(() => assertUser(user, 'user')).argument).toBe('user');
  });
});

describe('assertContainerOptions', () => {
  it('accepts undefined and valid options', () => {
    expect(() => assertContainerOptions(undefined)).not.toThrow();
    expect(() =>
      assertContainerOptions({
        name: 'n',
        defaultWorkdir: '/w',
        labels: { team: 'x' },
        resources: { cpu: 0.5, memoryMiB: 64, diskGiB: 1, gpu: 0 },
      }),
    ).not.toThrow();
    expect(() =>
      assertContainerOptions(
        { network: 'none', user: '1000:1000', ports: [8080, 9000], resources: { pids: 64 } },
        everything,
      ),
    ).not.toThrow();
  });

  it("accepts network 'default' and an empty ports list whatever the backend supports", () => {
    expect(() => assertContainerOptions({ network: 'default', ports: [] })).not.toThrow();
  });

  it.each([
    [{ network: 'none' }, 'network'],
    [{ user: 'nobody' }, 'user'],
    [{ ports: [80] }, 'ports'],
    [{ resources: { pids: 10 } }, 'resources.pids'],
  ])(
    'refuses %j with UnsupportedCapabilityError (%s) from a backend that does not say it supports it',
    (options, capability) => {
      const error = refused(() => assertContainerOptions(options, { backend: 'old' }));
      expect(error.capability).toBe(capability);
      expect(error.message).toMatch(/not supported on the old backend/);
      const others = { ...everything, [capability === 'resources.pids' ? 'pids' : capability]: false };
      expect(refused(() => assertContainerOptions(options, others)).capability).toBe(capability);
    },
  );

  it('reports a malformed option before an unsupported one', () => {
    expect(invalid(() => assertContainerOptions({ network: 'host' })).argument).toBe('options.network');
    expect(invalid(() => assertContainerOptions({ user: 'a b' })).argument).toBe('options.user');
    expect(invalid(() => assertContainerOptions({ resources: { pids: 0 } })).argument).toBe('options.resources.pids');
  });

  it.each([
    ['x', 'options'],
    [{ name: '' }, 'options.name'],
    [{ defaultWorkdir: 'relative/dir' }, 'options.defaultWorkdir'],
    [{ labels: { 'org.snapbox.owner': 'me' } }, 'options.labels'],
    [{ labels: { a: 1 } }, 'options.labels.a'],
    [{ resources: 'big' }, 'options.resources'],
    [{ resources: { cpu: -1 } }, 'options.resources.cpu'],
    [{ resources: { memoryMiB: 0 } }, 'options.resources.memoryMiB'],
    [{ resources: { diskGiB: Number.NaN } }, 'options.resources.diskGiB'],
    [{ resources: { gpu: 0.5 } }, 'options.resources.gpu'],
    [{ resources: { pids: 2.5 } }, 'options.resources.pids'],
    [{ network: 'bridge' }, 'options.network'],
    [{ user: '' }, 'options.user'],
    [{ ports: 80 }, 'options.ports'],
    [{ ports: [0] }, 'options.ports[0]'],
    [{ ports: [80, 'http'] }, 'options.ports[1]'],
    [{ ports: [80, 80] }, 'options.ports[1]'],
  ])('refuses %j naming %s', (options, argument) => {
    expect(invalid(() => assertContainerOptions(options, everything)).argument).toBe(argument);
  });

  it('uses the given argument name as the prefix', () => {
    expect(invalid(() => assertContainerOptions({ name: '' }, {}, 'containerOptions')).argument).toBe(
      'containerOptions.name',
    );
  });
});
