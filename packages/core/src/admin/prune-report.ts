import type { AdminResource, ResourceKind } from './admin-resource.js';

/** A removal that failed during a prune; the prune goes on with the next resource. */
export interface PruneFailure {
  /** What could not be removed: an {@link AdminResource.id}, or what the backend was doing (`session <id>`). */
  readonly id: string;
  /** Its kind, when the failure is about one resource. */
  readonly kind?: ResourceKind | undefined;
  /** Why, in words. */
  readonly message: string;
}

/** What {@link BackendAdmin.prune} removed or, with `dryRun`, would remove. */
export interface PruneResourcesReport {
  /** The backend that pruned. */
  readonly backend: string;
  /** True when nothing was removed (`dryRun` was set). */
  readonly dryRun: boolean;
  /** The containers selected, in the order they were removed. */
  readonly containers: readonly AdminResource[];
  /** The snapshots selected, newest first (the order of removal: a child before its parent). */
  readonly snapshots: readonly AdminResource[];
  /** The builds selected (none unless `includeBuilds`). */
  readonly builds: readonly AdminResource[];
  /** The removals that failed. Empty for a dry run, and when everything went. */
  readonly errors: readonly PruneFailure[];
}
