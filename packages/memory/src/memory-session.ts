import { randomUUID } from 'node:crypto';
import {
  assertAbsoluteRemotePath,
  assertNonEmptyString,
  assertOptionalStringRecord,
  InvalidArgumentError,
  NotASnapshotError,
  SnapshotNotFoundError,
} from '@snapbox/core';
import type { MemoryContainer, MemoryExecHandler, MemoryFactoryOptions } from './memory-container.js';
import { type BuildWatch, buildFromDockerfile } from './memory-dockerfile.js';
import { MemoryFileTree } from './memory-file-tree.js';
import { builtinCommands } from './shell-commands.js';
import { utf8 } from './shell-streams.js';

/** Where a memory container's filesystem comes from. */
export type MemorySource =
  | { readonly kind: 'image'; readonly image: string }
  | { readonly kind: 'dockerfile'; readonly dockerfilePath: string }
  | { readonly kind: 'snapshot'; readonly snapshotId: string };

/** A filesystem plus the image settings that go with it (what `docker commit` keeps too). */
export interface MemoryImage {
  tree: MemoryFileTree;
  workdir: string;
  env: Record<string, string>;
}

/** What the factory's `listSnapshots()` reports about one snapshot. */
export interface MemorySnapshotInfo {
  /** The snapshot id, `memory-snapshot:<uuid>`. */
  readonly id: string;
  /** True when it was taken with `keep: true`: `endSession()` leaves it. */
  readonly keep: boolean;
  /** When it was taken. */
  readonly createdAt: Date;
  /** The name of the container it was taken from. */
  readonly container: string | undefined;
}

interface StoredSnapshot extends MemorySnapshotInfo {
  readonly image: MemoryImage;
}

type ImageSpec = NonNullable<MemoryFactoryOptions['images']>[string];

const snapshotPrefix = 'memory-snapshot:';
let baseTree: MemoryFileTree | undefined;

/** Checks the shape of `createMemoryFactory`'s options up front, so a typo fails at once. */
function assertImages(images: unknown): asserts images is MemoryFactoryOptions['images'] {
  if (images === undefined) return;
  if (typeof images !== 'object' || images === null || Array.isArray(images)) {
    throw new InvalidArgumentError({
      argument: 'options.images',
      message: 'expected an object of image name → { files, workdir, env }',
    });
  }
  for (const [name, spec] of Object.entries(images)) {
    const at = `options.images[${JSON.stringify(name)}]`;
    if (typeof spec !== 'object' || spec === null)
      throw new InvalidArgumentError({ argument: at, message: 'expected { files?, workdir?, env? }' });
    const { files, workdir, env } = spec as Record<string, unknown>;
    if (workdir !== undefined) assertAbsoluteRemotePath(workdir, `${at}.workdir`);
    assertOptionalStringRecord(env, `${at}.env`);
    if (files === undefined) continue;
    if (typeof files !== 'object' || files === null)
      throw new InvalidArgumentError({ argument: `${at}.files`, message: 'expected an object of path → content' });
    for (const [path, content] of Object.entries(files)) {
      assertAbsoluteRemotePath(path, `${at}.files key`);
      const body =
        typeof content === 'object' && content !== null && !(content instanceof Uint8Array)
          ? (content as { content?: unknown }).content
          : content;
      if (typeof body !== 'string' && !(body instanceof Uint8Array)) {
        throw new InvalidArgumentError({
          argument: `${at}.files[${JSON.stringify(path)}]`,
          message: 'expected a string, a Uint8Array or { content, mode }',
        });
      }
    }
  }
}

/**
 * What all containers of one memory factory share, standing in for a backend's connection:
 * the snapshot store, the images, the exec handler, and the list of live containers.
 */
export class MemorySession {
  readonly execHandler: MemoryExecHandler | undefined;
  /** What `start()` does with resources (see `MemoryFactoryOptions.resources`). */
  readonly resources: 'reject' | 'record';
  readonly #images: Record<string, ImageSpec>;
  readonly #snapshots = new Map<string, StoredSnapshot>();
  /** Every id this store ever issued, so deleting an already deleted one stays a no-op. */
  readonly #issued = new Set<string>();
  readonly #live = new Set<MemoryContainer>();

