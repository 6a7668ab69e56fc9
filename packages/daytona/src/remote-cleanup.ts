import type { DaytonaClient, DaytonaSandbox } from './client-types.js';
import { isNotFound } from './sdk-error-info.js';

/** Runs an SDK call with the caller's retries; injected so the worker process can share this code. */
export type Attempt = <T>(idempotent: boolean, call: () => Promise<T>) => Promise<T>;

/** Deletes a sandbox; one that is already gone counts as deleted. Errors are rethrown raw. */
export async function deleteSandbox(sandbox: DaytonaSandbox, attempt: Attempt): Promise<void> {
  try {
    await attempt(true, () => sandbox.delete());
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}

/** Looks a sandbox up by id or name and deletes it; a missing one counts as deleted. */
export async function deleteSandboxById(client: DaytonaClient, id: string, attempt: Attempt): Promise<void> {
  let sandbox: DaytonaSandbox;
  try {
    sandbox = await attempt(true, () => client.get(id));
  } catch (error) {
    if (isNotFound(error)) return;
    throw error;
  }
  await deleteSandbox(sandbox, attempt);
}

/**
 * Deletes a snapshot by name. Idempotent: a snapshot that does not exist, or that the service
 * is already removing, counts as deleted (a second delete of a `removing` snapshot could
 * otherwise be refused). Errors are rethrown raw.
 */
export async function deleteSnapshotByName(client: DaytonaClient, name: string, attempt: Attempt): Promise<void> {
  try {
    const info = await attempt(true, () => client.snapshot.get(name));
    if (info.state === 'removing') return;
    await attempt(true, () => client.snapshot.delete(name));
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}
