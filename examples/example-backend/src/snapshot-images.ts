import { randomBytes } from 'node:crypto';
import { currentSession, NotASnapshotError, snapboxLabels } from '@snapbox/core';
import type { CliResult, DockerCli } from './docker-cli.js';

/**
 * Snapshots are images named `<repository>:<tag>`. The name alone proves nothing (anyone can tag
 * an image so), so a delete also checks the labels: only an image labelled as a snapbox
 * snapshot is ever removed.
 */

/** The default repository of snapshot images (the one `@snapbox/docker` uses too). */
export const defaultSnapshotRepository = 'snapbox-snapshot';

/** Docker refuses images deeper than 125 layers; from this depth a snapshot is flattened. */
export const defaultFlattenAtLayers = 100;

const tagPattern = /^[a-z0-9][a-z0-9_.-]{0,127}$/;

/** The part of `docker image inspect` this backend reads. */
export interface ImageInfo {
  Id: string;
  Config: {
    Env?: string[] | null;
    Cmd?: string[] | null;
    Entrypoint?: string[] | null;
    WorkingDir?: string;
    User?: string;
    Labels?: Record<string, string> | null;
  } | null;
  RootFS?: { Layers?: string[] };
}

/** `docker image inspect`, or `undefined` when the engine has no such image. */
export async function inspectImage(cli: DockerCli, image: string): Promise<ImageInfo | undefined> {
  return parseInspect(await cli.run(['image', 'inspect', image]), cli, image);
}

function parseInspect(result: CliResult, cli: DockerCli, image: string): ImageInfo | undefined {
  if (result.exitCode !== 0) {
    if (/no such image/i.test(result.stderr)) return undefined;
    throw cli.failure(result, `inspect image ${image}`);
  }
  return (JSON.parse(result.stdout) as ImageInfo[])[0];
}

/** A fresh snapshot id: `<repository>:<first 8 characters of the session>-<random>`. */
export function newSnapshotId(repository: string): string {
  return `${repository}:${currentSession().id.slice(0, 8)}-${randomBytes(6).toString('hex')}`;
}

/** True when `id` has the shape of an id {@link newSnapshotId} makes in `repository`. */
export function isSnapshotId(id: string, repository: string): boolean {
  return id.startsWith(`${repository}:`) && tagPattern.test(id.slice(repository.length + 1));
}

/**
 * The source image's config as Dockerfile instructions, for `docker commit --change` and
 * `docker import --change`. Our keep-alive command and the env given to `start()` are not in the
 * source image, so they stay out of the snapshot. (One gap of the CLI: an image with neither
 * ENTRYPOINT nor CMD gets the keep-alive as its CMD, since `--change` cannot say "none"; every
 * restore overrides it anyway.)
 */
export function configChanges(config: ImageInfo['Config'], labels: Record<string, string>): string[] {
  const changes: string[] = [];
  for (const entry of config?.Env ?? []) {
    const eq = entry.indexOf('=');
    if (eq > 0) changes.push(`ENV ${entry.slice(0, eq)}=${JSON.stringify(entry.slice(eq + 1))}`);
  }
  if (config?.Entrypoint?.length) changes.push(`ENTRYPOINT ${JSON.stringify(config.Entrypoint)}`);
  if (config?.Cmd?.length) changes.push(`CMD ${JSON.stringify(config.Cmd)}`);
  if (config?.WorkingDir) changes.push(`WORKDIR ${config.WorkingDir}`);
  if (config?.User) changes.push(`USER ${config.User}`);
  for (const [key, value] of Object.entries(labels))
    changes.push(`LABEL ${JSON.stringify(key)}=${JSON.stringify(value)}`);
  return changes;
}

/**
 * Captures the container's filesystem as the image `snapshotId`. Normally `docker commit`
 * (paused, so the copy is consistent), which stacks one layer on the source image; when the
 * source is already `flattenAtLayers` deep, `docker export | docker import` instead, which
 * writes the whole filesystem as one layer.
 */
