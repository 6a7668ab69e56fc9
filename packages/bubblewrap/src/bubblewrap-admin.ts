import {
  type AdminResource,
  type BackendAdmin,
  type ListResourcesOptions,
  matchesListOptions,
  type PruneResourcesOptions,
  type PruneResourcesReport,
  pruneResources,
} from '@snapbox/core';
import { type BubblewrapBackendOptions, resolveBackend } from './bubblewrap-backend.js';
import { removeContainerSync, sweepLeftoversSync } from './cleanup.js';
import { type ContainerInfo, listContainers, listSnapshots, type SnapshotInfo } from './resource-admin.js';
import { stateDirVariable } from './store-layout.js';

/**
 * A resource of the bubblewrap backend as the admin interface shows it: core's `AdminResource`,
 * plus how many layers a snapshot stacks over its image.
 */
export interface BubblewrapAdminResource extends AdminResource {
  /** For a snapshot: how many overlay layers it stacks over its image (1 once flattened). */
  readonly layers?: number | undefined;
}

function containerResource(info: ContainerInfo): BubblewrapAdminResource {
  return {
    backend: 'bubblewrap',
    kind: 'container',
    id: info.id,
    name: info.name,
    state: info.state,
    owner: info.owner,
    createdAt: info.createdAt,
    parentSnapshot: info.parentSnapshot,
    baseImage: info.baseImage,
    labels: info.labels,
  };
}

function snapshotResource(info: SnapshotInfo): BubblewrapAdminResource {
  return {
    backend: 'bubblewrap',
    kind: 'snapshot',
    id: info.id,
    owner: info.owner,
    createdAt: info.createdAt,
    parentSnapshot: info.parentSnapshot,
    baseImage: info.baseImage,
    keep: info.keep,
    labels: info.labels,
    layers: info.layers,
  };
}

/** How long a snapshot may stay half-written before a prune rolls it back, whoever writes it. */
const stalePendingMs = 60 * 60 * 1000;

/**
 * The admin interface of the bubblewrap backend, for `snapbox ls` and `snapbox prune` (and any
 * program that lists or prunes through core's `BackendAdmin`): the containers and snapshots
 * recorded in one state folder, as {@link BubblewrapAdminResource}s. Snapshots carry the labels
 * of the container they were taken from, so a Go-Explore run's snapshots are listed under it.
 *
 * It looks in one state folder: `options.stateDir`, else the factory's default
 * (`SNAPBOX_BUBBLEWRAP_STATE_DIR`, else `/var/lib/snapbox-bubblewrap` for root, else
 * `$XDG_DATA_HOME/snapbox-bubblewrap`). A folder that does not exist holds nothing. No I/O here.
 * @param options the state folder; the other options of the backend do not matter here.
 */
export function createBubblewrapAdmin(options: BubblewrapBackendOptions = {}): BackendAdmin {
  const fromVariable = options.stateDir === undefined && (process.env[stateDirVariable] ?? '') !== '';
  // Resolved once: a later change of the environment does not move what this admin looks at.
  const backend = resolveBackend({ stateDir: options.stateDir, cgroupRoot: options.cgroupRoot, watchdog: false });
  const shared: BubblewrapBackendOptions = { stateDir: backend.stateRoot, watchdog: false };

  const list = async (listOptions: ListResourcesOptions = {}): Promise<BubblewrapAdminResource[]> => {
    const wants = (kind: AdminResource['kind']) => listOptions.kinds?.includes(kind) ?? true;
    const [containers, snapshots] = await Promise.all([
      wants('container') ? listContainers(shared) : [],
      wants('snapshot') ? listSnapshots(shared) : [],
    ]);
    return [...containers.map(containerResource), ...snapshots.map(snapshotResource)].filter((resource) =>
      matchesListOptions(resource, listOptions),
    );
  };

  const remove = async (resource: AdminResource): Promise<void> => {
    if (resource.kind === 'container') removeContainerSync(backend, resource.id);
    // Deleting the record first: a restore that pinned the layers meanwhile keeps them (see layer-store.ts).
    else if (resource.kind === 'snapshot') await backend.store.deleteLayers(backend.store.deleteSnapshot(resource.id));
  };

  return {
    backend: 'bubblewrap',
    describeTarget() {
      return { description: `${backend.stateRoot}${fromVariable ? `, from ${stateDirVariable}` : ''}` };
    },
    list,
    async prune(pruneOptions: PruneResourcesOptions = {}): Promise<PruneResourcesReport> {
      const report = await pruneResources(pruneOptions, { backend: 'bubblewrap', list, remove });
      if (report.dryRun) return report;
      // What dead owners left half-done: pins of containers and snapshots that are gone, snapshots
      // left pending for an hour, and the trash. None of it is a resource anyone can list.
      try {
        sweepLeftoversSync(backend, { staleMs: stalePendingMs });
      } catch (error) {
        return {
          ...report,
          errors: [
            ...report.errors,
            { id: 'leftovers', message: error instanceof Error ? error.message : String(error) },
          ],
        };
      }
      return report;
    },
  };
}
