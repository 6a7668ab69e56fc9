import type { DaytonaClientConfig } from './client-types.js';
import type { RetryPolicy } from './retry.js';

/**
 * The messages between a process that must delete synchronously (`deleteSnapshotSync`,
 * `stopAndRemoveSync`, the exit hook) and the short-lived worker process that does the
 * asynchronous SDK calls for it (core's `runBlockingWorker`). The job goes in on stdin (so the
 * API key never shows in a process list).
 */

/** How the worker reconnects to the same service. */
export interface SyncConnectionSpec {
  config: DaytonaClientConfig;
  /**
   * A module whose `createClient(config)` export replaces `new Daytona(config)` in the worker.
   * Only tests set it (see `syncClientModule` of the factory).
   */
  clientModule: string | undefined;
  retry: RetryPolicy;
  timeoutMs: number;
}

/** One batch of deletions. */
export interface SyncJob {
  connection: SyncConnectionSpec;
  /** Sandbox ids to delete. */
  sandboxes: string[];
  /** Snapshot names to delete. */
  snapshots: string[];
}

/** A failure, flattened to what the error mapping reads. */
export interface SyncErrorInfo {
  name: string;
  message: string;
  statusCode?: number;
  code?: string;
}

/** What happened to one sandbox or snapshot. Already gone counts as `ok`. */
export interface SyncOutcome {
  kind: 'sandbox' | 'snapshot';
  id: string;
  ok: boolean;
  error?: SyncErrorInfo;
}

/** Flattens any thrown value for the trip back to the parent. */
export function toSyncErrorInfo(error: unknown): SyncErrorInfo {
  const record = (typeof error === 'object' && error !== null ? error : {}) as Record<string, unknown>;
  const info: SyncErrorInfo = {
    name: typeof record.name === 'string' ? record.name : 'Error',
    message: typeof record.message === 'string' ? record.message : String(error),
  };
  if (typeof record.statusCode === 'number') info.statusCode = record.statusCode;
  if (typeof record.code === 'string') info.code = record.code;
  return info;
}

/** Rebuilds an error-like value from what the worker reported, for the error mapping. */
export function fromSyncError(info: SyncErrorInfo | undefined): Record<string, unknown> {
  return {
    name: info?.name ?? 'Error',
    message: info?.message ?? 'unknown error',
    statusCode: info?.statusCode,
    code: info?.code,
  };
}
