import { describe, expect, it } from 'vitest';
import type { AdminResource, ResourceOwner } from './admin-resource.js';
import type { ListResourcesOptions, PruneProgressEvent } from './prune-options.js';
import { pruneResources } from './prune-resources.js';

const dead: ResourceOwner = {
  session: 'gone',
  pid: 7,
  host: 'h',
  processStartedAt: 0,
  liveness: 'dead',
  isCurrentProcess: false,
};
const alive: ResourceOwner = { ...dead, session: 'live', liveness: 'alive' };
const at = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000);

/** A backend in memory: what it lists, what it was asked to remove, and what it refuses to. */
function backend(resources: AdminResource[], failing: readonly string[] = []) {
  const removed: string[] = [];
  const listed: ListResourcesOptions[] = [];
  const steps = {
    backend: 'mem',
    list: async (options: ListResourcesOptions) => {
      listed.push(options);
      return resources;
    },
    remove: async (resource: AdminResource) => {
      if (failing.includes(resource.id)) throw new Error(`${resource.id} is stuck`);
      removed.push(resource.id);
    },
  };
  return { steps, removed, listed };
}

const base = { backend: 'mem', labels: {} } as const;
const resources: AdminResource[] = [
  { ...base, kind: 'snapshot', id: 'parent', owner: dead, createdAt: at(30) },
  { ...base, kind: 'container', id: 'box', owner: dead, createdAt: at(20) },
  { ...base, kind: 'snapshot', id: 'child', owner: dead, createdAt: at(10) },
  { ...base, kind: 'snapshot', id: 'kept', owner: dead, createdAt: at(10), keep: true },
  { ...base, kind: 'container', id: 'live-box', owner: alive, createdAt: at(5) },
  { ...base, kind: 'build', id: 'build', owner: alive, createdAt: at(60), inUse: false },
];

describe('pruneResources', () => {
  it('removes containers, then snapshots newest first, announcing each, and reports them', async () => {
    const { steps, removed, listed } = backend(resources);
    const events: PruneProgressEvent[] = [];
    const report = await pruneResources({ onProgress: (event) => events.push(event) }, steps);
    expect(removed).toEqual(['box', 'child', 'parent']);
    expect(events.map(({ id, index, total }) => `${id} ${index + 1}/${total}`)).toEqual([
      'box 1/3',
      'child 2/3',
      'parent 3/3',
    ]);
    expect(report).toMatchObject({ backend: 'mem', dryRun: false, errors: [], builds: [] });
    expect(report.containers.map((r) => r.id)).toEqual(['box']);
    expect(report.snapshots.map((r) => r.id)).toEqual(['child', 'parent']);
    // Builds are not even asked for without includeBuilds.
    expect(listed).toEqual([{ kinds: ['container', 'snapshot'], session: undefined, labels: undefined }]);
  });

  it('a dry run removes nothing and reports the same selection', async () => {
    const { steps, removed } = backend(resources);
    const report = await pruneResources({ dryRun: true, includeKept: true, includeBuilds: true }, steps);
    expect(removed).toEqual([]);
    expect(report.dryRun).toBe(true);
    expect(report.snapshots.map((r) => r.id)).toEqual(['child', 'kept', 'parent']);
    expect(report.builds.map((r) => r.id)).toEqual(['build']);
  });

  it('records a failed removal and goes on with the rest', async () => {
    const { steps, removed } = backend(resources, ['child']);
    const report = await pruneResources({}, steps);
    expect(removed).toEqual(['box', 'parent']);
    expect(report.errors).toEqual([{ id: 'child', kind: 'snapshot', message: 'child is stuck' }]);
  });

  it('applies session, labels, kinds and filter itself, for a backend that ignores them', async () => {
    const labelled: AdminResource[] = resources.map((r) => (r.id === 'box' ? { ...r, labels: { run: 'r-1' } } : r));
    const { steps, removed } = backend(labelled);
    await pruneResources({ labels: { run: 'r-1' } }, steps);
    expect(removed).toEqual(['box']);
    const second = backend(resources);
    await pruneResources({ allSessions: true, session: 'live' }, second.steps);
    expect(second.removed).toEqual(['live-box']);
    const third = backend(resources);
    await pruneResources({ kinds: ['snapshot'], filter: (r) => r.id !== 'parent' }, third.steps);
    expect(third.removed).toEqual(['child']);
  });

  it('rejects with what list throws, having removed nothing', async () => {
    const { steps, removed } = backend(resources);
    const failure = new Error('no engine');
    await expect(pruneResources({}, { ...steps, list: () => Promise.reject(failure) })).rejects.toBe(failure);
    expect(removed).toEqual([]);
  });
});
