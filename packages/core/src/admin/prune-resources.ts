import type { AdminResource, ResourceKind } from './admin-resource.js';
import type { ListResourcesOptions, PruneResourcesOptions } from './prune-options.js';
import type { PruneFailure, PruneResourcesReport } from './prune-report.js';
import { isSelectedForPrune, matchesListOptions } from './prune-selection.js';
import { inRemovalOrder } from './removal-order.js';

/** What {@link pruneResources} needs from a backend: its name, how to list, how to remove one resource. */
export interface PruneSteps {
  /** The backend's name, for the report and the progress events. */
  readonly backend: string;
  /** Lists the backend's resources (its `BackendAdmin.list`). */
  list(options: ListResourcesOptions): Promise<readonly AdminResource[]>;
  /**
   * Removes one resource, which `list` returned. Removing one that is already gone succeeds. A
   * rejection is recorded in the report and the prune goes on.
   */
  remove(resource: AdminResource): Promise<void>;
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * A whole `BackendAdmin.prune` from a `list` and a one-resource `remove`: lists the kinds the
 * options can select, keeps what {@link matchesListOptions} and {@link isSelectedForPrune} accept
 * and `options.filter` allows, and, unless `dryRun`, removes them in a safe order: containers
 * first (they may hold snapshots), then snapshots newest first (a child before its parent), then
 * builds. Each removal is announced to `onProgress`; one that fails is recorded and the rest go on.
 * @throws whatever `list` throws (a `BackendUnavailableError`, typically): nothing was removed.
 */
export async function pruneResources(options: PruneResourcesOptions, steps: PruneSteps): Promise<PruneResourcesReport> {
  const kinds: ResourceKind[] = [
    'container',
    'snapshot',
    ...(options.includeBuilds === true ? ['build' as const] : []),
  ];
  const listOptions: ListResourcesOptions = {
    kinds: options.kinds === undefined ? kinds : kinds.filter((kind) => options.kinds?.includes(kind)),
    session: options.session,
    labels: options.labels,
  };
  const now = Date.now();
  const selected = (await steps.list(listOptions)).filter(
    (resource) =>
      matchesListOptions(resource, listOptions) &&
      isSelectedForPrune(resource, options, now) &&
      (options.filter?.(resource) ?? true),
  );
  const containers = selected.filter((resource) => resource.kind === 'container');
  const snapshots = inRemovalOrder(selected.filter((resource) => resource.kind === 'snapshot'));
  const builds = selected.filter((resource) => resource.kind === 'build');
  const errors: PruneFailure[] = [];
  const dryRun = options.dryRun === true;
  if (!dryRun) {
    const ordered = [...containers, ...snapshots, ...builds];
    for (const [index, resource] of ordered.entries()) {
      options.onProgress?.({
        backend: steps.backend,
        kind: resource.kind,
        id: resource.id,
        index,
        total: ordered.length,
      });
      try {
        await steps.remove(resource);
      } catch (error) {
        errors.push({ id: resource.id, kind: resource.kind, message: message(error) });
      }
    }
  }
  return { backend: steps.backend, dryRun, containers, snapshots, builds, errors };
}
