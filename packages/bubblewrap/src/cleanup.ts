import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { processStartTime } from '@snapbox/core';
import { removeCgroupDirs, removeCgroupDirsSync, sleepSync } from './cgroup-driver.js';
import type { TreeTools } from './host-tools.js';
import { containerHolder, type LayerStore } from './layer-store.js';
import { isGoneOrZombie, killOrphanedSandboxes } from './process-scan.js';
import { type ContainerRecord, readJson } from './records.js';
import { sessionPrefix } from './store-layout.js';

/** What the blocking cleanups need: the store and the tree tools of one state folder. */
export interface StoreContext {
  store: LayerStore;
  tools: TreeTools;
}

/** The record of container `id`, or undefined when it is gone. */
export function readContainerRecord(context: StoreContext, id: string): ContainerRecord | undefined {
  return readJson<ContainerRecord>(join(context.store.layout.containers, id, 'record.json'));
}

/** Whether `pid` is still the process that was started at `startedAt` (not a reused pid). */
function sameProcess(pid: number, startedAt: number | undefined): boolean {
  const now = processStartTime(pid);
  if (now === undefined) return false;
  return startedAt === undefined || Math.abs(now - startedAt) < 1000;
}

/**
 * Removes a container from its record, whoever made it and whether or not its owner lives:
 * kills its sandbox (when the recorded pid is still that process), removes its cgroups, unpins
 * its layers (deleting those nobody needs any more), and deletes its folder. Blocking; safe to
 * run twice or concurrently with another cleanup of the same container.
 */
export function removeContainerSync(context: StoreContext, id: string): void {
  const record = readContainerRecord(context, id);
  const { store, tools } = context;
  const held = record?.sandbox === undefined ? [] : [record.sandbox, ...(record.sandbox.others ?? [])];
  const live = held.filter((entry) => sameProcess(entry.pid, entry.startedAt));
  for (const entry of live) {
    try {
      process.kill(entry.pid, 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
  }
  for (const entry of live) {
    for (let waited = 0; waited < 2000 && !isGoneOrZombie(entry.pid); waited += 5) sleepSync(5);
  }
  if (record !== undefined) {
    removeCgroupDirsSync(record.cgroups);
    store.deleteLayersSync(store.unpin(record.layers, containerHolder(id)));
  }
  tools.removeSync(join(store.layout.containers, id), store.layout.trash);
}

/**
 * {@link removeContainerSync} without blocking the event loop, for a container this process
 * stopped: its files go off the event loop, its waits are timers.
 */
export async function removeContainer(context: StoreContext, id: string): Promise<void> {
  const record = readContainerRecord(context, id);
  const { store, tools } = context;
  const held = record?.sandbox === undefined ? [] : [record.sandbox, ...(record.sandbox.others ?? [])];
  const live = held.filter((entry) => sameProcess(entry.pid, entry.startedAt));
  for (const entry of live) {
    try {
      process.kill(entry.pid, 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
  }
  for (const entry of live) {
    for (let waited = 0; waited < 2000 && !isGoneOrZombie(entry.pid); waited += 5) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
  if (record !== undefined) {
    await removeCgroupDirs(record.cgroups);
    await store.deleteLayers(await store.unpinAsync(record.layers, containerHolder(id)));
  }
  await tools.remove(join(store.layout.containers, id), store.layout.trash);
}

/**
 * Removes what a dead owner left half-done: sandboxes that lost their bwrap parent while it set
 * them up (see killOrphanedSandboxes), pins of containers and snapshots that no longer exist,
 * pending snapshots of `session` (or of anyone, when `session` is undefined and they are older
 * than `staleMs`), and temporary folders of `session`.
 */
export function sweepLeftoversSync(context: StoreContext, options: { session?: string; staleMs?: number }): void {
  const { store, tools } = context;
  const { layout } = store;
  killOrphanedSandboxes(layout.root);
  for (const id of store.listPendingIds()) {
    const pending = readJson<{ owner: { session: string }; createdAt: number }>(join(layout.pending, `${id}.json`));
    if (pending === undefined) continue;
    const mine = options.session !== undefined && pending.owner.session === options.session;
    const stale = options.staleMs !== undefined && Date.now() - pending.createdAt > options.staleMs;
    if (mine || stale) store.deleteLayersSync(store.rollBackPending(id));
  }
  for (const layer of store.listLayers()) {
    for (const holder of store.holdersOf(layer)) {
      const orphan = holder.startsWith('c-')
        ? readContainerRecord(context, holder.slice(2)) === undefined &&
          !existsQuietly(join(layout.containers, holder.slice(2)))
        : holder.startsWith('s-') &&
          store.readSnapshot(holder.slice(2)) === undefined &&
          !existsQuietly(join(layout.pending, `${holder.slice(2)}.json`));
      if (orphan) store.deleteLayersSync(store.unpin([layer], holder));
    }
  }
  // A layer with no refs folder is unreferenced for good (a layer is published after its refs
  // folder is made, and that folder goes only when its last holder does): a deleter was stopped
  // between claiming it and removing it.
  for (const layer of store.listLayers()) {
    if (!existsQuietly(join(layout.refs, layer))) tools.removeSync(store.layerPath(layer), layout.trash);
  }
  if (options.session !== undefined) {
    const prefix = `${sessionPrefix(options.session)}-`;
    for (const name of readdirQuietly(layout.tmp)) {
      if (name.startsWith(prefix)) tools.removeSync(join(layout.tmp, name), layout.trash);
    }
  }
  for (const name of readdirQuietly(layout.trash)) tools.removeSync(join(layout.trash, name), layout.trash);
}

function readdirQuietly(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function existsQuietly(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}
