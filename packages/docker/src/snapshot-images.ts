import { randomBytes } from 'node:crypto';
import { currentSession, NotASnapshotError, snapboxLabels } from '@snapbox/core';
import type Docker from 'dockerode';
import { statusOf, wrapEngineError } from './docker-connection.js';
import {
  type EngineFlavor,
  engineFlavor,
  isImageGoneError,
  normalizeImageId,
  shortReference,
} from './engine-flavor.js';
import type { ImageConfig } from './image-source.js';

/** The default repository of snapshot images: every snapshot is `snapbox-snapshot:<tag>`. */
export const defaultSnapshotRepository = 'snapbox-snapshot';

/**
 * Docker stacks one layer per commit and refuses past 125 (overlay2's limit). Restoring a
 * snapshot that is this many layers deep makes the next snapshot a flattened one.
 */
export const defaultFlattenAtLayers = 100;

const tagPattern = /^[a-z0-9][a-z0-9_.-]{0,127}$/;

/** A fresh, unique snapshot reference: `<repository>:<session prefix>-<random>`. */
export function newSnapshotReference(repository: string): string {
  return `${repository}:${currentSession().id.slice(0, 8)}-${randomBytes(6).toString('hex')}`;
}

/** True when `id` has the shape of a reference this library would create in `repository`. */
export function isSnapshotReference(id: string, repository: string): boolean {
  const prefix = `${repository}:`;
  return id.startsWith(prefix) && tagPattern.test(id.slice(prefix.length));
}

/**
 * The snapshot id that `tag` (an entry of an image's RepoTags) stands for, or undefined when the
 * tag is in another repository. Podman reports `snapbox-snapshot:x` as
 * `docker.io/library/snapbox-snapshot:x`.
 */
export function snapshotIdOfTag(tag: string, repository: string): string | undefined {
  const colon = tag.lastIndexOf(':');
  if (colon <= 0 || tag.includes('@')) return undefined;
  const repo = tag.slice(0, colon);
  if (repo !== repository && shortReference(repo) !== shortReference(repository)) return undefined;
  return `${repository}:${tag.slice(colon + 1)}`;
}

/** What a snapshot image records about itself. */
export interface SnapshotLabelsInput {
  parentSnapshot: string | undefined;
  baseImage: string;
  keep: boolean;
}

export function snapshotLabels(
  input: SnapshotLabelsInput,
  ownerLabels: Record<string, string>,
): Record<string, string> {
  return {
    ...ownerLabels,
    [snapboxLabels.kind]: 'snapshot',
    [snapboxLabels.keep]: String(input.keep),
    [snapboxLabels.baseImage]: input.baseImage,
    [snapboxLabels.parentSnapshot]: input.parentSnapshot ?? '',
  };
}

/**
 * Commits `containerId` as `reference`. The engine pauses the container while it copies the
 * diff (commit's `pause` parameter), so the snapshot is consistent. The image config is the
 * source image's own (entrypoint, cmd, workdir, env) with our labels: the keep-alive command
 * and the env given to `start()` (never part of the container's config) stay out of it.
 */
export async function commitSnapshot(
  docker: Docker,
  containerId: string,
  reference: string,
  config: ImageConfig,
  labels: Record<string, string>,
): Promise<void> {
  const [repo, tag] = splitReference(reference);
  const allLabels = { ...(config?.Labels ?? {}), ...labels };
  const query = { container: containerId, repo, tag, pause: true };
  try {
    // Podman ignores the config body: the same config goes in as Dockerfile instructions.
    await docker
      .getContainer(containerId)
      .commit(
        (await engineFlavor(docker)) === 'podman'
          ? { _query: { ...query, changes: configChanges(config, allLabels, 'podman') } }
          : { _query: query, _body: { ...snapshotConfig(config), Labels: allLabels } },
      );
  } catch (error) {
    throw wrapEngineError(error, docker, `snapshot container ${containerId}`);
  }
}

/**
 * Writes the container's whole filesystem as a single-layer image (export, then import), the
 * way around the 125-layer limit. Slower than a commit (it copies everything, not the diff),
 * so it runs only once a lineage gets deep.
 */
export async function flattenSnapshot(
  docker: Docker,
  containerId: string,
  reference: string,
  config: ImageConfig,
  labels: Record<string, string>,
): Promise<void> {
  const container = docker.getContainer(containerId);
  try {
    const flavor = await engineFlavor(docker);
    await container.pause();
    try {
      const exported = (await container.export()) as unknown as NodeJS.ReadableStream;
      // The tag goes in `repo` (documented by Docker): Podman ignores a separate `tag`.
      const progress: NodeJS.ReadableStream = await docker.importImage(exported, {
        repo: reference,
        changes: configChanges(config, { ...(config?.Labels ?? {}), ...labels }, flavor),
      } as Record<string, unknown>);
      await new Promise<void>((resolve, reject) =>
        docker.modem.followProgress(progress, (error) => (error ? reject(error) : resolve())),
      );
    } finally {
      await container.unpause();
    }
  } catch (error) {
    throw wrapEngineError(error, docker, `flatten a snapshot of container ${containerId}`);
  }
}

