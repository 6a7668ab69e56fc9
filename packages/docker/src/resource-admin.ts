import {
  type ResourceOwner as CoreResourceOwner,
  inRemovalOrder,
  isSelectedForPrune,
  ownerFromLabels,
  snapboxLabels,
  userLabels,
} from '@snapbox/core';
import type Docker from 'dockerode';
import { buildResource, containerResource, snapshotResource } from './admin-resources.js';
import { removeContainer } from './cleanup-actions.js';
import { type DockerBackendOptions, resolveBackend } from './docker-backend.js';
import { statusOf, wrapEngineError } from './docker-connection.js';
import { normalizeImageId } from './engine-flavor.js';
import { deleteSnapshotImage, reclaimDanglingSnapshots, snapshotIdOfTag } from './snapshot-images.js';

/**
 * The owner of a resource, from its labels, and whether it still runs: core's `ResourceOwner`,
 * the same for every backend.
 */
export type ResourceOwner = CoreResourceOwner;

/** A snapshot image made by snapbox. */
export interface SnapshotInfo {
  /** The snapshot id (`<repository>:<tag>`), or undefined for a deleted one whose storage is still in use. */
  id: string | undefined;
  /** The engine's image id. */
  imageId: string;
  /** When the snapshot was taken. */
  createdAt: Date;
  /** Bytes of the image (shared layers counted in each image, as the engine reports it). */
  sizeBytes: number;
  /** True for a snapshot made with `keep: true` (not removed at its owner's exit). */
  keep: boolean;
  /** The process that took it. */
  owner: ResourceOwner;
  /** The snapshot this one was taken from (lineage), if it was taken from a restored container. */
  parentSnapshot: string | undefined;
  /** The image (or Dockerfile) at the root of its lineage. */
  baseImage: string;
  /**
   * Its labels other than snapbox's own (`org.snapbox.*`): the `labels` of the container it was
   * taken from (such as a Go-Explore run's id) and those of its image.
   */
  labels: Record<string, string>;
}

/** A container made by snapbox. */
export interface ContainerInfo {
  /** The engine's container id. */
  id: string;
  /** The engine's container name. */
  name: string;
  /** The engine's state: `running`, `exited`, `paused`, ... */
  state: string;
  /** When the container was created. */
  createdAt: Date;
  /** The process that created it. */
  owner: ResourceOwner;
  /** The snapshot it was restored from, if any. */
  parentSnapshot: string | undefined;
  /** The image (or Dockerfile) at the root of its lineage. */
  baseImage: string;
  /** Its labels other than snapbox's own (`org.snapbox.*`): those given at creation, and its image's. */
  labels: Record<string, string>;
}

/** An image built by `fromDockerfile`, kept on the engine as build cache. */
export interface BuildInfo {
  /** Its tag (`snapbox-build:<hash of the Dockerfile's path>`), or undefined once untagged. */
  tag: string | undefined;
  /** The engine's image id. */
  imageId: string;
  /** When it was built. */
  createdAt: Date;
  /** Bytes of the image, as the engine reports it. */
  sizeBytes: number;
  /** The process that built it (another process building the same Dockerfile reuses it). */
  owner: ResourceOwner;
  /** Whether a container (running or not) uses it now: such an image is never pruned. */
  inUse: boolean;
}

const emptyToUndefined = (value: string | undefined) => (value === undefined || value === '' ? undefined : value);

async function managed<T>(docker: Docker, action: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw wrapEngineError(error, docker, action);
  }
}

const managedFilter = JSON.stringify({ label: [`${snapboxLabels.managed}=true`] });

