import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SnapboxError } from '@snapbox/core';
import { type SyncJob, type SyncOutcome, syncResultMarker } from './sync-protocol.js';

function workerScript(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const sibling = join(here, 'sync-worker.js');
  if (existsSync(sibling)) return sibling;
  // Running from the TypeScript sources (this package's own tests): the worker is in the build.
  const built = join(here, '..', 'dist', 'sync-worker.js');
  if (existsSync(built)) return built;
  throw new SnapboxError('SYNC_WORKER_MISSING', {
    message: `The synchronous cleanup worker of @snapbox/daytona was not found next to ${here}; reinstall the package (or build it, in its own repository).`,
  });
}

/**
 * Runs a batch of deletions to completion, blocking the calling thread: a child Node process
 * does the asynchronous SDK calls while this one waits in `spawnSync`. That is what makes the
 * `*Sync` methods work inside `process.on('exit')`, where no promise can settle.
 * @throws SnapboxError `SYNC_CLEANUP_FAILED` when the worker cannot run or gives no answer.
 */
export function runSyncJob(job: SyncJob): SyncOutcome[] {
  if (job.sandboxes.length === 0 && job.snapshots.length === 0) return [];
  const child = spawnSync(process.execPath, [workerScript()], {
    input: JSON.stringify(job),
    encoding: 'utf8',
    timeout: job.connection.timeoutMs,
    maxBuffer: 16 * 1024 * 1024,
    windowsHide: true,
  });
  const line = (child.stdout ?? '')
    .split('\n')
    .reverse()
    .find((candidate) => candidate.startsWith(syncResultMarker));
  if (line === undefined) {
    const how = child.error
      ? child.error.message
      : child.signal
        ? `it was killed by ${child.signal} (timeout ${job.connection.timeoutMs} ms)`
        : `it exited with code ${child.status} and no result`;
    const stderr = (child.stderr ?? '').trim().split('\n').slice(-10).join('\n');
    throw new SnapboxError('SYNC_CLEANUP_FAILED', {
      message: `The synchronous Daytona cleanup did not complete: ${how}.${stderr ? `\n${stderr}` : ''}`,
      cause: child.error,
    });
  }
  return JSON.parse(line.slice(syncResultMarker.length)) as SyncOutcome[];
}
