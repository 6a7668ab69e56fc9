import { InvalidArgumentError } from './errors/invalid-argument-error.js';

/**
 * Argument checks shared by every backend, so that bad input gets the same
 * `InvalidArgumentError` (naming the argument) whichever backend receives it.
 */

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return value === '' ? 'an empty string' : `the string ${JSON.stringify(value)}`;
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

/** Asserts a non-empty string without NUL bytes. */
export function assertNonEmptyString(value: unknown, argument: string): asserts value is string {
  if (typeof value !== 'string' || value === '') {
    throw new InvalidArgumentError({ argument, message: `expected a non-empty string, got ${describe(value)}` });
  }
  if (value.includes('\0')) {
    throw new InvalidArgumentError({ argument, message: 'must not contain a NUL byte' });
  }
}

/** Asserts an absolute POSIX path (a path inside a container). */
export function assertAbsoluteRemotePath(value: unknown, argument: string): asserts value is string {
  assertNonEmptyString(value, argument);
  if (!value.startsWith('/')) {
    throw new InvalidArgumentError({
      argument,
      message: `a path inside the container must be absolute (start with "/"), got ${JSON.stringify(value)}`,
    });
  }
}

/** Asserts an array of `{ localPath, remotePath }` with a local path and an absolute remote path. */
export function assertFileTransfers(value: unknown, argument: string): void {
  if (!Array.isArray(value)) {
    throw new InvalidArgumentError({
      argument,
      message: `expected an array of { localPath, remotePath }, got ${describe(value)}`,
    });
  }
  value.forEach((entry: unknown, index) => {
    const at = `${argument}[${index}]`;
    if (typeof entry !== 'object' || entry === null) {
      throw new InvalidArgumentError({
        argument: at,
        message: `expected { localPath, remotePath }, got ${describe(entry)}`,
      });
    }
    const record = entry as Record<string, unknown>;
    assertNonEmptyString(record.localPath, `${at}.localPath`);
    assertAbsoluteRemotePath(record.remotePath, `${at}.remotePath`);
  });
}

/** Asserts a finite number ≥ `min` (or > `min` when `exclusive`), when the value is present. */
export function assertOptionalNumber(
  value: unknown,
  argument: string,
  bounds: { min: number; exclusive?: boolean; integer?: boolean },
): asserts value is number | undefined {
  if (value === undefined) return;
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (bounds.exclusive ? value > bounds.min : value >= bounds.min) &&
    (!bounds.integer || Number.isInteger(value));
  if (!ok) {
    const kind = bounds.integer ? 'an integer' : 'a number';
    throw new InvalidArgumentError({
      argument,
      message: `expected ${kind} ${bounds.exclusive ? '>' : '≥'} ${bounds.min}, got ${describe(value)}`,
    });
  }
}

/** Asserts a plain `Record<string, string>` when present (env, labels). */
export function assertOptionalStringRecord(
  value: unknown,
  argument: string,
): asserts value is Record<string, string> | undefined {
  if (value === undefined) return;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError({ argument, message: `expected an object of strings, got ${describe(value)}` });
  }
  for (const [key, entry] of Object.entries(value)) {
    if (key === '' || key.includes('=') || key.includes('\0')) {
      throw new InvalidArgumentError({
        argument: `${argument} key ${JSON.stringify(key)}`,
        message: 'must be non-empty and contain no "=" or NUL',
      });
    }
    if (typeof entry !== 'string') {
      throw new InvalidArgumentError({
        argument: `${argument}.${key}`,
        message: `expected a string, got ${describe(entry)}`,
      });
    }
  }
}

/** Asserts a command: a non-empty string, or a non-empty array of strings. */
export function assertCommand(value: unknown, argument = 'command'): asserts value is string | readonly string[] {
  if (typeof value === 'string') {
    assertNonEmptyString(value, argument);
    return;
  }
  if (!Array.isArray(value) || value.length === 0) {
    throw new InvalidArgumentError({
      argument,
      message: `expected a non-empty string or argv array, got ${describe(value)}`,
    });
  }
  value.forEach((part: unknown, index) => {
    if (typeof part !== 'string' || part.includes('\0')) {
      throw new InvalidArgumentError({
        argument: `${argument}[${index}]`,
        message: `expected a string without NUL, got ${describe(part)}`,
      });
    }
  });
  if (value[0] === '')
    throw new InvalidArgumentError({ argument: `${argument}[0]`, message: 'the program name is empty' });
}

/** Validates {@link ExecOptions} fields that every backend reads. */
export function assertExecOptions(options: unknown): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError({ argument: 'options', message: `expected an object, got ${describe(options)}` });
  }
  const o = options as Record<string, unknown>;
  if (o.workdir !== undefined) assertAbsoluteRemotePath(o.workdir, 'options.workdir');
  assertOptionalStringRecord(o.env, 'options.env');
  assertOptionalNumber(o.timeoutMs, 'options.timeoutMs', { min: 0, exclusive: true });
  assertOptionalNumber(o.maxOutputBytes, 'options.maxOutputBytes', { min: 0, integer: true });
  for (const name of ['onStdout', 'onStderr'] as const) {
    if (o[name] !== undefined && typeof o[name] !== 'function') {
      throw new InvalidArgumentError({
        argument: `options.${name}`,
        message: `expected a function, got ${describe(o[name])}`,
      });
    }
  }
  if (o.signal !== undefined && !(typeof o.signal === 'object' && o.signal !== null && 'aborted' in o.signal)) {
    throw new InvalidArgumentError({ argument: 'options.signal', message: 'expected an AbortSignal' });
  }
}

const reservedLabelPrefix = 'org.snapbox.';

/** Validates {@link ContainerOptions}; `labels` may not use the library's reserved prefix. */
export function assertContainerOptions(options: unknown, argument = 'options'): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError({ argument, message: `expected an object, got ${describe(options)}` });
  }
  const o = options as Record<string, unknown>;
  if (o.name !== undefined) assertNonEmptyString(o.name, `${argument}.name`);
  if (o.defaultWorkdir !== undefined) assertAbsoluteRemotePath(o.defaultWorkdir, `${argument}.defaultWorkdir`);
  assertOptionalStringRecord(o.labels, `${argument}.labels`);
  for (const key of Object.keys((o.labels as Record<string, string> | undefined) ?? {})) {
    if (key.startsWith(reservedLabelPrefix)) {
      throw new InvalidArgumentError({
        argument: `${argument}.labels`,
        message: `label ${JSON.stringify(key)} uses the reserved prefix "${reservedLabelPrefix}"`,
      });
    }
  }
  if (o.resources !== undefined) {
    if (typeof o.resources !== 'object' || o.resources === null) {
      throw new InvalidArgumentError({
        argument: `${argument}.resources`,
        message: `expected an object, got ${describe(o.resources)}`,
      });
    }
    const r = o.resources as Record<string, unknown>;
    assertOptionalNumber(r.cpu, `${argument}.resources.cpu`, { min: 0, exclusive: true });
    assertOptionalNumber(r.memoryMiB, `${argument}.resources.memoryMiB`, { min: 0, exclusive: true });
    assertOptionalNumber(r.diskGiB, `${argument}.resources.diskGiB`, { min: 0, exclusive: true });
    assertOptionalNumber(r.gpu, `${argument}.resources.gpu`, { min: 0, integer: true });
  }
}
