/** Where this package reports what it did at debug level (a `console` or a pino logger fits). */
export interface Logger {
  /** Called with a one-line-per-item summary and the structured data behind it. */
  debug(message: string, data?: unknown): void;
}

/**
 * The logger used when a call gives none: silent, unless the environment variable
 * `SNAPBOX_DEBUG` is set to anything but `''`, `0` or `false`, in which case messages go to
 * stderr through `console.error`. (Not `console.debug`: in Node it writes to stdout, where it
 * would mix with a program's own output such as `snapbox presets list --json`.)
 * Pass your own {@link Logger} to send them anywhere else.
 */
export function defaultLogger(env: Record<string, string | undefined> = process.env): Logger {
  const flag = env.SNAPBOX_DEBUG;
  if (flag === undefined || flag === '' || flag === '0' || flag.toLowerCase() === 'false') {
    return { debug() {} };
  }
  return {
    debug(message) {
      console.error(`[snapbox] ${message}`);
    },
  };
}
