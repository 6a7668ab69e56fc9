import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ImageBuildError, ImageNotFoundError, listLocalTree, SnapboxError, snapboxLabels } from '@snapbox/core';
import type Docker from 'dockerode';
import * as tar from 'tar-stream';
import { dockerLog } from './debug-logs.js';
import { engineMessage, isConnectionError, statusOf, wrapEngineError } from './docker-connection.js';

// A CommonJS module whose typings declare an ES default export: load it the CommonJS way.
interface DockerIgnore {
  add(patterns: string): DockerIgnore;
  ignores(path: string): boolean;
}
const createIgnore = createRequire(import.meta.url)('@balena/dockerignore') as () => DockerIgnore;

/** The parts of an image's config that a snapshot must carry over. */
export type ImageConfig = Docker.ImageInspectInfo['Config'];

export interface ResolvedImage {
  id: string;
  config: ImageConfig;
  /** Number of filesystem layers; Docker refuses to commit past 125. */
  layers: number;
  labels: Record<string, string>;
}

export function describeImage(info: Docker.ImageInspectInfo): ResolvedImage {
  return {
    id: info.Id,
    config: info.Config,
    layers: info.RootFS?.Layers?.length ?? 0,
    labels: info.Config?.Labels ?? {},
  };
}

/** Inspects `image`; returns undefined when the engine does not have it. */
export async function inspectImage(docker: Docker, image: string): Promise<ResolvedImage | undefined> {
  try {
    return describeImage(await docker.getImage(image).inspect());
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw wrapEngineError(error, docker, `inspect image ${image}`);
  }
}

/** How `start()` gets an image that the engine does not have. */
export type PullPolicy = 'missing' | 'never';

/**
 * The image, pulled first when missing (and the policy allows it).
 * @throws ImageNotFoundError saying whether a pull was tried and why it failed.
 */
export async function ensureImage(docker: Docker, image: string, pull: PullPolicy): Promise<ResolvedImage> {
  const present = await inspectImage(docker, image);
  if (present !== undefined) return present;
  if (pull === 'never') {
    throw new ImageNotFoundError({ image, detail: 'it is not on the engine and pulling is disabled (pull: "never")' });
  }
  const started = Date.now();
  dockerLog('pulling %s: not on the engine', image);
  try {
    const progress = await docker.pull(image);
    await new Promise<void>((done, fail) => {
      // An engine may answer 200 and report the failure as an event (Podman always does).
      let failure: string | undefined;
      docker.modem.followProgress(
        progress,
        (error) => (error ? fail(error) : failure !== undefined ? fail(new Error(failure)) : done()),
        (event: { error?: string; errorDetail?: { message?: string } }) => {
          if (event.error) failure ??= event.errorDetail?.message ?? event.error;
        },
      );
    });
  } catch (error) {
    if (isConnectionError(error)) throw wrapEngineError(error, docker, `pull ${image}`);
    throw new ImageNotFoundError({
      image,
      detail: `it is not on the engine, and pulling it failed: ${engineMessage(error)}`,
      cause: error,
    });
  }
  dockerLog('pulled %s in %d ms', image, Date.now() - started);
  const pulled = await inspectImage(docker, image);
  if (pulled === undefined)
    throw new ImageNotFoundError({ image, detail: 'the pull reported success but the image is absent' });
  return pulled;
}

/**
 * Builds the image of a Dockerfile. The build context is the Dockerfile's folder, filtered by
 * its `.dockerignore` (Docker's own rules, `!` exceptions included), streamed as a tar. The tag
 * derives from the Dockerfile's path, so rebuilding reuses the engine's layer cache.
 * @throws ImageBuildError with the end of the build log.
 */
export async function buildDockerfile(
  docker: Docker,
  dockerfilePath: string,
  labels: Record<string, string>,
): Promise<ResolvedImage> {
  const absolute = resolve(dockerfilePath);
  const info = await stat(absolute).catch(() => undefined);
  if (!info?.isFile()) {
    throw new ImageBuildError({ dockerfilePath: absolute, detail: 'the Dockerfile does not exist', logTail: '' });
  }
  const contextDir = dirname(absolute);
  const context = await packContext(contextDir, basename(absolute));
  const tag = `snapbox-build:${createHash('sha256').update(absolute).digest('hex').slice(0, 16)}`;
  const log: string[] = [];
  let failure: string | undefined;
  dockerLog('building %s as %s', absolute, tag);
  try {
    const progress = await docker.buildImage(context as unknown as NodeJS.ReadableStream, {
      t: tag,
      dockerfile: basename(absolute),
      labels: { ...labels, [snapboxLabels.kind]: 'build' },
      rm: true,
      forcerm: true,
    });
    await new Promise<void>((done, fail) => {
      docker.modem.followProgress(
        progress,
        (error) => (error ? fail(error) : done()),
        (event: { stream?: string; error?: string; errorDetail?: { message?: string } }) => {
          if (event.stream) log.push(...event.stream.split('\n').filter((line) => line.trim() !== ''));
          if (event.error) failure = event.errorDetail?.message ?? event.error;
        },
      );
    });
  } catch (error) {
    if (isConnectionError(error)) throw wrapEngineError(error, docker, `build ${absolute}`);
    throw new ImageBuildError({
      dockerfilePath: absolute,
      detail: engineMessage(error),
      logTail: tail(log),
      cause: error,
    });
  }
  if (failure !== undefined) {
    throw new ImageBuildError({ dockerfilePath: absolute, detail: failure, logTail: tail(log) });
  }
  const built = await inspectImage(docker, tag);
  if (built === undefined) {
    throw new SnapboxError('ENGINE_ERROR', {
      message: `The build of ${absolute} reported success, but ${tag} is missing.`,
    });
  }
  return built;
}

function tail(lines: readonly string[], count = 30): string {
  return lines.slice(-count).join('\n');
}

async function packContext(contextDir: string, dockerfileName: string): Promise<Readable> {
  const ignoreText = await readFile(join(contextDir, '.dockerignore'), 'utf8').catch(() => '');
  const ignore = createIgnore().add(ignoreText);
  const tree = await listLocalTree(contextDir);
  // The Dockerfile and .dockerignore are always sent, as the docker CLI does.
  const keep = (path: string) => path === dockerfileName || path === '.dockerignore' || !ignore.ignores(path);
  const files = tree.files.filter(keep);
  const pack = tar.pack();
  void (async () => {
    for (const file of files) {
      const absolute = join(contextDir, ...file.split('/'));
      const fileInfo = await stat(absolute);
      await pipeline(
        createReadStream(absolute),
        pack.entry({ name: file, size: fileInfo.size, mode: fileInfo.mode & 0o7777 }),
      );
    }
    pack.finalize();
  })().catch((error: unknown) => pack.destroy(error as Error));
  return pack as unknown as Readable;
}
