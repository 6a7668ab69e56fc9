import { describe, expect, it } from 'vitest';
import { decideIdMapping, type IdMappingFacts, idMapArgs, rangesFor } from './subordinate-ids.js';

/**
 * The decision a factory makes once (what its sandboxes map, and so whether `user` works
 * rootless) from /etc/subuid, /etc/subgid and the helpers. The sandboxes' behaviour with each
 * answer is tested for real in rootless.test.ts (an ordinary user with a range, and one without).
 */
const alice: IdMappingFacts = {
  uid: 1001,
  gid: 1002,
  name: 'alice',
  subuid: 'bob:200000:65536\nalice:100000:65536\nalice:300000:10\n',
  subgid: '1001:400000:1000\n',
  newuidmap: '/usr/bin/newuidmap',
  newgidmap: '/usr/bin/newgidmap',
};

describe('subordinate ids', () => {
  it('maps root to the user and 1.. to its first range, found by name or uid', () => {
    expect(decideIdMapping(alice)).toEqual({
      kind: 'range',
      ids: {
        uid: 1001,
        gid: 1002,
        uids: { start: 100000, count: 65536 },
        gids: { start: 400000, count: 1000 },
        newuidmap: '/usr/bin/newuidmap',
        newgidmap: '/usr/bin/newgidmap',
      },
    });
    const mapping = decideIdMapping(alice);
    if (mapping.kind !== 'range') throw new Error('expected a range');
    expect(idMapArgs(mapping.ids, 42)).toEqual({
      uid: ['42', '0', '1001', '1', '1', '100000', '65536'],
      gid: ['42', '0', '1002', '1', '1', '400000', '1000'],
    });
  });

  it('ignores malformed and empty entries', () => {
    expect(rangesFor('alice:x:10\nalice:5\nalice:100:0\n# alice:1:2\nalice:7:8', 'alice', 9)).toEqual([
      { start: 7, count: 8 },
    ]);
  });

  it('says what is missing and how to add it when a range or a helper is lacking', () => {
    const noRange = decideIdMapping({ ...alice, subuid: 'bob:200000:65536\n', subgid: undefined });
    expect(noRange.kind).toBe('single');
    if (noRange.kind !== 'single') return;
    expect(noRange.missing).toMatch(/\/etc\/subuid has no range for alice \(uid 1001\)/);
    expect(noRange.missing).toMatch(/\/etc\/subgid has no range/);
    expect(noRange.missing).toMatch(/usermod --add-subuids 100000-165535 --add-subgids 100000-165535 alice/);
    expect(noRange.missing).not.toMatch(/uidmap/);

    const noHelper = decideIdMapping({ ...alice, newgidmap: undefined });
    expect(noHelper.kind).toBe('single');
    if (noHelper.kind !== 'single') return;
    expect(noHelper.missing).toMatch(/^newgidmap is not installed: install the package uidmap/);

    const neither = decideIdMapping({ ...alice, subuid: '', newuidmap: undefined, newgidmap: undefined });
    if (neither.kind !== 'single') throw new Error('expected single');
    expect(neither.missing).toMatch(/newuidmap and newgidmap are not installed/);
    expect(neither.missing).toMatch(/usermod .* and install the package uidmap/);
  });

  it('root maps its own identity, whatever the files say', () => {
    expect(decideIdMapping({ ...alice, uid: 0, gid: 0, name: 'root' })).toEqual({ kind: 'root' });
  });
});
