import { builtScriptPath, runBlockingWorker } from '@snapbox/core';
import type { SyncJob, SyncOutcome } from './sync-protocol.js';

/**
 * Runs a batch of deletions to completion, blocking the calling thread: the worker process
 * (sync-worker.ts, through core's `runBlockingWorker`) does the asynchronous SDK calls while
 * this one waits. That is what makes the `*Sync` methods work inside `process.on('exit')`.
 * @throws SnapboxError `SYNC_CLEANUP_FAILED` when the worker cannot run or gives no answer.
 */
export function runSyncJob(job: SyncJob): SyncOutcome[] {
  if (job.sandboxes.length === 0 && job.snapshots.length === 0) return [];
  return runBlockingWorker<SyncJob, SyncOutcome[]>({
    script: builtScriptPath(import.meta.url, 'sync-worker'),
    job,
    timeoutMs: job.connection.timeoutMs,
    what: 'The synchronous Daytona cleanup',
  });
}
