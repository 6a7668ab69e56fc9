import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DaytonaAuthenticationError, DaytonaServiceUnavailableError } from '@daytonaio/sdk';
import {
  BackendUnavailableError,
  currentSession,
  isBackendAdmin,
  ownerLabels,
  type PruneProgressEvent,
  snapboxLabels,
} from '@snapbox/core';
import { describe, expect, it } from 'vitest';
import { createAdmin } from './admin.js';
import { credentialsConfigured } from './admin-credentials.js';
import { createDaytonaAdmin } from './daytona-admin.js';
import { ListingFakeDaytona } from './test-support/fake-daytona-listing.js';

const deadPid = spawnSync(process.execPath, ['-e', '']).pid as number;
const deadSession = randomUUID();
const goneSession = randomUUID();
const ownSession = currentSession().id;
const deadOwner = { id: deadSession, pid: deadPid, host: hostname(), processStartedAt: 0 };
const run = { 'snapbox.go-explore.run': 'run-1' };
const hoursAgo = (hours: number) => new Date(Date.now() - hours * 3_600_000).toISOString();

/** A service with what a dead process, this process and someone else left. */
function service() {
  const fake = new ListingFakeDaytona();
  const container = { [snapboxLabels.kind]: 'container' };
  const dead = fake.leaveSandbox('dead-box', { ...ownerLabels(deadOwner), ...container, ...run });
  const restored = fake.leaveSandbox('restored-box', {
    ...ownerLabels(deadOwner),
    ...container,
    [snapboxLabels.parentSnapshot]: `snapbox-${deadSession}-1`,
  });
  const own = fake.leaveSandbox('own-box', { ...ownerLabels(), ...container });
  const foreign = fake.leaveSandbox('foreign-box', { team: 'a' });
  const names = {
    session: `snapbox-${deadSession}-1`,
    kept: `snapbox-${deadSession}-keep-2`,
    ofGoneOwner: `snapbox-${goneSession}-3`,
    own: `snapbox-${ownSession}-4`,
    foreign: 'my-own-snapshot',
  };
  for (const name of Object.values(names)) fake.snapshots.set(name, { name, state: 'active', pendingPolls: 0 });
  fake.snapshotCreatedAt.set(names.ofGoneOwner, hoursAgo(30));
  const admin = createDaytonaAdmin({ client: fake, retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 } });
  return { fake, admin, names, sandboxes: { dead, restored, own, foreign } };
}