export async function takeSnapshot(
  cli: DockerCli,
  request: { containerId: string; snapshotId: string; source: ImageInfo; labels: Record<string, string> },
  flattenAtLayers: number,
): Promise<void> {
  const changes = configChanges(request.source.Config, request.labels).flatMap((change) => ['--change', change]);
  const depth = request.source.RootFS?.Layers?.length ?? 0;
  if (depth + 1 < flattenAtLayers) {
    const result = await cli.run(['commit', '--pause', ...changes, request.containerId, request.snapshotId]);
    if (result.exitCode !== 0) throw cli.failure(result, `snapshot container ${request.containerId}`);
    return;
  }
  const paused = await cli.run(['pause', request.containerId]);
  if (paused.exitCode !== 0) throw cli.failure(paused, `pause container ${request.containerId}`);
  try {
    const exporter = cli.spawn(['export', request.containerId]);
    const exportErrors: Buffer[] = [];
    exporter.stderr?.on('data', (chunk: Buffer) => exportErrors.push(chunk));
    const exported = new Promise<number>((resolve) => exporter.once('close', (code) => resolve(code ?? -1)));
    const imported = await cli.run(['import', ...changes, '-', request.snapshotId], {
      stdin: exporter.stdout ?? undefined,
    });
    const exportCode = await exported;
    if (exportCode !== 0) {
      throw cli.failure(
        { exitCode: exportCode, stdout: '', stderr: Buffer.concat(exportErrors).toString('utf8') },
        `export container ${request.containerId}`,
      );
    }
    if (imported.exitCode !== 0) throw cli.failure(imported, `flatten a snapshot of ${request.containerId}`);
  } finally {
    await cli.run(['unpause', request.containerId]);
  }
}

/** How a delete ended. */
export type DeleteOutcome = 'absent' | 'removed' | 'untagged';

function refuseUnlessSnapshot(snapshotId: string, repository: string): void {
  if (!isSnapshotId(snapshotId, repository)) {
    throw new NotASnapshotError({ snapshotId, reason: `snapshot ids of this backend look like ${repository}:<tag>` });
  }
}

function checkLabels(snapshotId: string, info: ImageInfo): void {
  const labels = info.Config?.Labels ?? {};
  if (labels[snapboxLabels.managed] !== 'true' || labels[snapboxLabels.kind] !== 'snapshot') {
    throw new NotASnapshotError({ snapshotId, reason: 'the image has no snapbox snapshot labels' });
  }
}

const inUse = (result: CliResult) => /conflict|must force|being used/i.test(result.stderr);
const gone = (result: CliResult) => /no such image/i.test(result.stderr);

/**
 * Deletes a snapshot: idempotent, and only ever an image with our labels. `docker rmi` refuses
 * while a container or a later snapshot uses the image; `--force` then removes just the name,
 * so the snapshot is gone for every caller while its storage stays for its dependents (see
 * {@link reclaimStorage}). The same steps in blocking form are {@link deleteSnapshotSync}.
 * @throws NotASnapshotError for an id of another shape or an image without our labels.
 */
export async function deleteSnapshot(cli: DockerCli, snapshotId: string, repository: string): Promise<DeleteOutcome> {
  refuseUnlessSnapshot(snapshotId, repository);
  const info = await inspectImage(cli, snapshotId);
  if (info === undefined) return 'absent';
  checkLabels(snapshotId, info);
  const removed = await cli.run(['image', 'rm', snapshotId]);
  if (removed.exitCode === 0 || gone(removed)) return removed.exitCode === 0 ? 'removed' : 'absent';
  if (!inUse(removed)) throw cli.failure(removed, `delete snapshot ${snapshotId}`);
  const untagged = await cli.run(['image', 'rm', '--force', snapshotId]);
  if (untagged.exitCode !== 0 && !gone(untagged)) throw cli.failure(untagged, `delete snapshot ${snapshotId}`);
  return 'untagged';
}

/** {@link deleteSnapshot}, blocking (for `deleteSnapshotSync` and exit hooks). */
export function deleteSnapshotSync(cli: DockerCli, snapshotId: string, repository: string): DeleteOutcome {
  refuseUnlessSnapshot(snapshotId, repository);
  const info = parseInspect(cli.runSync(['image', 'inspect', snapshotId]), cli, snapshotId);
  if (info === undefined) return 'absent';
  checkLabels(snapshotId, info);
  const removed = cli.runSync(['image', 'rm', snapshotId]);
  if (removed.exitCode === 0 || gone(removed)) return removed.exitCode === 0 ? 'removed' : 'absent';
  if (!inUse(removed)) throw cli.failure(removed, `delete snapshot ${snapshotId}`);
  const untagged = cli.runSync(['image', 'rm', '--force', snapshotId]);
  if (untagged.exitCode !== 0 && !gone(untagged)) throw cli.failure(untagged, `delete snapshot ${snapshotId}`);
  return 'untagged';
}

/**
 * Removes this session's images that lost their name while in use and are no longer used:
 * `docker image prune` only takes untagged images that no container and no other image needs,
 * and the label filter keeps it to this session's own. (Deleting a later snapshot also takes
 * its untagged parents with it; that is `docker rmi`'s default.)
 */
export function reclaimArgs(session: string): string[] {
  return ['image', 'prune', '--force', '--filter', `label=${snapboxLabels.session}=${session}`];
}