function splitReference(reference: string): [string, string] {
  const colon = reference.lastIndexOf(':');
  return [reference.slice(0, colon), reference.slice(colon + 1)];
}

/** Fields of an image config that the dockerode typings leave out. */
type FullImageConfig = ImageConfig & { StopSignal?: string };

function snapshotConfig(imageConfig: ImageConfig): Record<string, unknown> {
  const config = imageConfig as FullImageConfig | undefined;
  // The engine fills an absent (null) Cmd or Entrypoint from the container, which runs our
  // keep-alive command; an empty list keeps the image's "none".
  const out: Record<string, unknown> = {
    Env: config?.Env ?? [],
    Cmd: config?.Cmd ?? [],
    Entrypoint: config?.Entrypoint ?? [],
    WorkingDir: config?.WorkingDir ?? '',
    User: config?.User ?? '',
  };
  if (config?.ExposedPorts) out.ExposedPorts = config.ExposedPorts;
  if (config?.StopSignal) out.StopSignal = config.StopSignal;
  return out;
}

/**
 * The same config as Dockerfile instructions, for import (which takes `changes`, not a config)
 * and for commit on Podman. The engines read values differently: Docker unquotes, unescapes
 * and expands `$`; Podman only strips the outer double quotes.
 */
export function configChanges(
  imageConfig: ImageConfig,
  labels: Record<string, string>,
  flavor: EngineFlavor,
): string[] {
  const config = imageConfig as FullImageConfig | undefined;
  const quoted = flavor === 'podman' ? (value: string) => `"${value}"` : dockerQuoted;
  const changes: string[] = [];
  for (const entry of config?.Env ?? []) {
    const eq = entry.indexOf('=');
    if (eq > 0) changes.push(`ENV ${entry.slice(0, eq)}=${quoted(entry.slice(eq + 1))}`);
  }
  const cmd = config?.Cmd;
  const entrypoint = config?.Entrypoint;
  // ENTRYPOINT first: it clears an inherited CMD. Podman's commit starts from the container's
  // config, so an image without an entrypoint needs an empty one instead of our keep-alive.
  if (Array.isArray(entrypoint) && entrypoint.length > 0) changes.push(`ENTRYPOINT ${JSON.stringify(entrypoint)}`);
  else if (flavor === 'podman') changes.push('ENTRYPOINT []');
  if (Array.isArray(cmd) && cmd.length > 0) changes.push(`CMD ${JSON.stringify(cmd)}`);
  if (config?.WorkingDir) changes.push(`WORKDIR ${config.WorkingDir}`);
  if (config?.User) changes.push(`USER ${config.User}`);
  if (config?.StopSignal) changes.push(`STOPSIGNAL ${config.StopSignal}`);
  for (const port of Object.keys(config?.ExposedPorts ?? {})) changes.push(`EXPOSE ${port}`);
  for (const [key, value] of Object.entries(labels)) changes.push(`LABEL ${quoted(key)}=${quoted(value)}`);
  return changes;
}

/** A double-quoted Dockerfile word whose `$` Docker does not expand. */
function dockerQuoted(value: string): string {
  return JSON.stringify(value).replaceAll('$', () => '\\$');
}

/** The result of {@link deleteSnapshotImage}. */
export type SnapshotDeletion =
  /** Nothing to do: already deleted. */
  | { outcome: 'absent' }
  /** Removed together with its storage. */
  | { outcome: 'removed' }
  /** Untagged; its storage stays until the dependents (containers, child snapshots) are gone. */
  | { outcome: 'deferred'; imageId: string };

/**
 * Deletes a snapshot image, refusing anything without our label. When containers or child
 * snapshots still use the image, the engine refuses a removal: the reference is then dropped
 * (so the snapshot is gone for every caller) and the image id is returned for a later
 * {@link reclaimImages}; a child snapshot's removal also takes its untagged parents with it.
 * @throws NotASnapshotError for an id of another shape, or an image without our label.
 */
