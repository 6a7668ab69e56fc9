import { hostname } from 'node:os';
import { currentSession, snapboxLabels } from '@snapbox/core';
import { describe, expect, it } from 'vitest';
import { sandboxLabels } from './labels.js';
import { toDaytonaResources } from './resources.js';
import { isSnapboxSnapshotName, nextSnapshotName } from './snapshot-names.js';

const sessionId = currentSession().id;

describe('toDaytonaResources', () => {
  it('rounds cpu, memory (MiB to GiB) and disk up, never down', () => {
    expect(toDaytonaResources({ cpu: 0.5, memoryMiB: 1536, diskGiB: 2.1, gpu: 1 })).toEqual({
      cpu: 1,
      memory: 2,
      disk: 3,
      gpu: 1,
    });
    expect(toDaytonaResources({ cpu: 2, memoryMiB: 4096 })).toEqual({ cpu: 2, memory: 4 });
    expect(toDaytonaResources({ memoryMiB: 1 })).toEqual({ memory: 1 });
  });

  it('leaves Daytona its defaults when nothing is asked', () => {
    expect(toDaytonaResources(undefined)).toBeUndefined();
    expect(toDaytonaResources({})).toBeUndefined();
    expect(toDaytonaResources({ gpu: 0 })).toBeUndefined();
  });
});

describe('snapshot names', () => {
  it('are unique, carry the session, and say whether they are kept', () => {
    const first = nextSnapshotName(false);
    const second = nextSnapshotName(false);
    const kept = nextSnapshotName(true);
    expect(first).not.toBe(second);
    expect(first).toMatch(new RegExp(`^snapbox-${sessionId}-\\d+$`));
    expect(kept).toMatch(new RegExp(`^snapbox-${sessionId}-keep-\\d+$`));
    for (const name of [first, second, kept]) expect(isSnapboxSnapshotName(name)).toBe(true);
  });

  it('are told apart from names snapbox did not make', () => {
    const uuid = '0123abcd-4567-89ab-cdef-0123456789ab';
    for (const name of [
      'debian:12',
      'snapbox',
      'snapbox-',
      'snapbox-abc-1',
      `my-snapbox-${uuid}-1`,
      `snapbox-${uuid}-1-x`,
      `snapbox-${uuid}-keep-`,
      `SNAPBOX-${uuid.toUpperCase()}-1`,
    ]) {
      expect(isSnapboxSnapshotName(name), name).toBe(false);
    }
    expect(isSnapboxSnapshotName(`snapbox-${uuid}-42`)).toBe(true);
  });
});

describe('sandboxLabels', () => {
  it("adds the library's ownership labels to the caller's, and the lineage when restoring", () => {
    const labels = sandboxLabels({ team: 'rl' }, {});
    expect(labels).toMatchObject({
      team: 'rl',
      [snapboxLabels.managed]: 'true',
      [snapboxLabels.kind]: 'container',
      [snapboxLabels.session]: sessionId,
      [snapboxLabels.ownerPid]: String(process.pid),
      [snapboxLabels.ownerHost]: hostname(),
    });
    expect(labels).not.toHaveProperty(snapboxLabels.parentSnapshot);
    expect(sandboxLabels(undefined, { parentSnapshot: 'snap' })[snapboxLabels.parentSnapshot]).toBe('snap');
  });
});
