import { describe, expect, it } from 'vitest';
import type { AdminResource, ResourceOwner } from './admin-resource.js';
import { isSelectedForPrune, matchesListOptions } from './prune-selection.js';

const now = Date.parse('2026-12-01T12:00:00Z');
const hour = 3_600_000;

function owner(liveness: ResourceOwner['liveness'], isCurrentProcess = false): ResourceOwner {
  return { session: 's-1', pid: 42, host: 'h', processStartedAt: 0, liveness, isCurrentProcess };
}

function resource(overrides: Partial<AdminResource> = {}): AdminResource {
  return {
    backend: 'test',
    kind: 'container',
    id: 'c-1',
    owner: owner('dead'),
    createdAt: new Date(now - 2 * hour),
    labels: {},
    ...overrides,
  };
}

describe('isSelectedForPrune', () => {
  it('selects by default the containers and session snapshots of dead owners, nothing else', () => {
    expect(isSelectedForPrune(resource(), {}, now)).toBe(true);
    expect(isSelectedForPrune(resource({ kind: 'snapshot', keep: false }), {}, now)).toBe(true);
    expect(isSelectedForPrune(resource({ owner: owner('alive') }), {}, now)).toBe(false);
    expect(isSelectedForPrune(resource({ owner: owner('unknown') }), {}, now)).toBe(false);
    expect(isSelectedForPrune(resource({ kind: 'snapshot', keep: true }), {}, now)).toBe(false);
    expect(isSelectedForPrune(resource({ kind: 'build', inUse: false }), {}, now)).toBe(false);
  });

  it('never selects what the asking process made, whatever the options', () => {
    const own = resource({ owner: owner('alive', true) });
    const widest = { allSessions: true, includeKept: true, olderThanMs: 0 };
    expect(isSelectedForPrune(own, widest, now)).toBe(false);
    expect(isSelectedForPrune({ ...own, kind: 'snapshot', keep: true }, widest, now)).toBe(false);
  });

  it('olderThanMs narrows by age and lets unknown owners go, since age is then the lease', () => {
    expect(isSelectedForPrune(resource(), { olderThanMs: 3 * hour }, now)).toBe(false);
    expect(isSelectedForPrune(resource({ owner: owner('unknown') }), { olderThanMs: hour }, now)).toBe(true);
    expect(isSelectedForPrune(resource({ owner: owner('alive') }), { olderThanMs: hour }, now)).toBe(false);
  });

  it('allSessions adds live owners; includeKept adds kept snapshots', () => {
    expect(isSelectedForPrune(resource({ owner: owner('alive') }), { allSessions: true }, now)).toBe(true);
    const kept = resource({ kind: 'snapshot', keep: true });
    expect(isSelectedForPrune(kept, { includeKept: true }, now)).toBe(true);
    expect(isSelectedForPrune({ ...kept, owner: owner('alive') }, { includeKept: true }, now)).toBe(false);
    expect(isSelectedForPrune({ ...kept, owner: owner('alive') }, { includeKept: true, allSessions: true }, now)).toBe(
      true,
    );
  });

  it('selects builds by includeBuilds, use and age alone, whoever owns them', () => {
    const build = resource({ kind: 'build', owner: owner('alive'), inUse: false });
    expect(isSelectedForPrune(build, { includeBuilds: true }, now)).toBe(true);
    expect(isSelectedForPrune({ ...build, inUse: true }, { includeBuilds: true }, now)).toBe(false);
    expect(isSelectedForPrune(build, { includeBuilds: true, olderThanMs: 3 * hour }, now)).toBe(false);
    expect(isSelectedForPrune({ ...build, owner: owner('alive', true) }, { includeBuilds: true }, now)).toBe(true);
  });
});

describe('matchesListOptions', () => {
  it('narrows by kind, session and every label given', () => {
    const labelled = resource({ labels: { run: 'r-1', team: 'a' } });
    expect(matchesListOptions(labelled)).toBe(true);
    expect(matchesListOptions(labelled, { kinds: ['snapshot'] })).toBe(false);
    expect(matchesListOptions(labelled, { kinds: ['snapshot', 'container'] })).toBe(true);
    expect(matchesListOptions(labelled, { session: 's-2' })).toBe(false);
    expect(matchesListOptions(labelled, { session: 's-1', labels: { run: 'r-1' } })).toBe(true);
    expect(matchesListOptions(labelled, { labels: { run: 'r-1', team: 'b' } })).toBe(false);
    expect(matchesListOptions(labelled, { labels: { other: 'r-1' } })).toBe(false);
  });
});
