import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { processStartTime } from '../session/owner-liveness.js';
import { currentSession, ownerLabels, snapboxLabels } from '../session/session-info.js';
import { describeOwner, ownerFromLabels, userLabels } from './resource-owner.js';

describe('ownerFromLabels', () => {
  it("reads the owner labels; this process's own session is alive and its own", () => {
    const owner = ownerFromLabels(ownerLabels());
    expect(owner).toMatchObject({
      session: currentSession().id,
      pid: process.pid,
      host: hostname(),
      liveness: 'alive',
      isCurrentProcess: true,
    });
  });

  it('tells a live process of another session from a dead one, on this host', () => {
    const labels = {
      ...ownerLabels({ ...currentSession(), id: 'another-session' }),
      [snapboxLabels.ownerStartedAt]: String(processStartTime(process.pid)),
    };
    expect(ownerFromLabels(labels)).toMatchObject({ liveness: 'alive', isCurrentProcess: false });
    const ended = spawnSync(process.execPath, ['-e', '']).pid as number;
    expect(ownerFromLabels({ ...labels, [snapboxLabels.ownerPid]: String(ended) }).liveness).toBe('dead');
  });

  it('is unknown for another host, or when the resource does not say who made it', () => {
    const elsewhere = { ...ownerLabels({ ...currentSession(), id: 'x' }), [snapboxLabels.ownerHost]: 'far-away' };
    expect(ownerFromLabels(elsewhere).liveness).toBe('unknown');
    expect(ownerFromLabels({})).toMatchObject({ session: '', liveness: 'unknown', isCurrentProcess: false });
    expect(describeOwner({ session: 'only-a-session' })).toMatchObject({
      session: 'only-a-session',
      host: '',
      liveness: 'unknown',
    });
    expect(describeOwner({ session: currentSession().id }).liveness).toBe('alive');
  });
});

describe('userLabels', () => {
  it("drops snapbox's own keys and keeps the caller's", () => {
    expect(userLabels({ ...ownerLabels(), 'snapbox.go-explore.run': 'r', team: 'a' })).toEqual({
      'snapbox.go-explore.run': 'r',
      team: 'a',
    });
    expect(userLabels(undefined)).toEqual({});
  });
});