/** Every container snapbox created on the engine, with owner and lineage. */
export async function listContainers(options: DockerBackendOptions = {}): Promise<ContainerInfo[]> {
  const { docker } = resolveBackend({ ...options, watchdog: false });
  const containers = await managed(docker, 'list containers', () =>
    docker.listContainers({ all: true, filters: managedFilter }),
  );
  return containers
    .filter((container) => container.Labels?.[snapboxLabels.kind] === 'container')
    .map((container) => ({
      id: container.Id,
      name: (container.Names?.[0] ?? '').replace(/^\//, ''),
      state: container.State,
      createdAt: new Date(container.Created * 1000),
      owner: ownerFromLabels(container.Labels ?? {}),
      parentSnapshot: emptyToUndefined(container.Labels?.[snapboxLabels.parentSnapshot]),
      baseImage: container.Labels?.[snapboxLabels.baseImage] ?? '',
      labels: userLabels(container.Labels),
    }));
}

/** Every snapshot image snapbox created on the engine (deleted ones still holding storage included). */
export async function listSnapshots(options: DockerBackendOptions = {}): Promise<SnapshotInfo[]> {
  const { docker, repository } = resolveBackend({ ...options, watchdog: false });
  const images = await managed(docker, 'list snapshots', () =>
    docker.listImages({ all: true, filters: managedFilter } as Docker.ListImagesOptions),
  );
  return images
    .filter((image) => image.Labels?.[snapboxLabels.kind] === 'snapshot')
    .flatMap((image): SnapshotInfo[] => {
      const tags = (image.RepoTags ?? []).flatMap((tag) => snapshotIdOfTag(tag, repository) ?? []);
      const base = {
        imageId: normalizeImageId(image.Id),
        createdAt: new Date(image.Created * 1000),
        sizeBytes: image.Size,
        keep: image.Labels?.[snapboxLabels.keep] === 'true',
        owner: ownerFromLabels(image.Labels ?? {}),
        parentSnapshot: emptyToUndefined(image.Labels?.[snapboxLabels.parentSnapshot]),
        baseImage: image.Labels?.[snapboxLabels.baseImage] ?? '',
        labels: userLabels(image.Labels),
      };
      return tags.length === 0 ? [{ ...base, id: undefined }] : tags.map((id) => ({ ...base, id }));
    });
}

/** Every image `fromDockerfile` built on the engine (build cache), with whether it is in use. */
export async function listBuilds(options: DockerBackendOptions = {}): Promise<BuildInfo[]> {
  const { docker } = resolveBackend({ ...options, watchdog: false });
  const [images, containers] = await Promise.all([
    managed(docker, 'list built images', () =>
      docker.listImages({ filters: managedFilter } as Docker.ListImagesOptions),
    ),
    managed(docker, 'list containers', () => docker.listContainers({ all: true })),
  ]);
  const used = new Set(containers.map((container) => normalizeImageId(container.ImageID)));
  return images
    .filter((image) => image.Labels?.[snapboxLabels.kind] === 'build')
    .map((image) => ({
      tag: (image.RepoTags ?? []).find((tag) => tag !== '<none>:<none>'),
      imageId: normalizeImageId(image.Id),
      createdAt: new Date(image.Created * 1000),
      sizeBytes: image.Size,
      owner: ownerFromLabels(image.Labels ?? {}),
      inUse: used.has(normalizeImageId(image.Id)),
    }));
}

/** Which resources {@link prune} removes. */
export interface PruneOptions extends DockerBackendOptions {
  /** Only report what would be removed. */
  dryRun?: boolean;
  /**
   * Only resources older than this many ms. Owners on other hosts (whose liveness is unknown)
   * are pruned only when this is given: age is then the lease.
   */
  olderThanMs?: number;
  /** Also resources of live processes (never the calling process's own). */
  allSessions?: boolean;
  /** Also snapshots made with `keep: true` (they outlive their process on purpose). */
  includeKept?: boolean;
  /** Also containers (default `true`); {@link pruneSnapshots} sets it to `false`. */
  includeContainers?: boolean;
  /**
   * Also the images `fromDockerfile` built (build cache, shared by every process that builds the
   * same Dockerfile, so selected by age alone: `olderThanMs` when given), except those a
   * container uses. Default `false`.
   */
  includeBuilds?: boolean;
  /**
   * A further condition: a resource the other options select is removed (or reported, with
   * `dryRun`) only when this returns true. It never widens the selection. The CLI uses it to keep
   * to one session's resources, and to remove exactly what a confirmed dry run showed.
   */
  filter?(candidate: PruneCandidate): boolean;
  /** Called before each removal. */
  onProgress?(event: { kind: 'container' | 'snapshot' | 'build'; id: string; index: number; total: number }): void;
}

/** A resource {@link prune} selected, as its `filter` option sees it. */
export type PruneCandidate =
  | {
      /** A container. */
      kind: 'container';
      /** The container, as {@link listContainers} describes it. */
      resource: ContainerInfo;
    }
  | {
      /** A snapshot (`resource.id` is undefined for one deleted while in use). */
      kind: 'snapshot';
      /** The snapshot, as {@link listSnapshots} describes it. */
      resource: SnapshotInfo;
    }
  | {
      /** An image `fromDockerfile` built. */
      kind: 'build';
      /** The build, as {@link listBuilds} describes it. */
      resource: BuildInfo;
    };

/** A removal that failed during {@link prune}. */
export interface PruneFailure {
  /** The container id, snapshot id or image id concerned. */
  id: string;
  /** Why it failed. */
  message: string;
}

/** What {@link prune} removed (or, with `dryRun`, would remove). */
export interface PruneReport {
  /** True when nothing was removed (`dryRun` was set). */
  dryRun: boolean;
  /** The containers selected. */
  containers: ContainerInfo[];
  /** The snapshots selected. */
  snapshots: SnapshotInfo[];
  /** The built images selected (empty unless `includeBuilds`). */
  builds: BuildInfo[];
  /** Removals that failed, with the reason. */
  errors: PruneFailure[];
}

/**
 * Removes the containers and snapshots snapbox created whose owner process is gone (or, with
 * the options, older ones and those of other sessions). Never touches anything without the
 * `org.snapbox.managed` label, nor the calling process's own resources.
 */
export async function prune(options: PruneOptions = {}): Promise<PruneReport> {
  const { docker, repository } = resolveBackend({ ...options, watchdog: false });
  const accept = options.filter ?? (() => true);
  // The rule every backend shares (core's isSelectedForPrune), on each resource as core sees it.
  const rule = {
    olderThanMs: options.olderThanMs,
    allSessions: options.allSessions,
    includeKept: options.includeKept,
    includeBuilds: options.includeBuilds,
  };
  const now = Date.now();
  const containers =
    options.includeContainers === false
      ? []
      : (await listContainers(options)).filter(
          (c) => isSelectedForPrune(containerResource(c), rule, now) && accept({ kind: 'container', resource: c }),
        );
  const snapshots = (await listSnapshots(options)).filter(
    (s) => isSelectedForPrune(snapshotResource(s), rule, now) && accept({ kind: 'snapshot', resource: s }),
  );
  const builds =
    options.includeBuilds === true
      ? (await listBuilds(options)).filter(
          (build) => isSelectedForPrune(buildResource(build), rule, now) && accept({ kind: 'build', resource: build }),
        )
      : [];
  const report: PruneReport = { dryRun: options.dryRun === true, containers, snapshots, builds, errors: [] };
  if (report.dryRun) return report;
  const total = containers.length + snapshots.length + builds.length;
  let index = 0;
  for (const container of containers) {
    options.onProgress?.({ kind: 'container', id: container.id, index: index++, total });
    await removeContainer(docker, container.id).catch((error: unknown) =>
      report.errors.push({ id: container.id, message: String(error) }),
    );
  }
  // Newest first: a child snapshot goes before its parent, so parents are freed at once.
  const ordered = inRemovalOrder(snapshots);
  for (const snapshot of ordered) {
    options.onProgress?.({ kind: 'snapshot', id: snapshot.id ?? snapshot.imageId, index: index++, total });
    try {
      if (snapshot.id !== undefined) await deleteSnapshotImage(docker, snapshot.id, repository);
    } catch (error) {
      report.errors.push({ id: snapshot.id ?? snapshot.imageId, message: String(error) });
    }
  }
  for (const session of new Set(ordered.map((snapshot) => snapshot.owner.session))) {
    await reclaimDanglingSnapshots(docker, session).catch((error: unknown) =>
      report.errors.push({ id: `session ${session}`, message: String(error) }),
    );
  }
  for (const build of builds) {
    const id = build.tag ?? build.imageId;
    options.onProgress?.({ kind: 'build', id, index: index++, total });
    // By tag: an image that snapshots were committed on stays as their parent, only untagged.
    // Not forced: a container created since the listing keeps its image.
    await docker
      .getImage(id)
      .remove({ noprune: false })
      .catch((error: unknown) => {
        if (statusOf(error) !== 404) report.errors.push({ id, message: String(error) });
      });
  }
  return report;
}

/** {@link prune} restricted to snapshots: containers are left alone. */
export async function pruneSnapshots(options: Omit<PruneOptions, 'includeContainers'> = {}): Promise<PruneReport> {
  return prune({ ...options, includeContainers: false });
}
