import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, realpathSync, renameSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ImageNotFoundError, InvalidArgumentError, SnapboxError } from '@snapbox/core';
import type { EngineClient } from './engine-client.js';
import { mustRun, runTool, type TreeTools } from './host-tools.js';
import { type ImageConfig, type RootImage, readJson, writeJsonAtomic } from './records.js';
import { randomId, type StoreLayout, sessionPrefix } from './store-layout.js';
import type { IdMapping } from './subordinate-ids.js';

/** The environment of an image that declares none (Docker's default PATH). */
export const defaultImageConfig: ImageConfig = {
  env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
  workdir: '',
  user: '',
};

const tarballPattern = /\.(tar|tar\.gz|tgz|tar\.xz|tar\.zst)$/;

/**
 * Images as read-only root filesystems, cached under `<root>/images/<key>/`:
 *
 * - an image name (`debian:12`, the Docker backend's names) is looked up in the local Docker or
 *   Podman engine, exported once (`/images/{id}/get`, i.e. `docker save`), its layers applied in
 *   order with their whiteouts, and cached by image id: a later start, in any process, reuses it;
 * - an absolute path to a folder is used in place (it must not change while containers use it);
 * - an absolute path to a tarball is extracted once, cached by path, size and modification time.
 *
 * A cache entry is written in `tmp/` and published by one rename, so concurrent starts (in this
 * process or others) never see half an image; the loser of a publishing race discards its copy.
 */
export class ImageCache {
  readonly #layout: StoreLayout;
  readonly #tools: TreeTools;
  readonly #engine: () => EngineClient | undefined;
  readonly #mapping: IdMapping;
  readonly #inFlight = new Map<string, Promise<RootImage>>();

  constructor(layout: StoreLayout, tools: TreeTools, engine: () => EngineClient | undefined, mapping: IdMapping) {
    this.#layout = layout;
    this.#tools = tools;
    this.#engine = engine;
    this.#mapping = mapping;
  }

  /**
   * Resolves an image name or an absolute path to a root filesystem. A name is resolved once per
   * cache (one per factory): later starts skip the engine entirely, so a tag moved on the engine
   * afterwards is seen by a new factory. A failure is not remembered.
   */
  resolve(image: string): Promise<RootImage> {
    let pending = this.#inFlight.get(image);
    if (pending === undefined) {
      pending = this.#resolve(image);
      pending.catch(() => this.#inFlight.delete(image));
      this.#inFlight.set(image, pending);
    }
    return pending;
  }

  async #resolve(image: string): Promise<RootImage> {
    if (image.startsWith('/')) return this.#fromPath(image);
    const engine = this.#engine();
    if (engine === undefined) {
      throw new ImageNotFoundError({
        image,
        detail:
          'no local Docker or Podman engine socket was found to export it from; start one, set DOCKER_HOST, or pass an absolute path to a root filesystem folder or tarball',
      });
    }
    const info = await engine.inspectImage(image);
    if (info === undefined) {
      throw new ImageNotFoundError({
        image,
        detail: `the engine at unix://${engine.socketPath} does not have it (this backend never pulls: build or pull it there first)`,
      });
    }
    const key = info.Id.replace(/^sha256:/, '').slice(0, 16);
    const config: ImageConfig = {
      env: info.Config?.Env ?? defaultImageConfig.env,
      workdir: info.Config?.WorkingDir ?? '',
      user: info.Config?.User ?? '',
    };
    const dir = join(this.#layout.images, key);
    if (!existsSync(join(dir, 'config.json'))) {
      await this.#publish(dir, async (work) => {
        const saved = join(work, 'saved');
        mkdirSync(saved);
        const response = await engine.exportImage(info.Id);
        await extractStream(response, saved);
        await applySavedImage(saved, join(work, 'rootfs'), this.#tools, this.#mapping);
        writeJsonAtomic(join(work, 'config.json'), config);
        await this.#tools.remove(saved, this.#layout.trash);
      });
    }
    return {
      rootfs: join(dir, 'rootfs'),
      config: readJson<ImageConfig>(join(dir, 'config.json')) ?? config,
      baseImage: image,
    };
  }

  async #fromPath(path: string): Promise<RootImage> {
    let info: ReturnType<typeof statSync>;
    try {
      info = statSync(path);
    } catch (cause) {
      throw new ImageNotFoundError({ image: path, detail: 'no such folder or tarball', cause });
    }
    if (/[,:\\]/.test(path)) {
      throw new InvalidArgumentError({
        argument: 'image',
        message: `a root filesystem path may not contain ',', ':' or '\\' (overlayfs separators): ${path}`,
      });
    }
    if (info.isDirectory()) return { rootfs: realpathSync(path), config: defaultImageConfig, baseImage: path };
    if (!tarballPattern.test(path)) {
      throw new InvalidArgumentError({
        argument: 'image',
        message: `expected an image name, a root filesystem folder or a tarball (.tar, .tar.gz, .tgz, .tar.xz, .tar.zst): ${path}`,
      });
    }
    const key = `t${createHash('sha256')
      .update(`${realpathSync(path)}\0${info.size}\0${info.mtimeMs}`)
      .digest('hex')
      .slice(0, 15)}`;
    const dir = join(this.#layout.images, key);
    if (!existsSync(join(dir, 'config.json'))) {
      await this.#publish(dir, async (work) => {
        mkdirSync(join(work, 'rootfs'));
        await extractTarball(path, join(work, 'rootfs'), this.#tools, this.#mapping);
        writeJsonAtomic(join(work, 'config.json'), defaultImageConfig);
      });
    }
    return { rootfs: join(dir, 'rootfs'), config: defaultImageConfig, baseImage: path };
  }

  async #publish(dir: string, fill: (work: string) => Promise<void>): Promise<void> {
    const work = join(this.#layout.tmp, `${sessionPrefix()}-image-${randomId()}`);
    mkdirSync(work);
    try {
      await fill(work);
      try {
        renameSync(work, dir);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        // Another process published the same image first: use theirs.
        if (code !== 'EEXIST' && code !== 'ENOTEMPTY') throw error;
      }
    } finally {
      if (existsSync(work)) await this.#tools.remove(work, this.#layout.trash);
    }
  }
}

