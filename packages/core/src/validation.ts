import { InvalidArgumentError } from './errors/invalid-argument-error.js';
import { UnsupportedCapabilityError } from './errors/unsupported-capability-error.js';

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

/**
 * Which of the options that a backend may lack it can enforce. {@link assertContainerOptions}
 * and {@link assertExecOptions} reject the others with `UnsupportedCapabilityError`: a backend
 * that says nothing here (one written before these options existed, say) refuses them instead
 * of silently ignoring them. `network: 'default'`, an empty `ports` list and an absent option
 * are accepted whatever the backend.
 */
export interface SupportedOptions {
  /** The backend's name, for the error message (`'docker'`). */
  backend?: string;
  /** `ContainerOptions.network: 'none'` (only loopback) is enforced. */
  network?: boolean;
  /** `ContainerOptions.user` and `ExecOptions.user` are enforced. */
  user?: boolean;
  /** `ContainerOptions.ports` are exposed and `endpoint()` answers for them. */
  ports?: boolean;
  /** `Resources.pids` is enforced. */
  pids?: boolean;
}

function unsupported(support: SupportedOptions, capability: string, detail: string): UnsupportedCapabilityError {
  return new UnsupportedCapabilityError({
    capability,
    ...(support.backend === undefined ? {} : { backend: support.backend }),
    detail,
  });
}

const userPattern = /^[^\s:\0]+(?::[^\s:\0]+)?$/;

/** Asserts a user as `ContainerOptions.user` takes it: `'uid'`, `'uid:gid'` or a name (`'app'`, `'app:app'`). */
export function assertUser(value: unknown, argument: string): asserts value is string {
  assertNonEmptyString(value, argument);
  if (!userPattern.test(value)) {
    throw new InvalidArgumentError({
      argument,
      message: `expected "uid", "uid:gid" or a user name (optionally ":group"), without spaces, got ${JSON.stringify(value)}`,
    });
  }
}

/** Asserts a TCP port number: an integer from 1 to 65535. */
export function assertPort(value: unknown, argument: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65535) {
    throw new InvalidArgumentError({
      argument,
      message: `expected a port, an integer from 1 to 65535, got ${describe(value)}`,
    });
  }
}

/**
 * Validates {@link ExecOptions} fields that every backend reads. `user` is refused with
 * `UnsupportedCapabilityError` unless `support.user` (see {@link SupportedOptions}).
 */
export function assertExecOptions(options: unknown, support: SupportedOptions = {}): void {
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
  assertOptionalSignal(o.signal, 'options.signal');
  if (o.user !== undefined) {
    assertUser(o.user, 'options.user');
    if (support.user !== true) {
      throw unsupported(support, 'user', 'commands cannot run as another user here; remove options.user');
    }
  }
}

function assertOptionalSignal(value: unknown, argument: string): void {
  if (value !== undefined && !(typeof value === 'object' && value !== null && 'aborted' in value)) {
    throw new InvalidArgumentError({ argument, message: 'expected an AbortSignal' });
  }
}

/** Validates {@link StartOptions}: `env`, `signal`, `timeoutMs` and `onProgress`. */
export function assertStartOptions(options: unknown): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError({ argument: 'options', message: `expected an object, got ${describe(options)}` });
  }
  const o = options as Record<string, unknown>;
  assertOptionalStringRecord(o.env, 'options.env');
  assertOptionalSignal(o.signal, 'options.signal');
  assertOptionalNumber(o.timeoutMs, 'options.timeoutMs', { min: 0, exclusive: true });
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') {
    throw new InvalidArgumentError({
      argument: 'options.onProgress',
      message: `expected a function, got ${describe(o.onProgress)}`,
    });
  }
}

const reservedLabelPrefix = 'org.snapbox.';

/**
 * Validates {@link ContainerOptions}: bad values are `InvalidArgumentError` naming the option
 * (`labels` may not use the library's reserved prefix), and an option the backend cannot
 * enforce is `UnsupportedCapabilityError` (see {@link SupportedOptions}; by default `network:
 * 'none'`, `user`, `ports` and `resources.pids` are refused).
 */
export function assertContainerOptions(options: unknown, support: SupportedOptions = {}, argument = 'options'): void {
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
    assertOptionalNumber(r.pids, `${argument}.resources.pids`, { min: 1, integer: true });
  }
  assertSandboxOptions(o, support, argument);
}

function assertSandboxOptions(o: Record<string, unknown>, support: SupportedOptions, argument: string): void {
  if (o.network !== undefined && o.network !== 'none' && o.network !== 'default') {
    throw new InvalidArgumentError({
      argument: `${argument}.network`,
      message: `expected "none" or "default", got ${describe(o.network)}`,
    });
  }
  if (o.user !== undefined) assertUser(o.user, `${argument}.user`);
  if (o.ports !== undefined) {
    if (!Array.isArray(o.ports)) {
      throw new InvalidArgumentError({
        argument: `${argument}.ports`,
        message: `expected an array of port numbers, got ${describe(o.ports)}`,
      });
    }
    const seen = new Set<number>();
    o.ports.forEach((port: unknown, index) => {
      assertPort(port, `${argument}.ports[${index}]`);
      if (seen.has(port)) {
        throw new InvalidArgumentError({
          argument: `${argument}.ports[${index}]`,
          message: `port ${port} is listed twice`,
        });
      }
      seen.add(port);
    });
  }
  if (o.network === 'none' && support.network !== true) {
    throw unsupported(
      support,
      'network',
      "network: 'none' cannot be enforced here; remove it, or use a backend that can",
    );
  }
  if (o.user !== undefined && support.user !== true) {
    throw unsupported(support, 'user', 'commands cannot run as another user here; remove the user option');
  }
  if (Array.isArray(o.ports) && o.ports.length > 0 && support.ports !== true) {
    throw unsupported(support, 'ports', 'container ports cannot be exposed here; remove the ports option');
  }
  const pids = (o.resources as Record<string, unknown> | undefined)?.pids;
  if (pids !== undefined && support.pids !== true) {
    throw unsupported(support, 'resources.pids', 'a process limit cannot be enforced here; remove resources.pids');
  }
}
