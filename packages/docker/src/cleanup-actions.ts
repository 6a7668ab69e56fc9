import { NotASnapshotError, snapboxLabels } from '@snapbox/core';
import type Docker from 'dockerode';
import { statusOf } from './docker-connection.js';
import { deleteSnapshotImage, reclaimDanglingSnapshots, reclaimImages, snapshotIdOfTag } from './snapshot-images.js';

/** Removes a container of ours, whatever its state. A container that is already gone is fine. */
export async function removeContainer(docker: Docker, id: string): Promise<boolean> {
  try {
    await docker.getContainer(id).remove({ force: true, v: true });
    return true;
  } catch (error) {
    if (statusOf(error) === 404) return false;
    // 409 "removal already in progress": someone else is removing it.
    if (statusOf(error) === 409) return false;
    throw error;
  }
}

/** What a cleanup did; errors of single removals are collected, not thrown. */
export interface CleanupReport {
  removedContainers: number;
  deletedSnapshots: number;
  /** Ids refused because they are not snapshots of ours. */
  notASnapshot: string[];
  /** Deleted snapshots whose storage is still in use (reclaimed later). */
  deferredReclaims: number;
  errors: string[];
}

export interface SessionResources {
  containers: string[];
  snapshots: string[];
}

/** Every container and every session-scoped (not kept) snapshot that carries `session`. */
export async function findSessionResources(docker: Docker, session: string): Promise<SessionResources> {
  const filter = { label: [`${snapboxLabels.managed}=true`, `${snapboxLabels.session}=${session}`] };
  // Podman 4 lists no image at all for two label filters: filter images by session alone.
  const imageFilter = { label: [`${snapboxLabels.session}=${session}`] };
  const [containers, images] = await Promise.all([
    docker.listContainers({ all: true, filters: JSON.stringify(filter) }),
    docker.listImages({ filters: JSON.stringify(imageFilter) } as Docker.ListImagesOptions),
  ]);
  return {
    containers: containers.map((container) => container.Id),
    snapshots: images
      .filter(
        (image) =>
          image.Labels?.[snapboxLabels.managed] === 'true' &&
          image.Labels?.[snapboxLabels.kind] === 'snapshot' &&
          image.Labels?.[snapboxLabels.keep] !== 'true',
      )
      .flatMap((image) => (image.RepoTags ?? []).filter((tag) => tag !== '<none>:<none>')),
  };
}

/**
 * Removes containers first (they pin snapshot images), then snapshots, then whatever storage
 * that freed. Errors are collected, not thrown: at exit every removal is worth trying.
 */
export async function removeAll(
  docker: Docker,
  repository: string,
  session: string,
  resources: SessionResources,
): Promise<CleanupReport> {
  const errors: string[] = [];
  const record = (what: string) => (error: unknown) => {
    errors.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
    return false;
  };
  const removed = await Promise.all(
    resources.containers.map((id) => removeContainer(docker, id).catch(record(`container ${id}`))),
  );
  let deletedSnapshots = 0;
  const notASnapshot: string[] = [];
  const deferred: string[] = [];
  for (const tag of resources.snapshots) {
    // Tags listed by the engine may be spelled the engine's way (docker.io/library/... on Podman).
    const reference = snapshotIdOfTag(tag, repository) ?? tag;
    try {
      const outcome = await deleteSnapshotImage(docker, reference, repository);
      if (outcome.outcome !== 'absent') deletedSnapshots++;
      if (outcome.outcome === 'deferred') deferred.push(outcome.imageId);
    } catch (error) {
      if (NotASnapshotError.isInstance(error)) notASnapshot.push(reference);
      else record(`snapshot ${reference}`)(error);
    }
  }
  // Storage of snapshots deleted while in use, now or earlier in the session.
  const stillUsed = await reclaimImages(docker, deferred).catch((error: unknown) => {
    record('reclaim')(error);
    return deferred;
  });
  await reclaimDanglingSnapshots(docker, session).catch(record('reclaim'));
  return {
    removedContainers: removed.filter(Boolean).length,
    deletedSnapshots,
    notASnapshot,
    deferredReclaims: stillUsed.length,
    errors,
  };
}
