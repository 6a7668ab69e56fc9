/**
 * Child process behind the synchronous API (`stopAndRemoveSync`, `deleteSnapshotSync`, exit
 * cleanup), run by core's `runBlockingWorker`: carries out a {@link CleanupOrder} and answers
 * with a {@link CleanupReport}. Single removals that fail are listed in the report.
 */
import { serveBlockingWorker } from '@snapbox/core';
import { type CleanupReport, removeAll } from './cleanup-actions.js';
import { resolveDocker } from './docker-connection.js';
import type { CleanupOrder } from './session-tracker.js';

await serveBlockingWorker<CleanupOrder, CleanupReport>((order) =>
  removeAll(resolveDocker(order.connection), order.repository, order.session, order),
);