describe('the Daytona admin', () => {
  it('is what @snapbox/daytona/admin makes: a BackendAdmin named daytona, configured by credentials', () => {
    const admin = createAdmin({ apiKey: 'key', apiUrl: 'https://daytona.example/api' });
    expect(isBackendAdmin(admin)).toBe(true);
    expect(admin.backend).toBe('daytona');
    expect(admin.describeTarget()).toEqual({ description: 'https://daytona.example/api' });
    expect(createDaytonaAdmin({ client: new ListingFakeDaytona() }).describeTarget().configured).not.toBe(false);
  });

  it('lists managed sandboxes and the snapshots it named, with owners from the sandboxes of their session', async () => {
    const { admin, names, sandboxes, fake } = service();
    const listed = await admin.list();
    const byId = new Map(listed.map((resource) => [resource.id, resource]));
    expect([...byId.keys()].sort()).toEqual(
      [
        sandboxes.dead.id,
        sandboxes.restored.id,
        sandboxes.own.id,
        names.session,
        names.kept,
        names.ofGoneOwner,
        names.own,
      ].sort(),
    );
    expect(byId.get(sandboxes.dead.id)).toMatchObject({
      backend: 'daytona',
      kind: 'container',
      name: 'dead-box',
      state: 'started',
      owner: { session: deadSession, pid: deadPid, liveness: 'dead', isCurrentProcess: false },
      labels: run,
    });
    expect(byId.get(sandboxes.restored.id)?.parentSnapshot).toBe(names.session);
    expect(byId.get(sandboxes.own.id)?.owner).toMatchObject({ liveness: 'alive', isCurrentProcess: true });
    // A snapshot's owner is its session's: dead while a sandbox of that session says so.
    expect(byId.get(names.session)).toMatchObject({ kind: 'snapshot', keep: false, owner: { liveness: 'dead' } });
    expect(byId.get(names.kept)).toMatchObject({ keep: true, labels: {} });
    expect(byId.get(names.ofGoneOwner)?.owner).toMatchObject({ session: goneSession, liveness: 'unknown' });
    expect(byId.get(names.own)?.owner.isCurrentProcess).toBe(true);
    // The service is asked for managed sandboxes only.
    expect(fake.callsOf('daytona.list')).toEqual([[{ labels: { [snapboxLabels.managed]: 'true' } }]]);

    expect((await admin.list({ kinds: ['snapshot'], session: deadSession })).map((r) => r.id).sort()).toEqual(
      [names.kept, names.session].sort(),
    );
    expect((await admin.list({ labels: run })).map((r) => r.id)).toEqual([sandboxes.dead.id]);
  });

  it('reads every page of snapshots', async () => {
    const { fake, admin } = service();
    const many = Array.from({ length: 230 }, (_, index) => `snapbox-${goneSession}-${100 + index}`);
    for (const name of many) fake.snapshots.set(name, { name, state: 'active', pendingPolls: 0 });
    const snapshots = await admin.list({ kinds: ['snapshot'], session: goneSession });
    expect(snapshots).toHaveLength(231);
    expect(fake.callsOf('snapshot.list').map(([query]) => (query as { page: number }).page)).toEqual([1, 2, 3]);
  });

  it("prunes by the shared rule: dead owners' sandboxes and session snapshots, then unknown ones by age", async () => {
    const { fake, admin, names, sandboxes } = service();
    const events: PruneProgressEvent[] = [];
    const report = await admin.prune({ onProgress: (event) => events.push(event) });
    expect(report.errors).toEqual([]);
    expect(report.containers.map((r) => r.id).sort()).toEqual([sandboxes.dead.id, sandboxes.restored.id].sort());
    expect(report.snapshots.map((r) => r.id)).toEqual([names.session]);
    expect(events.map((event) => `${event.backend} ${event.kind} ${event.index + 1}/${event.total}`)).toEqual([
      'daytona container 1/3',
      'daytona container 2/3',
      'daytona snapshot 3/3',
    ]);
    expect(sandboxes.dead.deleted && sandboxes.restored.deleted).toBe(true);
    expect([sandboxes.own.deleted, sandboxes.foreign.deleted]).toEqual([false, false]);
    expect([...fake.snapshots.keys()].sort()).toEqual([names.kept, names.ofGoneOwner, names.own, names.foreign].sort());

    // An owner nothing says anything about goes by age alone, and a kept snapshot only when asked.
    expect((await admin.prune({ olderThanMs: 3_600_000, dryRun: true })).snapshots.map((r) => r.id)).toEqual([
      names.ofGoneOwner,
    ]);
    await admin.prune({ olderThanMs: 3_600_000, includeKept: true, allSessions: true });
    expect([...fake.snapshots.keys()].sort()).toEqual([names.kept, names.own, names.foreign].sort());
    // kept is 0 hours old: younger than the hour asked.
    await admin.prune({ includeKept: true, allSessions: true });
    expect([...fake.snapshots.keys()].sort()).toEqual([names.own, names.foreign].sort());
  });

  it('records a failed removal and goes on; maps a refused or unreachable service to BackendUnavailableError', async () => {
    const { fake, admin, names, sandboxes } = service();
    fake.failNext('sandbox.delete', new DaytonaServiceUnavailableError('try later', 503), 2);
    const report = await admin.prune();
    expect(report.errors).toHaveLength(1);
    expect(report.errors[0]).toMatchObject({ kind: 'container' });
    expect(report.errors[0]?.message).toContain('The daytona backend is unavailable');
    expect(report.snapshots.map((r) => r.id)).toEqual([names.session]);
    expect(fake.snapshots.has(names.session)).toBe(false);
    expect(sandboxes.dead.deleted || sandboxes.restored.deleted).toBe(true);

    const refused = new ListingFakeDaytona();
    refused.failNext('daytona.list', new DaytonaAuthenticationError('bad key', 401));
    const error = await createDaytonaAdmin({ client: refused })
      .list()
      .catch((e: unknown) => e);
    expect(BackendUnavailableError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('refused the credentials while trying to list sandboxes');
  });
});

describe('credentialsConfigured', () => {
  it('finds an API key or JWT in the options, the environment or a .env file, as the SDK would', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'snapbox-daytona-env-'));
    try {
      expect(credentialsConfigured({}, {}, folder)).toBe(false);
      expect(credentialsConfigured({ apiKey: 'k' }, {}, folder)).toBe(true);
      expect(credentialsConfigured({}, { DAYTONA_API_KEY: 'k' }, folder)).toBe(true);
      expect(credentialsConfigured({}, { DAYTONA_JWT_TOKEN: 't' }, folder)).toBe(true);
      expect(credentialsConfigured({}, { DAYTONA_API_KEY: '' }, folder)).toBe(false);
      await writeFile(join(folder, '.env.local'), '# nothing yet\nDAYTONA_API_KEY=\n');
      expect(credentialsConfigured({}, {}, folder)).toBe(false);
      await writeFile(join(folder, '.env'), 'OTHER=1\nexport DAYTONA_API_KEY=dtn_123\n');
      expect(credentialsConfigured({}, {}, folder)).toBe(true);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it('makes an admin without credentials say it is not configured, and what to set', () => {
    const saved = { key: process.env.DAYTONA_API_KEY, jwt: process.env.DAYTONA_JWT_TOKEN };
    delete process.env.DAYTONA_API_KEY;
    delete process.env.DAYTONA_JWT_TOKEN;
    try {
      expect(createAdmin().describeTarget()).toMatchObject({
        configured: false,
        hint: 'set DAYTONA_API_KEY, or DAYTONA_JWT_TOKEN and DAYTONA_ORGANIZATION_ID',
      });
    } finally {
      if (saved.key !== undefined) process.env.DAYTONA_API_KEY = saved.key;
      if (saved.jwt !== undefined) process.env.DAYTONA_JWT_TOKEN = saved.jwt;
    }
  });
});
