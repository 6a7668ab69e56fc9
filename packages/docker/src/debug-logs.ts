import { createDebugLog } from '@snapbox/core';

/** What the backend does: engine discovery, starts, commands, snapshots, removals. */
export const dockerLog = createDebugLog('snapbox:docker');
/** Every request to the engine, one line each (noisy: commands poll the engine). */
export const httpLog = createDebugLog('snapbox:docker:http');
/** Removal of what a session leaves: the blocking worker, the exit hook, the watchdog. */
export const cleanupLog = createDebugLog('snapbox:cleanup');

/** A command or path cut to a length that keeps a debug line readable. */
export function brief(text: string, max = 160): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