export async function deleteSnapshotImage(
  docker: Docker,
  snapshotId: string,
  repository: string,
  options: {
    /**
     * The snapshot was committed by this process under this random tag: skip the label check
     * (an inspect) that guards against removing an image snapbox did not create.
     */
    committedHere?: boolean;
  } = {},
): Promise<SnapshotDeletion> {
  if (!isSnapshotReference(snapshotId, repository)) {
    throw new NotASnapshotError({ snapshotId, reason: `snapbox snapshot ids look like ${repository}:<tag>` });
  }
  let info = options.committedHere === true ? undefined : await inspectSnapshot(docker, snapshotId);
  if (info === null) return { outcome: 'absent' };
  try {
    await docker.getImage(snapshotId).remove({ noprune: false });
    return { outcome: 'removed' };
  } catch (error) {
    if (isImageGoneError(error)) return { outcome: 'absent' };
    if (statusOf(error) !== 409) throw wrapEngineError(error, docker, `delete snapshot ${snapshotId}`);
  }
  // In use by a container: untag now, reclaim the image later. That needs the image's id.
  info ??= await inspectSnapshot(docker, snapshotId);
  if (info === null) return { outcome: 'absent' };
  try {
    if ((await engineFlavor(docker)) === 'podman') {
      // Podman's forced removal would remove the containers that use the image too.
      const tag = (info.RepoTags ?? []).find((candidate) => snapshotIdOfTag(candidate, repository) === snapshotId);
      if (tag !== undefined) await untagOnPodman(docker, tag);
    } else {
      // Forcing a removal by reference only untags an image that is in use.
      await docker.getImage(snapshotId).remove({ force: true, noprune: false });
    }
  } catch (error) {
    if (!isImageGoneError(error)) throw wrapEngineError(error, docker, `delete snapshot ${snapshotId}`);
  }
  return { outcome: 'deferred', imageId: normalizeImageId(info.Id) };
}

/** The snapshot's image, `null` when there is none; refuses an image without our label. */
async function inspectSnapshot(docker: Docker, snapshotId: string): Promise<Docker.ImageInspectInfo | null> {
  let info: Docker.ImageInspectInfo;
  try {
    info = await docker.getImage(snapshotId).inspect();
  } catch (error) {
    if (statusOf(error) === 404) return null;
    throw wrapEngineError(error, docker, `inspect snapshot ${snapshotId}`);
  }
  if (info.Config?.Labels?.[snapboxLabels.managed] !== 'true') {
    throw new NotASnapshotError({ snapshotId, reason: `the image has no ${snapboxLabels.managed} label` });
  }
  return info;
}

/** Removes one tag through Podman's own API (the Docker API has no untag). */
function untagOnPodman(docker: Docker, tag: string): Promise<void> {
  const [repo, tagName] = splitReference(tag);
  // Podman's endpoints carry their own API version; a version pinned on the client is for the Docker API.
  const modem = docker.modem as unknown as {
    version?: string;
    dial(options: object, callback: (error: unknown) => void): void;
  };
  return new Promise<void>((resolve, reject) => {
    const pinned = modem.version;
    modem.version = undefined;
    try {
      modem.dial(
        {
          path: `/v4.0.0/libpod/images/${encodeURIComponent(tag)}/untag?`,
          method: 'POST',
          options: { repo, tag: tagName },
          statusCodes: { 200: true, 201: true, 404: 'no such image', 409: 'conflict', 500: 'server error' },
        },
        (error) => (error ? reject(error) : resolve()),
      );
    } finally {
      modem.version = pinned;
    }
  });
}

/**
 * Removes images whose snapshot was deleted while something depended on them, once nothing
 * does. Images that gained a tag meanwhile (someone tagged them) are left alone. Returns the ids
 * that are still in use.
 */
export async function reclaimImages(docker: Docker, imageIds: Iterable<string>): Promise<string[]> {
  const stillUsed: string[] = [];
  for (const imageId of imageIds) {
    try {
      const info = await docker.getImage(imageId).inspect();
      const tags = (info.RepoTags ?? []).filter((tag) => tag !== '<none>:<none>');
      if (tags.length > 0 || info.Config?.Labels?.[snapboxLabels.managed] !== 'true') continue;
      await docker.getImage(imageId).remove({ noprune: false });
    } catch (error) {
      if (statusOf(error) === 409) stillUsed.push(imageId);
      else if (!isImageGoneError(error)) throw wrapEngineError(error, docker, `reclaim image ${imageId}`);
    }
  }
  return stillUsed;
}

/**
 * Removes the untagged images of a session (snapshots deleted while in use) that nothing uses
 * any more. Scoped to one session so another live process's images are never touched.
 * Returns how many were removed.
 */
export async function reclaimDanglingSnapshots(docker: Docker, session: string): Promise<number> {
  let images: Docker.ImageInfo[];
  try {
    // Podman 4 lists no image at all for two label filters: the other labels are checked here.
    images = await docker.listImages({
      all: true,
      filters: JSON.stringify({ dangling: ['true'], label: [`${snapboxLabels.session}=${session}`] }),
    } as Docker.ListImagesOptions);
  } catch (error) {
    throw wrapEngineError(error, docker, 'list deleted snapshots');
  }
  images = images.filter(
    (image) => image.Labels?.[snapboxLabels.managed] === 'true' && image.Labels?.[snapboxLabels.kind] === 'snapshot',
  );
  const stillUsed = await reclaimImages(
    docker,
    images.map((image) => normalizeImageId(image.Id)),
  );
  return images.length - stillUsed.length;
}
