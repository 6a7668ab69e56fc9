import type { DaytonaClient, DaytonaSandbox, DaytonaSnapshotInfo, DaytonaSnapshotService } from './client-types.js';

/**
 * The listing calls of `@daytonaio/sdk` the admin uses (`snapbox ls` and `snapbox prune`), as
 * structural types like those of client-types.ts; `admin-client-types.test-d.ts` checks that the
 * real SDK fits them.
 */

/** A sandbox as `daytona.list()` yields it, as far as the admin reads it. */
export interface DaytonaListedSandbox extends DaytonaSandbox {
  /** Its labels: the caller's and snapbox's owner labels. */
  readonly labels: Record<string, string>;
  /** `started`, `stopped`, `error`, ... */
  readonly state?: string | undefined;
  /** When it was created (ISO 8601). */
  readonly createdAt?: string | undefined;
}

/** A snapshot as `daytona.snapshot.list()` returns it, as far as the admin reads it. */
export interface DaytonaListedSnapshot extends DaytonaSnapshotInfo {
  /** When it was created (a `Date`, or its ISO 8601 text, depending on how it was decoded). */
  readonly createdAt: Date | string;
}

/** One page of `daytona.snapshot.list()`. */
export interface DaytonaSnapshotPage {
  /** The snapshots of this page. */
  readonly items: readonly DaytonaListedSnapshot[];
  /** This page's number, from 1. */
  readonly page: number;
  /** How many pages there are. */
  readonly totalPages: number;
}

/** `daytona.snapshot` with its listing. */
export interface DaytonaAdminSnapshotService extends DaytonaSnapshotService {
  /** One page of the organization's snapshots. */
  list(query?: { page?: number; limit?: number }): Promise<DaytonaSnapshotPage>;
}

/** A Daytona client that can list: `Daytona` from `@daytonaio/sdk` 0.218 or later, or a fake. */
export interface DaytonaAdminClient extends DaytonaClient {
  /** Every sandbox whose labels include `query.labels`, page after page. */
  list(query?: { labels?: Record<string, string>; limit?: number }): AsyncIterable<DaytonaListedSandbox>;
  /** The snapshot service, with its listing. */
  readonly snapshot: DaytonaAdminSnapshotService;
}

/** Whether `client` has the listing calls (an SDK older than 0.218 has not). */
export function canList(client: DaytonaClient): client is DaytonaAdminClient {
  const candidate = client as Partial<DaytonaAdminClient>;
  return typeof candidate.list === 'function' && typeof candidate.snapshot?.list === 'function';
}
