import { mkdirSync, readdirSync, rmdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { rmdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { SnapshotNotFoundError } from '@snapbox/core';
import type { TreeTools } from './host-tools.js';
import { readJson, type SnapshotRecord, writeJsonAtomic } from './records.js';
import { randomId, type StoreLayout } from './store-layout.js';

/**
 * Snapshot layers, their reference counts and their deletion, safe across concurrent containers
 * and across processes without a global lock. Every step is one atomic filesystem operation:
 *
 * - A layer `L` is needed by the holders listed as empty files in `refs/L/` (`s-<snapshot>` for a
 *   snapshot, `c-<container>` for a container that mounts it). `refs/L/` is created once, with its
 *   first holder, before `layers/L` is published; it is removed once, by the `rmdir` that finds it
 *   empty, and whoever wins that `rmdir` deletes the layer. A holder is only ever added to a layer
 *   that another holder keeps alive (the snapshot being restored, or the container being
 *   snapshotted), so an empty `refs/L/` can never be refilled.
 * - Restoring pins first and checks second: it adds `c-<container>` to each layer of the snapshot,
 *   then checks that the snapshot record still exists. A deleter removes the record first and
 *   unpins second. Whichever order the two interleave in, either the restore sees the record gone
 *   (and fails with SnapshotNotFoundError, undoing its pins), or the deleter's unpin sees the
 *   container's pins (and leaves the layers).
 * - Taking a snapshot writes the layer in `tmp/`, pins the new layer and the layers under it for
 *   the new snapshot (the container keeps those alive meanwhile), publishes the layer by rename,
 *   and publishes the record by rename last; a pending record lets a cleanup undo a snapshot
 *   whose owner died half-way.
 */
export class LayerStore {
  readonly layout: StoreLayout;
  readonly #tools: TreeTools;

  constructor(layout: StoreLayout, tools: TreeTools) {
    this.layout = layout;
    this.#tools = tools;
  }

  /** Creates the folders of the store (idempotent). */
  ensure(): void {
    const { root, images, layers, refs, snapshots, pending, containers, tmp, trash } = this.layout;
    for (const dir of [root, images, layers, refs, snapshots, pending, containers, tmp, trash]) {
      mkdirSync(dir, { recursive: true });
    }
  }

  snapshotPath(id: string): string {
    return join(this.layout.snapshots, `${id}.json`);
  }

  layerPath(layer: string): string {
    return join(this.layout.layers, layer);
  }

  /** The snapshot's record, or undefined once it is deleted. */
  readSnapshot(id: string): SnapshotRecord | undefined {
    return readJson<SnapshotRecord>(this.snapshotPath(id));
  }

  /**
   * Pins every layer of snapshot `id` for `holder` and returns the record.
   * @throws SnapshotNotFoundError when the snapshot does not exist or is being deleted.
   */
  pinSnapshot(id: string, holder: string): SnapshotRecord {
    const record = this.readSnapshot(id);
    if (record === undefined) throw new SnapshotNotFoundError({ snapshotId: id });
    const pinned: string[] = [];
    try {
      for (const layer of record.layers) {
        // 'wx' and no mkdir: a missing refs folder means the layer is being deleted.
        writeFileSync(join(this.layout.refs, layer, holder), '', { flag: 'wx' });
        pinned.push(layer);
      }
    } catch (error) {
      this.#unpinQuietly(pinned, holder);
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new SnapshotNotFoundError({ snapshotId: id, cause: error });
      }
      throw error;
    }
    if (this.readSnapshot(id) === undefined) {
      this.#unpinQuietly(pinned, holder);
      throw new SnapshotNotFoundError({ snapshotId: id });
    }
    return record;
  }

  /**
   * Removes `holder`'s pins; every layer left with no holder is moved to the trash and deleted.
   * Returns the deletions so an async caller can await them and a sync caller can run them.
   */
  unpin(layers: readonly string[], holder: string): string[] {
    const unreferenced: string[] = [];
    for (const layer of layers) {
      try {
        unlinkSync(join(this.layout.refs, layer, holder));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
      if (this.#claimIfUnreferenced(layer)) unreferenced.push(layer);
    }
    return unreferenced;
  }

  /** {@link LayerStore.unpin} off the event loop (the libuv threadpool): the same steps, awaited. */
  async unpinAsync(layers: readonly string[], holder: string): Promise<string[]> {
    const unreferenced: string[] = [];
    for (const layer of layers) {
      await unlink(join(this.layout.refs, layer, holder)).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
      const claimed = await rmdir(join(this.layout.refs, layer)).then(
        () => true,
        (error: NodeJS.ErrnoException) => {
          if (error.code === 'ENOTEMPTY' || error.code === 'EEXIST' || error.code === 'ENOENT') return false;
          throw error;
        },
      );
      if (claimed) unreferenced.push(layer);
    }
    return unreferenced;
  }

  /**
   * Deletes a snapshot's record (it is gone for every caller at once) and returns its layers, for
   * {@link LayerStore.unpinAsync} with {@link snapshotHolder}; undefined when it was not there
   * (or another deleter won). The record goes off the event loop.
   */
  async deleteSnapshotRecord(id: string): Promise<string[] | undefined> {
    const record = this.readSnapshot(id);
    if (record === undefined) return undefined;
    try {
      await unlink(this.snapshotPath(id));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    return record.layers;
  }

  /** Deletes the layers {@link LayerStore.unpin} found unreferenced. */
  async deleteLayers(layers: readonly string[]): Promise<void> {
    await Promise.all(layers.map((layer) => this.#tools.remove(this.layerPath(layer), this.layout.trash)));
  }

  /** {@link LayerStore.deleteLayers}, blocking. */
  deleteLayersSync(layers: readonly string[]): void {
    for (const layer of layers) this.#tools.removeSync(this.layerPath(layer), this.layout.trash);
  }

  /**
   * A fresh folder in `tmp/` (same filesystem as `layers/`) to write a new layer into. Its name
   * starts with `tmpPrefix` (the owner's session), so a cleanup can tell whose it is.
   */
  newLayerFolder(tmpPrefix: string): { layer: string; path: string } {
    for (;;) {
      const layer = randomId();
      const path = join(this.layout.tmp, `${tmpPrefix}-layer-${layer}`);
      try {
        mkdirSync(path);
        return { layer, path };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
  }

  /**
   * Publishes a snapshot whose new top layer was written to `layerFolder` (from
   * {@link LayerStore.newLayerFolder}). `record.layers[0]` is that layer; the others must be kept
   * alive by the caller (its container pins them) until this returns.
   */
  commitSnapshot(record: SnapshotRecord, layerFolder: string): void {
    const pendingPath = join(this.layout.pending, `${record.id}.json`);
    writeJsonAtomic(pendingPath, record);
    const holder = snapshotHolder(record.id);
    const [top, ...below] = record.layers;
    if (top === undefined) throw new Error('a snapshot needs at least one layer');
    mkdirSync(join(this.layout.refs, top));
    writeFileSync(join(this.layout.refs, top, holder), '', { flag: 'wx' });
    for (const layer of below) writeFileSync(join(this.layout.refs, layer, holder), '', { flag: 'wx' });
    this.#tools.renameSync(layerFolder, this.layerPath(top));
    writeJsonAtomic(this.snapshotPath(record.id), record);
    unlinkSync(pendingPath);
  }

  /**
   * Deletes a snapshot: its record first (it is gone for every caller at once), then its pins.
   * Returns the layers to delete (none while restored containers or later snapshots use them).
   */
  deleteSnapshot(id: string): string[] {
    const record = this.readSnapshot(id);
    if (record === undefined) return [];
    try {
      unlinkSync(this.snapshotPath(id));
    } catch (error) {
      // Another deleter won: it unpins.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    return this.unpin(record.layers, snapshotHolder(id));
  }

  /** Undoes a snapshot left pending by an owner that died half-way; returns layers to delete. */
  rollBackPending(id: string): string[] {
    const pendingPath = join(this.layout.pending, `${id}.json`);
    const record = readJson<SnapshotRecord>(pendingPath);
    if (record === undefined) return [];
    const holder = snapshotHolder(id);
    const doomed = this.unpin(record.layers, holder);
    // The top layer may still sit in tmp/ if the owner died before publishing it; tmp is swept apart.
    try {
      unlinkSync(pendingPath);
    } catch {
      // Another cleanup removed it.
    }
    return doomed;
  }

  /** Ids of every published snapshot. */
  listSnapshotIds(): string[] {
    return listNames(this.layout.snapshots)
      .filter((name) => name.endsWith('.json') && !name.startsWith('.'))
      .map((name) => name.slice(0, -'.json'.length));
  }

  /** Ids of snapshots left pending. */
  listPendingIds(): string[] {
    return listNames(this.layout.pending)
      .filter((name) => name.endsWith('.json') && !name.startsWith('.'))
      .map((name) => name.slice(0, -'.json'.length));
  }

  /** Layer ids on disk. */
  listLayers(): string[] {
    return listNames(this.layout.layers);
  }

  /** The holders of a layer. */
  holdersOf(layer: string): string[] {
    return listNames(join(this.layout.refs, layer));
  }

  #claimIfUnreferenced(layer: string): boolean {
    try {
      rmdirSync(join(this.layout.refs, layer));
      return true;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOENT') return false;
      throw error;
    }
  }

  #unpinQuietly(layers: readonly string[], holder: string): void {
    // These layers are still held by the snapshot being restored (or were already claimed), so
    // removing our pins never empties a folder that someone else must delete... except when the
    // snapshot was deleted meanwhile; then the usual claim applies.
    const doomed = this.unpin(layers, holder);
    this.deleteLayersSync(doomed);
  }
}

/** The holder name of a snapshot in `refs/<layer>/`. */
export function snapshotHolder(id: string): string {
  return `s-${id}`;
}

/** The holder name of a container in `refs/<layer>/`. */
export function containerHolder(id: string): string {
  return `c-${id}`;
}

function listNames(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}
