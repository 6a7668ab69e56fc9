import { type ExitCleanupRegistration, onProcessExit } from '@snapbox/core';
import { cleanupLog as log } from './debug-logs.js';
import { messageOf } from './sdk-error-info.js';
import type { SyncConnectionSpec } from './sync-protocol.js';
import { runSyncJob } from './sync-runner.js';

/**
 * What this process created on Daytona and has not removed yet: running sandboxes and
 * session-scoped snapshots. At exit — a normal end, `process.exit`, an uncaught error, or
 * SIGINT/SIGTERM/SIGHUP (through `onProcessExit` of `@snapbox/core`, shared with the other
 * backends) — everything left is removed synchronously by worker processes, one per
 * connection. A SIGKILL cannot be intercepted: sandboxes then stop and delete themselves
 * through Daytona's auto-stop, and snapshots stay until deleted by hand.
 */

interface Tracked {
  kind: 'sandbox' | 'snapshot';
  id: string;
  connection: SyncConnectionSpec;
}

const tracked = new Map<string, Tracked>();
let registration: ExitCleanupRegistration | undefined;

/** Remembers a sandbox or snapshot to remove at exit. */
export function trackForExit(kind: Tracked['kind'], id: string, connection: SyncConnectionSpec): void {
  tracked.set(`${kind}:${id}`, { kind, id, connection });
  registration ??= onProcessExit('@snapbox/daytona', cleanUpNow);
}

/** Forgets a sandbox or snapshot that was removed (or kept on purpose). */
export function untrackForExit(kind: Tracked['kind'], id: string): void {
  tracked.delete(`${kind}:${id}`);
  if (tracked.size === 0 && registration !== undefined) {
    registration.unregister();
    registration = undefined;
  }
}

/** Synchronously removes everything tracked, one worker per connection. Never throws. */
export function cleanUpNow(): void {
  const batches = new Map<string, { connection: SyncConnectionSpec; sandboxes: string[]; snapshots: string[] }>();
  for (const entry of tracked.values()) {
    const key = JSON.stringify(entry.connection);
    let batch = batches.get(key);
    if (batch === undefined) {
      batch = { connection: entry.connection, sandboxes: [], snapshots: [] };
      batches.set(key, batch);
    }
    (entry.kind === 'sandbox' ? batch.sandboxes : batch.snapshots).push(entry.id);
  }
  tracked.clear();
  registration?.unregister();
  registration = undefined;
  for (const batch of batches.values()) {
    const started = Date.now();
    log(
      'daytona: removing %d sandbox(es) and %d snapshot(s) in a blocking worker',
      batch.sandboxes.length,
      batch.snapshots.length,
    );
    try {
      const outcomes = runSyncJob(batch);
      log(
        'daytona: %d of %d removed in %d ms',
        outcomes.filter((outcome) => outcome.ok).length,
        outcomes.length,
        Date.now() - started,
      );
      for (const outcome of outcomes) {
        if (!outcome.ok) {
          process.stderr.write(
            `@snapbox/daytona: could not remove ${outcome.kind} ${outcome.id} at exit: ${outcome.error?.message ?? 'unknown error'}\n`,
          );
        }
      }
    } catch (error) {
      process.stderr.write(`@snapbox/daytona: cleanup at exit failed: ${messageOf(error)}\n`);
    }
  }
}
