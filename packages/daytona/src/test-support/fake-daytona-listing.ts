import type {
  DaytonaAdminClient,
  DaytonaAdminSnapshotService,
  DaytonaListedSandbox,
  DaytonaSnapshotPage,
} from '../admin-client-types.js';
import { FakeDaytona, type FakeSandbox } from './fake-daytona.js';

/**
 * The fake client with the SDK's listing calls (`daytona.list`, `daytona.snapshot.list`), for the
 * admin's tests: sandboxes are filtered by label as the service does, and snapshots come in pages.
 */
export class ListingFakeDaytona extends FakeDaytona implements DaytonaAdminClient {
  /** When each snapshot was created (ISO 8601), by name; now when not set. */
  readonly snapshotCreatedAt = new Map<string, string>();

  /** The parent's snapshot service, with `list`. */
  declare readonly snapshot: DaytonaAdminSnapshotService;

  constructor() {
    super();
    const base = this.snapshot;
    this.snapshot = {
      get: base.get,
      delete: base.delete,
      list: async (query?: { page?: number; limit?: number }): Promise<DaytonaSnapshotPage> => {
        this.record('snapshot.list', [query]);
        const limit = query?.limit ?? 10;
        const page = query?.page ?? 1;
        const all = [...this.snapshots.values()].sort((a, b) => a.name.localeCompare(b.name));
        return {
          items: all.slice((page - 1) * limit, page * limit).map((info) => ({
            name: info.name,
            state: info.state,
            createdAt: this.snapshotCreatedAt.get(info.name) ?? new Date().toISOString(),
          })),
          page,
          totalPages: Math.max(1, Math.ceil(all.length / limit)),
        };
      },
    };
  }

  async *list(query?: { labels?: Record<string, string> }): AsyncIterable<DaytonaListedSandbox> {
    this.record('daytona.list', [query]);
    for (const sandbox of [...this.sandboxes.values()]) {
      const matches = Object.entries(query?.labels ?? {}).every(([key, value]) => sandbox.labels[key] === value);
      if (matches) yield Object.assign(sandbox as FakeSandbox, { state: 'started' });
    }
  }
}
