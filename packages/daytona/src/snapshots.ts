import { assertNonEmptyString, NotASnapshotError, SnapboxError } from '@snapbox/core';
import type { DaytonaSandbox } from './client-types.js';
import { delay } from './concurrency.js';
import type { DaytonaConnection } from './connection.js';
import { type ErrorContext, toSnapboxError } from './error-mapping.js';
import { trackForExit, untrackForExit } from './exit-cleanup.js';
import { deleteSnapshotByName } from './remote-cleanup.js';
import { isSnapboxSnapshotName, nextSnapshotName } from './snapshot-names.js';
import { fromSyncError } from './sync-protocol.js';
import { runSyncJob } from './sync-runner.js';

const failedSnapshotStates = new Set(['error', 'build_failed', 'removing']);

/**
 * Snapshots the sandbox under a new snapbox name and waits until the snapshot is active
 * (restorable). Tracked for the exit cleanup unless `keep`.
 */
export async function takeSnapshot(
  connection: DaytonaConnection,
  sandbox: DaytonaSandbox,
  containerName: string | undefined,
  keep: boolean,
): Promise<string> {
  const name = nextSnapshotName(keep);
  const settings = connection.settings;
  const context: ErrorContext = {
    operation: `snapshot to ${name}`,
    container: containerName,
    timeoutSeconds: settings.snapshotTimeoutSeconds,
  };
  // Tracked before it exists: if the call fails half-way, nobody has the name to delete it.
  if (settings.cleanupOnExit) trackForExit('snapshot', name, connection.syncSpec);
  await connection.call(context, false, () =>
    (sandbox.createSnapshot as NonNullable<DaytonaSandbox['createSnapshot']>)(name, settings.snapshotTimeoutSeconds),
  );
  await waitUntilActive(connection, containerName, name, context);
  if (keep) untrackForExit('snapshot', name);
  return name;
}

async function waitUntilActive(
  connection: DaytonaConnection,
  containerName: string | undefined,
  name: string,
  context: ErrorContext,
): Promise<void> {
  const client = await connection.client();
  const { snapshotTimeoutSeconds, pollIntervalMs } = connection.settings;
  const deadline = Date.now() + snapshotTimeoutSeconds * 1000;
  for (;;) {
    const info = await connection.call({ ...context, snapshotId: name }, true, () => client.snapshot.get(name));
    if (info.state === 'active') return;
    if (failedSnapshotStates.has(info.state)) {
      throw new SnapboxError('SNAPSHOT_FAILED', {
        message: `Daytona could not complete snapshot ${name} of container ${containerName}: it is ${info.state}${info.errorReason ? ` (${info.errorReason})` : ''}.`,
      });
    }
    if (Date.now() >= deadline) {
      throw new SnapboxError('DAYTONA_TIMEOUT', {
        message: `Snapshot ${name} of container ${containerName} was still ${info.state} after ${snapshotTimeoutSeconds} s; raise snapshotTimeoutSeconds in createDaytonaFactory.`,
      });
    }
    await delay(pollIntervalMs);
  }
}

/** Deletes a snapbox snapshot; idempotent, and refuses names snapbox did not make. */
export async function deleteSnapshot(connection: DaytonaConnection, snapshotId: string): Promise<void> {
  assertOwnSnapshot(snapshotId);
  const client = await connection.client();
  try {
    await deleteSnapshotByName(client, snapshotId, (idempotent, call) => connection.attempt(idempotent, call));
  } catch (error) {
    throw toSnapboxError(error, { operation: `delete snapshot ${snapshotId}`, endpoint: connection.endpoint });
  }
  untrackForExit('snapshot', snapshotId);
}

/** {@link deleteSnapshot}, blocking (through the sync worker), for `process.on('exit')`. */
export function deleteSnapshotSync(connection: DaytonaConnection, snapshotId: string): void {
  assertOwnSnapshot(snapshotId);
  const [outcome] = runSyncJob({ connection: connection.syncSpec, sandboxes: [], snapshots: [snapshotId] });
  if (outcome !== undefined && !outcome.ok) {
    throw toSnapboxError(fromSyncError(outcome.error), {
      operation: `delete snapshot ${snapshotId}`,
      endpoint: connection.endpoint,
    });
  }
  untrackForExit('snapshot', snapshotId);
}

/** Refuses to touch a snapshot this library did not name. */
function assertOwnSnapshot(snapshotId: string): void {
  assertNonEmptyString(snapshotId, 'snapshotId');
  if (!isSnapboxSnapshotName(snapshotId)) {
    throw new NotASnapshotError({
      snapshotId,
      reason: 'snapbox names its Daytona snapshots snapbox-<session>-<n> and deletes no others',
    });
  }
}