function extractStream(stream: NodeJS.ReadableStream, target: string): Promise<void> {
  const tar = spawn('tar', ['-x', '--no-same-owner', '-C', target], { stdio: ['pipe', 'ignore', 'pipe'] });
  const errors: Buffer[] = [];
  tar.stderr.on('data', (chunk: Buffer) => errors.push(chunk));
  const exited = new Promise<void>((resolve, reject) => {
    tar.on('error', reject);
    tar.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(
            new SnapboxError('IMAGE_EXPORT_FAILED', {
              message: `Extracting the exported image failed (tar exited ${code}): ${Buffer.concat(errors).toString().trim()}`,
            }),
          ),
    );
  });
  return Promise.all([pipeline(stream, tar.stdin), exited]).then(() => undefined);
}

interface SavedManifestEntry {
  Config: string;
  Layers: string[];
}

/**
 * Applies the layers of an exported image (`docker save` layout, legacy or OCI) to `rootfs`, in
 * order, with their whiteouts: `.wh.<name>` deletes `<name>` from the layers below, and
 * `.wh..wh..opq` empties its folder of what the layers below put there.
 */
async function applySavedImage(saved: string, rootfs: string, tools: TreeTools, mapping: IdMapping): Promise<void> {
  const manifest = JSON.parse(readFileSync(join(saved, 'manifest.json'), 'utf8')) as SavedManifestEntry[];
  const entry = manifest[0];
  if (entry === undefined)
    throw new SnapboxError('IMAGE_EXPORT_FAILED', { message: 'The exported image has no manifest entry.' });
  mkdirSync(rootfs);
  const prefix = tools.prefix();
  for (const layer of entry.Layers) {
    const layerPath = join(saved, layer);
    const listing = await mustRun(['tar', '-tf', layerPath], `list layer ${layer}`);
    const doomed: string[] = [];
    for (const raw of listing.split('\n')) {
      const name = posix.normalize(raw.replace(/^\.?\//, ''));
      const base = posix.basename(name);
      if (!base.startsWith('.wh.')) continue;
      const parent = posix.dirname(name);
      if (parent.split('/').includes('..')) continue;
      if (base === '.wh..wh..opq') {
        doomed.push(...(await childrenOf(join(rootfs, parent), prefix)));
      } else {
        doomed.push(join(rootfs, parent, base.slice('.wh.'.length)));
      }
    }
    for (let index = 0; index < doomed.length; index += 500) {
      await mustRun([...prefix, 'rm', '-rf', '--', ...doomed.slice(index, index + 500)], 'apply whiteouts');
    }
    await extractTarball(layerPath, rootfs, tools, mapping, ['--exclude=.wh.*']);
  }
}

/**
 * Extracts a tarball into `target` with the tree tools' prefix. Root keeps every owner. An
 * ordinary user with subordinate ids keeps those its map covers (so an image's own users, such
 * as Debian's `_apt` or an `app` user's home, stay theirs); the few owners beyond the range
 * become the user's (root inside), as tar says per file. Without subordinate ids everything
 * becomes the user's. Device nodes cannot be made in a user namespace: the sandbox's /dev is
 * bwrap's.
 */
async function extractTarball(
  tarball: string,
  target: string,
  tools: TreeTools,
  mapping: IdMapping,
  extra: readonly string[] = [],
): Promise<void> {
  const ownership =
    mapping.kind === 'root'
      ? ['--numeric-owner']
      : mapping.kind === 'range'
        ? ['--numeric-owner', '--exclude=./dev/*', '--exclude=dev/*']
        : ['--no-same-owner', '--exclude=./dev/*', '--exclude=dev/*'];
  const argv = [...tools.prefix(), 'tar', '-x', ...ownership, ...extra, '-f', tarball, '-C', target];
  const result = await runTool(argv).catch((cause: unknown) => {
    throw new SnapboxError('HOST_TOOL_FAILED', { message: `Could not extract ${tarball}: ${String(cause)}`, cause });
  });
  if (result.code === 0) return;
  const complaints = result.stderr
    .split('\n')
    .filter((line) => line.trim() !== '')
    .filter((line) => !/Cannot change ownership to|Exiting with failure status due to previous errors/.test(line));
  // GNU tar extracts every file and exits 2 when only some owners could not be set.
  if (mapping.kind === 'range' && result.code === 2 && complaints.length === 0) return;
  throw new SnapboxError('HOST_TOOL_FAILED', {
    message: `Could not extract ${tarball}: tar exited with ${result.code}: ${result.stderr.trim()}`,
  });
}

/**
 * The entries of `dir` (none when it does not exist). A folder of an image's own user, closed to
 * others, is listed from the tree tools' namespace, where this user may read it.
 */
async function childrenOf(dir: string, prefix: readonly string[]): Promise<string[]> {
  try {
    return (await readdir(dir)).map((name) => join(dir, name));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if ((code !== 'EACCES' && code !== 'EPERM') || prefix.length === 0) return [];
    const listed = await mustRun(
      [...prefix, 'find', dir, '-mindepth', '1', '-maxdepth', '1', '-print0'],
      `list ${dir} for an opaque whiteout`,
    );
    return listed.split('\0').filter((path) => path !== '');
  }
}
