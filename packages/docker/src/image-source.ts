import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  ImageBuildError,
  ImageNotFoundError,
  listLocalTree,
  type ProgressEvent,
  SnapboxError,
  snapboxLabels,
} from '@snapbox/core';
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

/** What a pull or build of `start()` reports to, and is stopped by. */
export interface StartWatch {
  signal: AbortSignal;
  progress(event: ProgressEvent): void;
}

/** One event of the engine's pull stream. */
export interface PullEvent {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { message?: string };
}

/**
 * Turns the engine's per-layer pull events into progress events with the bytes downloaded so
 * far over the bytes of every layer whose size is known yet.
 */
export class PullProgress {
  readonly #layers = new Map<string, { done: number; total: number }>();

  event(event: PullEvent): ProgressEvent | undefined {
    if (event.status === undefined) return undefined;
    const id = event.id;
    if (id !== undefined) {
      const layer = this.#layers.get(id) ?? { done: 0, total: 0 };
      const detail = event.progressDetail;
      if (event.status === 'Downloading' && detail?.total !== undefined && detail.total > 0) {
        layer.total = detail.total;
        layer.done = Math.min(detail.current ?? 0, detail.total);
      } else if (/^(Download complete|Verifying Checksum|Extracting|Pull complete|Already exists)/.test(event.status)) {
        layer.done = layer.total;
      }
      this.#layers.set(id, layer);
    }
    let done = 0;
    let total = 0;
    for (const layer of this.#layers.values()) {
      done += layer.done;
      total += layer.total;
    }
    const message = id === undefined ? event.status : `${event.status} ${id}`;
    return total > 0 ? { phase: 'pull', message, done, total } : { phase: 'pull', message };
  }
}

/**
 * The image, pulled first when missing (and the policy allows it). The pull reports progress and
 * stops when `watch.signal` aborts; an image it completed is then removed again.
 * @throws ImageNotFoundError saying whether a pull was tried and why it failed.
 */
