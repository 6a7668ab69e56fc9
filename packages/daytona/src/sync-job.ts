import { pathToFileURL } from 'node:url';
import type { DaytonaClient } from './client-types.js';
import { type Attempt, deleteSandboxById, deleteSnapshotByName } from './remote-cleanup.js';
import { withRetry } from './retry.js';
import { loadDaytonaSdk } from './sdk-loader.js';
import { type SyncJob, type SyncOutcome, toSyncErrorInfo } from './sync-protocol.js';

async function connect(job: SyncJob): Promise<DaytonaClient> {
  const { clientModule, config } = job.connection;
  if (clientModule !== undefined) {
    const module = (await import(pathToFileURL(clientModule).href)) as { createClient(config: unknown): DaytonaClient };
    return module.createClient(config);
  }
  const sdk = await loadDaytonaSdk();
  return new sdk.Daytona({ ...config });
}

/**
 * Carries out a batch of deletions with the SDK (in the worker process). Sandboxes go first,
 * so that snapshots are not deleted from under a sandbox still being created from them;
 * within each kind the calls run concurrently. Never throws: every failure is an outcome.
 */
export async function executeSyncJob(job: SyncJob): Promise<SyncOutcome[]> {
  const attempt: Attempt = (idempotent, call) => withRetry(call, { idempotent, policy: job.connection.retry });
  let client: DaytonaClient;
  try {
    client = await connect(job);
  } catch (error) {
    const info = toSyncErrorInfo(error);
    return [
      ...job.sandboxes.map((id): SyncOutcome => ({ kind: 'sandbox', id, ok: false, error: info })),
      ...job.snapshots.map((id): SyncOutcome => ({ kind: 'snapshot', id, ok: false, error: info })),
    ];
  }
  const settle = async (kind: SyncOutcome['kind'], id: string, work: () => Promise<void>): Promise<SyncOutcome> => {
    try {
      await work();
      return { kind, id, ok: true };
    } catch (error) {
      return { kind, id, ok: false, error: toSyncErrorInfo(error) };
    }
  };
  const sandboxes = await Promise.all(
    job.sandboxes.map((id) => settle('sandbox', id, () => deleteSandboxById(client, id, attempt))),
  );
  const snapshots = await Promise.all(
    job.snapshots.map((name) => settle('snapshot', name, () => deleteSnapshotByName(client, name, attempt))),
  );
  return [...sandboxes, ...snapshots];
}
