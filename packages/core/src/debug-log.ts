import { formatWithOptions } from 'node:util';

/**
 * The environment a debug log is switched on by. Only `DEBUG` and `NODE_DEBUG` are read.
 */
export type DebugEnvironment = Readonly<Record<string, string | undefined>>;

/** Options of {@link createDebugLog}. */
export interface DebugLogOptions {
  /**
   * Where `DEBUG` and `NODE_DEBUG` are read. Default `process.env`, read once, when the log is
   * created (so a program that sets `DEBUG` itself must do it before importing snapbox).
   */
  env?: DebugEnvironment;
  /** Receives each line, newline included. Default: written to the process's stderr. */
  write?: (line: string) => void;
}

/**
 * A debug log of one namespace, from {@link createDebugLog}. Call it like `util.format`:
 * `log('removed %d containers', n)`. When its namespace is not switched on it does nothing, and
 * costs one call; guard with {@link DebugLog.enabled} only where building the arguments is itself
 * expensive.
 */
export interface DebugLog {
  (message: string, ...details: unknown[]): void;
  /** Whether lines are written (fixed when the log is created). */
  readonly enabled: boolean;
  /** The namespace, e.g. `snapbox:docker`. */
  readonly namespace: string;
}

/** `*` matches any run of characters (`:` included), the rest literally. */
function patternToRegExp(pattern: string, flags = ''): RegExp {
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`, flags);
}

/**
 * Whether `namespace` is switched on in `env`, by the conventions of the `debug` package and of
 * Node's `util.debuglog`:
 *
 * - `DEBUG`: namespaces separated by commas or spaces, `*` as a wildcard, `-` before one to
 *   switch it off (`DEBUG=snapbox:*,-snapbox:presets`). `DEBUG=snapbox:*` switches on every
 *   snapbox namespace; a switched-off namespace stays off whatever `NODE_DEBUG` says.
 * - `NODE_DEBUG`: names separated by commas, case-insensitive, `*` as a wildcard. A name matches
 *   a namespace and every namespace under it, so `NODE_DEBUG=snapbox` switches on all of
 *   snapbox's and `NODE_DEBUG=snapbox:docker` only `snapbox:docker` and `snapbox:docker:*`.
 */
export function isDebugEnabled(namespace: string, env: DebugEnvironment = process.env): boolean {
  let byDebug = false;
  for (const item of (env.DEBUG ?? '').split(/[\s,]+/)) {
    if (item === '') continue;
    if (item.startsWith('-')) {
      if (patternToRegExp(item.slice(1)).test(namespace)) return false;
    } else if (patternToRegExp(item).test(namespace)) {
      byDebug = true;
    }
  }
  if (byDebug) return true;
  const segments = namespace.split(':');
  const prefixes = segments.map((_, index) => segments.slice(0, index + 1).join(':'));
  return (env.NODE_DEBUG ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
    .some((item) => {
      const pattern = patternToRegExp(item, 'i');
      return prefixes.some((prefix) => pattern.test(prefix));
    });
}

const disabled = (namespace: string): DebugLog => Object.assign(() => undefined, { enabled: false, namespace });

/**
 * A debug log for `namespace` (snapbox's are `snapbox:<area>`: `snapbox:docker`,
 * `snapbox:daytona`, `snapbox:presets`, `snapbox:cleanup`, ...), switched on by
 * `DEBUG=snapbox:*` or `NODE_DEBUG=snapbox` (see {@link isDebugEnabled} for the patterns).
 *
 * Each line goes to stderr, never stdout (where it would mix with a program's output), as
 * `<ISO time> <namespace>[<pid>] <message> +<ms since this log's previous line>ms`; the pid tells
 * apart the lines of the helper processes (cleanup worker, watchdog) that share the terminal.
 *
 * ```ts
 * const log = createDebugLog('snapbox:mybackend');
 * log('started %s in %d ms', id, elapsed);
 * ```
 */
export function createDebugLog(namespace: string, options: DebugLogOptions = {}): DebugLog {
  if (!isDebugEnabled(namespace, options.env)) return disabled(namespace);
  const write = options.write ?? ((line: string) => void process.stderr.write(line));
  let previous: number | undefined;
  const log = (message: string, ...details: unknown[]): void => {
    const now = Date.now();
    const delta = previous === undefined ? 0 : now - previous;
    previous = now;
    const text = formatWithOptions({ colors: false, breakLength: Number.POSITIVE_INFINITY }, message, ...details);
    write(`${new Date(now).toISOString()} ${namespace}[${process.pid}] ${text} +${delta}ms\n`);
  };
  return Object.assign(log, { enabled: true, namespace });
}