export async function ensureImage(
  docker: Docker,
  image: string,
  pull: PullPolicy,
  watch?: StartWatch,
): Promise<ResolvedImage> {
  const present = await inspectImage(docker, image);
  if (present !== undefined) return present;
  if (pull === 'never') {
    throw new ImageNotFoundError({ image, detail: 'it is not on the engine and pulling is disabled (pull: "never")' });
  }
  watch?.signal.throwIfAborted();
  const started = Date.now();
  dockerLog('pulling %s: not on the engine', image);
  watch?.progress({ phase: 'pull', message: `pulling ${image}` });
  const counter = new PullProgress();
  try {
    const progress = await docker.pull(image, watch === undefined ? {} : { abortSignal: watch.signal });
    await new Promise<void>((done, fail) => {
      // An engine may answer 200 and report the failure as an event (Podman always does).
      let failure: string | undefined;
      const onAbort = () => fail(watch?.signal.reason ?? new Error('aborted'));
      watch?.signal.addEventListener('abort', onAbort, { once: true });
      docker.modem.followProgress(
        progress,
        (error) => {
          watch?.signal.removeEventListener('abort', onAbort);
          if (error) fail(error);
          else if (failure !== undefined) fail(new Error(failure));
          else done();
        },
        (event: PullEvent) => {
          if (event.error) failure ??= event.errorDetail?.message ?? event.error;
          const update = counter.event(event);
          if (update !== undefined) watch?.progress(update);
        },
      );
    });
    if (watch?.signal.aborted) throw watch.signal.reason;
  } catch (error) {
    if (watch?.signal.aborted) {
      // A pull that completed while the start was being cancelled leaves no image behind.
      await docker
        .getImage(image)
        .remove()
        .catch(() => undefined);
      throw error;
    }
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
 * Follows a classic-builder log (Docker's `Step 2/5 : RUN ...`, Podman's `STEP 2/5: RUN ...`)
 * line by line: each complete line becomes a progress event with the step counts, and the ids of
 * the images that steps of this build created (not those taken from the cache) are kept, so that
 * a cancelled build can remove them.
 */
export class BuildLog {
  readonly lines: string[] = [];
  readonly createdImages: string[] = [];
  /** The containers the steps of this build ran in. */
  readonly stepContainers: string[] = [];
  #pending = '';
  #step: { done: number; total: number } | undefined;
  #stepRan = false;
  readonly #emit: (event: ProgressEvent) => void;

  constructor(emit: (event: ProgressEvent) => void) {
    this.#emit = emit;
  }

  /** A `stream` chunk of the build's output (not necessarily whole lines). */
  push(chunk: string): void {
    const text = this.#pending + chunk;
    const parts = text.split(/\r?\n/);
    this.#pending = parts.pop() ?? '';
    for (const line of parts) this.#line(line);
  }

  /** Flushes a last line that ended without a newline. */
  end(): void {
    if (this.#pending !== '') this.#line(this.#pending);
    this.#pending = '';
  }

  #line(line: string): void {
    if (line.trim() === '') return;
    this.lines.push(line);
    const step = /^(?:Step|STEP) (\d+)\/(\d+)\s*:/.exec(line);
    if (step !== null) {
      this.#step = { done: Number(step[1]) - 1, total: Number(step[2]) };
      this.#stepRan = false;
    }
    const running = /^(?: ---> )?Running in ([0-9a-f]{12,64})$/.exec(line);
    if (running?.[1] !== undefined) {
      this.#stepRan = true;
      this.stepContainers.push(running[1]);
    }
    const result = /^ ?--->? ([0-9a-f]{12,64})$/.exec(line);
    if (result?.[1] !== undefined) {
      if (this.#stepRan) this.createdImages.push(result[1]);
      this.#stepRan = false;
      if (this.#step !== undefined) this.#step = { ...this.#step, done: this.#step.done + 1 };
    }
    this.#emit({ phase: 'build', message: line, ...this.#step });
  }
}

/**
 * Builds the image of a Dockerfile. The build context is the Dockerfile's folder, filtered by
 * its `.dockerignore` (Docker's own rules, `!` exceptions included), streamed as a tar. The tag
 * derives from the Dockerfile's path, so rebuilding reuses the engine's layer cache. The build
 * log goes to `watch.progress` line by line; when `watch.signal` aborts, the build request is
 * cancelled (the engine stops the step and removes its container) and the images that this
 * build's steps had created are removed.
 * @throws ImageBuildError with the end of the build log.
 */
export async function buildDockerfile(
  docker: Docker,
  dockerfilePath: string,
  labels: Record<string, string>,
  watch?: StartWatch,
): Promise<ResolvedImage> {
  const absolute = resolve(dockerfilePath);
  const info = await stat(absolute).catch(() => undefined);
  if (!info?.isFile()) {
    throw new ImageBuildError({ dockerfilePath: absolute, detail: 'the Dockerfile does not exist', logTail: '' });
  }
  const contextDir = dirname(absolute);
  watch?.progress({ phase: 'build', message: `sending the build context of ${absolute}` });
  const context = await packContext(contextDir, basename(absolute));
  const tag = `snapbox-build:${createHash('sha256').update(absolute).digest('hex').slice(0, 16)}`;
  const log = new BuildLog((event) => watch?.progress(event));
  let failure: string | undefined;
  dockerLog('building %s as %s', absolute, tag);
  try {
    watch?.signal.throwIfAborted();
    const progress = await docker.buildImage(context as unknown as NodeJS.ReadableStream, {
      t: tag,
      dockerfile: basename(absolute),
      labels: { ...labels, [snapboxLabels.kind]: 'build' },
      rm: true,
      forcerm: true,
      ...(watch === undefined ? {} : { abortSignal: watch.signal }),
    });
    await new Promise<void>((done, fail) => {
      const onAbort = () => fail(watch?.signal.reason ?? new Error('aborted'));
      watch?.signal.addEventListener('abort', onAbort, { once: true });
      docker.modem.followProgress(
        progress,
        (error) => {
          watch?.signal.removeEventListener('abort', onAbort);
          log.end();
          if (error) fail(error);
          else done();
        },
        (event: { stream?: string; error?: string; errorDetail?: { message?: string } }) => {
          if (event.stream) log.push(event.stream);
          if (event.error) failure = event.errorDetail?.message ?? event.error;
        },
      );
    });
    watch?.signal.throwIfAborted();
  } catch (error) {
    if (watch?.signal.aborted) {
      await removeBuildLeftovers(docker, log);
      throw error;
    }
    if (isConnectionError(error)) throw wrapEngineError(error, docker, `build ${absolute}`);
    throw new ImageBuildError({
      dockerfilePath: absolute,
      detail: engineMessage(error),
      logTail: tail(log.lines),
      cause: error,
    });
  }
  if (failure !== undefined) {
    throw new ImageBuildError({ dockerfilePath: absolute, detail: failure, logTail: tail(log.lines) });
  }
  const built = await inspectImage(docker, tag);
  if (built === undefined) {
    throw new SnapboxError('ENGINE_ERROR', {
      message: `The build of ${absolute} reported success, but ${tag} is missing.`,
    });
  }
  return built;
}

/**
 * Removes what a cancelled build left: the container of the step it was in (the engine removes
 * it too, but in its own time, and it pins the image below it), then the images its steps
 * created, newest first. Each image goes alone (`noprune`): its parents may be cache that other
 * builds use. One that something else now uses (a tag, a child) is left alone by the engine.
 */
async function removeBuildLeftovers(docker: Docker, log: BuildLog): Promise<void> {
  for (const id of log.stepContainers) {
    await docker
      .getContainer(id)
      .remove({ force: true })
      .catch(() => undefined);
  }
  for (const id of [...log.createdImages].reverse()) {
    await docker
      .getImage(id)
      .remove({ noprune: true })
      .then(() => dockerLog('cancelled build: removed its image %s', id))
      .catch((error: unknown) => dockerLog('cancelled build: kept image %s (%s)', id, engineMessage(error)));
  }
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
