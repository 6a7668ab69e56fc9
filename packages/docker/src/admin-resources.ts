import type { AdminResource } from '@snapbox/core';
import type { BuildInfo, ContainerInfo, SnapshotInfo } from './resource-admin.js';

/**
 * A resource of the Docker backend as the admin interface shows it: core's `AdminResource`, plus
 * the engine's image id for snapshots and builds (a snapshot deleted while in use has no other).
 */
export interface DockerAdminResource extends AdminResource {
  /** The engine's image id (`sha256:...`), for snapshots and builds. */
  readonly imageId?: string | undefined;
}

/** The state shown for a snapshot whose name was removed while containers or later snapshots still used it. */
export const deletedInUse = 'deleted, in use';

/** A container as the admin interface shows it. */
export function containerResource(info: ContainerInfo): DockerAdminResource {
  return {
    backend: 'docker',
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

/**
 * A snapshot as the admin interface shows it: named by its snapshot id, or by its image id once
 * deleted while in use (its state then says so), so that every row has an id that stays put.
 */
export function snapshotResource(info: SnapshotInfo): DockerAdminResource {
  return {
    backend: 'docker',
    kind: 'snapshot',
    id: info.id ?? info.imageId,
    state: info.id === undefined ? deletedInUse : undefined,
    owner: info.owner,
    createdAt: info.createdAt,
    sizeBytes: info.sizeBytes,
    parentSnapshot: info.parentSnapshot,
    baseImage: info.baseImage,
    keep: info.keep,
    labels: info.labels,
    imageId: info.imageId,
  };
}

/**
 * A build as the admin interface shows it: named by its image id, which stays put when a rebuild
 * of the same Dockerfile moves the tag to another image; the tag is its `name`.
 */
export function buildResource(info: BuildInfo): DockerAdminResource {
  return {
    backend: 'docker',
    kind: 'build',
    id: info.imageId,
    name: info.tag,
    owner: info.owner,
    createdAt: info.createdAt,
    sizeBytes: info.sizeBytes,
    inUse: info.inUse,
    labels: {},
    imageId: info.imageId,
  };
}
