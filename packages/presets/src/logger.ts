import { createDebugLog } from '@snapbox/core';

/** Where this package reports what it did at debug level (a `console` or a pino logger fits). */
export interface Logger {
  /** Called with a one-line-per-item summary and the structured data behind it. */
  debug(message: string, data?: unknown): void;
}

/** The `snapbox:presets` debug log of the package's own loading steps (registry, task fetches). */
export const presetsLog = createDebugLog('snapbox:presets');

/**
 * The logger used when a call gives none: the `snapbox:presets` debug log, silent unless
 * `DEBUG=snapbox:*` (or `snapbox:presets`) or `NODE_DEBUG=snapbox` is set, writing to stderr (never
 * stdout, where it would mix with a program's own output such as `snapbox presets list --json`).
 * The older switch `SNAPBOX_DEBUG` (anything but `''`, `0` or `false`) still turns it on.
 * See docs/debugging.md; pass your own {@link Logger} to send the messages anywhere else.
 */
export function defaultLogger(env: Record<string, string | undefined> = process.env): Logger {
  const legacy = env.SNAPBOX_DEBUG;
  const legacyOn = legacy !== undefined && legacy !== '' && legacy !== '0' && legacy.toLowerCase() !== 'false';
  const log = createDebugLog('snapbox:presets', { env: legacyOn ? { DEBUG: 'snapbox:presets' } : env });
  if (!log.enabled) return { debug() {} };
  return {
    debug(message) {
      log('%s', message);
    },
  };
}