  constructor(options: MemoryFactoryOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new InvalidArgumentError({ argument: 'options', message: 'expected an object' });
    }
    if (options.exec !== undefined && typeof options.exec !== 'function') {
      throw new InvalidArgumentError({ argument: 'options.exec', message: 'expected a function' });
    }
    assertImages(options.images);
    if (options.resources !== undefined && options.resources !== 'reject' && options.resources !== 'record') {
      throw new InvalidArgumentError({ argument: 'options.resources', message: "expected 'reject' or 'record'" });
    }
    this.execHandler = options.exec;
    this.resources = options.resources ?? 'reject';
    this.#images = { ...options.images };
  }

  /** A fresh filesystem for `image`: the base tree plus what `options.images` declares for it. */
  resolveImage(image: string): MemoryImage {
    baseTree ??= MemoryFileTree.base(Object.keys(builtinCommands));
    const tree = baseTree.clone();
    const spec = Object.hasOwn(this.#images, image) ? this.#images[image] : undefined;
    const workdir = spec?.workdir ?? '/';
    for (const [path, entry] of Object.entries(spec?.files ?? {})) {
      const { content, mode } =
        typeof entry === 'string' || entry instanceof Uint8Array ? { content: entry, mode: undefined } : entry;
      tree.writeFile(path, typeof content === 'string' ? utf8.encode(content) : content, { parents: true, mode });
    }
    tree.mkdir(workdir, { parents: true });
    return { tree, workdir, env: { ...spec?.env } };
  }

  /** The filesystem a container starts from. */
  async materialize(source: MemorySource, watch?: BuildWatch): Promise<MemoryImage> {
    switch (source.kind) {
      case 'image':
        return this.resolveImage(source.image);
      case 'dockerfile':
        return buildFromDockerfile(source.dockerfilePath, (image) => this.resolveImage(image), watch);
      case 'snapshot': {
        const stored = this.#snapshots.get(source.snapshotId);
        if (stored === undefined) throw new SnapshotNotFoundError({ snapshotId: source.snapshotId });
        return { tree: stored.image.tree.clone(), workdir: stored.image.workdir, env: { ...stored.image.env } };
      }
    }
  }

  /** Stores `image` (which the caller no longer touches) and returns its new id. */
  saveSnapshot(image: MemoryImage, keep: boolean, container: string | undefined): string {
    const id = `${snapshotPrefix}${randomUUID()}`;
    this.#issued.add(id);
    this.#snapshots.set(id, { id, keep, createdAt: new Date(), container, image });
    return id;
  }

  /** Throws unless `snapshotId` looks like an id of this backend. */
  assertSnapshotId(snapshotId: unknown): asserts snapshotId is string {
    assertNonEmptyString(snapshotId, 'snapshotId');
    if (!snapshotId.startsWith(snapshotPrefix) || snapshotId.length === snapshotPrefix.length) {
      throw new InvalidArgumentError({
        argument: 'snapshotId',
        message: `${JSON.stringify(snapshotId)} is not a memory backend snapshot id (they look like ${snapshotPrefix}<uuid>)`,
      });
    }
  }

  /**
   * Deletes a snapshot. Restores are independent copies, so nothing can depend on it: the
   * entry is simply dropped. Ids this store never issued are refused.
   */
  deleteSnapshot(snapshotId: unknown): void {
    assertNonEmptyString(snapshotId, 'snapshotId');
    if (!this.#issued.has(snapshotId)) {
      const reason = snapshotId.startsWith(snapshotPrefix)
        ? 'it was made by another memory factory'
        : 'memory backend snapshot ids start with memory-snapshot:';
      throw new NotASnapshotError({ snapshotId, reason });
    }
    this.#snapshots.delete(snapshotId);
  }

  listSnapshots(): MemorySnapshotInfo[] {
    return [...this.#snapshots.values()].map(({ id, keep, createdAt, container }) => ({
      id,
      keep,
      createdAt,
      container,
    }));
  }

  register(container: MemoryContainer): void {
    this.#live.add(container);
  }

  unregister(container: MemoryContainer): void {
    this.#live.delete(container);
  }

  liveContainers(): MemoryContainer[] {
    return [...this.#live];
  }

  /** What a process exit does: stop every running container, delete every snapshot not kept. */
  endSession(): { stoppedContainers: MemoryContainer[]; deletedSnapshots: string[] } {
    const stoppedContainers = this.liveContainers();
    for (const container of stoppedContainers) container.stopAndRemoveSync();
    const deletedSnapshots: string[] = [];
    for (const snapshot of this.#snapshots.values()) {
      if (snapshot.keep) continue;
      this.#snapshots.delete(snapshot.id);
      deletedSnapshots.push(snapshot.id);
    }
    return { stoppedContainers, deletedSnapshots };
  }
}
