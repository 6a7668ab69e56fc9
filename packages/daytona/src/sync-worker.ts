/**
 * The worker process behind every synchronous deletion (run by core's `runBlockingWorker`):
 * carries out a {@link SyncJob} with the SDK and answers with the outcomes.
 */
import { serveBlockingWorker } from '@snapbox/core';
import { executeSyncJob } from './sync-job.js';
import type { SyncJob, SyncOutcome } from './sync-protocol.js';

await serveBlockingWorker<SyncJob, SyncOutcome[]>(executeSyncJob);
