import type { AdminResource, ResourceKind } from './admin-resource.js';

/**
 * What {@link BackendAdmin.list} should return. Every field narrows; none widens. A backend may
 * use them to ask its engine or service for less, or ignore them: `pruneResources` and
 * `snapbox ls` apply them again to what `list` returns (`matchesListOptions`), so ignoring them
 * is correct, only slower.
 */
export interface ListResourcesOptions {
  /** Only these kinds. Default: every kind. A backend should not spend a request on the others. */
  readonly kinds?: readonly ResourceKind[] | undefined;
  /** Only what this session made (`owner.session`). */
  readonly session?: string | undefined;
  /** Only resources whose `labels` hold every one of these keys with these values. */
  readonly labels?: Readonly<Record<string, string>> | undefined;
}

/** What {@link PruneResourcesOptions.onProgress} is told before each removal. */
export interface PruneProgressEvent {
  /** The backend that is removing it. */
  readonly backend: string;
  /** What is being removed. */
  readonly kind: ResourceKind;
  /** Its {@link AdminResource.id}. */
  readonly id: string;
  /** 0 for the first removal of this prune. */
  readonly index: number;
  /** How many removals this prune makes in all. */
  readonly total: number;
}

/**
 * Which resources {@link BackendAdmin.prune} removes. By default: the containers and
 * session-scoped snapshots whose owner is `'dead'`, never the asking process's own, never a kept
 * snapshot, never a build. `isSelectedForPrune` is that rule, written once.
 */
export interface PruneResourcesOptions extends ListResourcesOptions {
  /** Only report what would be removed; remove nothing. */
  readonly dryRun?: boolean | undefined;
  /**
   * Only resources older than this many ms. With it, owners whose liveness is `'unknown'` (on
   * another host, or not recorded) are pruned too: age is then the lease.
   */
  readonly olderThanMs?: number | undefined;
  /** Also the resources of live owners (never the asking process's own). */
  readonly allSessions?: boolean | undefined;
  /** Also snapshots made with `keep: true`. */
  readonly includeKept?: boolean | undefined;
  /**
   * Also builds that no container uses. They are a cache shared by every process that builds the
   * same Dockerfile, so they are selected by age alone (`olderThanMs` when given), whoever owns
   * them. Default `false`.
   */
  readonly includeBuilds?: boolean | undefined;
  /**
   * A further condition: a resource the other options select is removed (or reported, with
   * `dryRun`) only when this returns true. It never widens the selection. The CLI uses it to
   * remove exactly what a confirmed dry run showed.
   */
  readonly filter?: ((resource: AdminResource) => boolean) | undefined;
  /** Called before each removal (not for a dry run). */
  readonly onProgress?: ((event: PruneProgressEvent) => void) | undefined;
}
