import {
  type AdminResource,
  type BackendAdmin,
  inRemovalOrder,
  type ListResourcesOptions,
  matchesListOptions,
  type PruneFailure,
  type PruneResourcesOptions,
  type PruneResourcesReport,
} from '@snapbox/core';
import { buildResource, containerResource, type DockerAdminResource, snapshotResource } from './admin-resources.js';
import { type DockerBackendOptions, resolveBackend } from './docker-backend.js';
import { describeEndpoint, discoveredSource } from './docker-connection.js';
import { listBuilds, listContainers, listSnapshots, type PruneCandidate, prune } from './resource-admin.js';

/** What a {@link PruneCandidate} is, as the admin interface shows it. */
function candidateResource(candidate: PruneCandidate): DockerAdminResource {
  switch (candidate.kind) {
    case 'container':
      return containerResource(candidate.resource);
    case 'snapshot':
      return snapshotResource(candidate.resource);
    case 'build':
      return buildResource(candidate.resource);
  }
}

/** The id `prune` announces a candidate by, to map its progress events to admin ids. */
function progressId(candidate: PruneCandidate): string {
  switch (candidate.kind) {
    case 'container':
      return candidate.resource.id;
    case 'snapshot':
      return candidate.resource.id ?? candidate.resource.imageId;
    case 'build':
      return candidate.resource.tag ?? candidate.resource.imageId;
  }
}

/**
 * The admin interface of the Docker backend, for `snapbox ls` and `snapbox prune` (and any
 * program that lists or prunes through core's `BackendAdmin`): everything with snapbox's labels on
 * one engine, as {@link DockerAdminResource}s. It is {@link listContainers}, {@link listSnapshots},
 * {@link listBuilds} and {@link prune} behind core's interface, so the rules are the same.
 *
 * No I/O here: the engine is found (see `DockerBackendOptions.docker`) on the first request.
 * @param options the engine and snapshot repository; default: as `createDockerFactory()` finds them.
 */
export function createDockerAdmin(options: DockerBackendOptions = {}): BackendAdmin {
  // One client for every call, so that the engine is found once and describeTarget names it.
  const { docker } = resolveBackend({ ...options, watchdog: false });
  const shared: DockerBackendOptions = { ...options, docker, watchdog: false };
  return {
    backend: 'docker',
    describeTarget() {
      const source = discoveredSource(docker);
      return { description: `${describeEndpoint(docker)}${source === undefined ? '' : `, ${source}`}` };
    },
    async list(listOptions: ListResourcesOptions = {}): Promise<AdminResource[]> {
      const wants = (kind: AdminResource['kind']) => listOptions.kinds?.includes(kind) ?? true;
      const [containers, snapshots, builds] = await Promise.all([
        wants('container') ? listContainers(shared) : [],
        wants('snapshot') ? listSnapshots(shared) : [],
        wants('build') ? listBuilds(shared) : [],
      ]);
      return [
        ...containers.map(containerResource),
        ...snapshots.map(snapshotResource),
        ...builds.map(buildResource),
      ].filter((resource) => matchesListOptions(resource, listOptions));
    },
    async prune(pruneOptions: PruneResourcesOptions = {}): Promise<PruneResourcesReport> {
      const byProgressId = new Map<string, AdminResource>();
      const wants = (kind: AdminResource['kind']) => pruneOptions.kinds?.includes(kind) ?? true;
      const report = await prune({
        ...shared,
        dryRun: pruneOptions.dryRun,
        olderThanMs: pruneOptions.olderThanMs,
        allSessions: pruneOptions.allSessions,
        includeKept: pruneOptions.includeKept,
        includeContainers: wants('container'),
        includeBuilds: pruneOptions.includeBuilds === true && wants('build'),
        filter: (candidate) => {
          const resource = candidateResource(candidate);
          const accepted =
            wants(candidate.kind) &&
            matchesListOptions(resource, pruneOptions) &&
            (pruneOptions.filter?.(resource) ?? true);
          if (accepted) byProgressId.set(progressId(candidate), resource);
          return accepted;
        },
        onProgress: ({ id, index, total }) => {
          const resource = byProgressId.get(id);
          if (resource === undefined) return;
          pruneOptions.onProgress?.({ backend: 'docker', kind: resource.kind, id: resource.id, index, total });
        },
      });
      const errors: PruneFailure[] = report.errors.map((error) => {
        const resource = byProgressId.get(error.id);
        return resource === undefined
          ? { id: error.id, message: error.message }
          : { id: resource.id, kind: resource.kind, message: error.message };
      });
      return {
        backend: 'docker',
        dryRun: report.dryRun,
        containers: report.containers.map(containerResource),
        // Newest first, as they were removed.
        snapshots: inRemovalOrder(report.snapshots.map(snapshotResource)),
        builds: report.builds.map(buildResource),
        errors,
      };
    },
  };
}
