import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { isBackendAdmin, type PruneProgressEvent } from '@snapbox/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdmin } from './admin.js';
import type { BubblewrapAdminResource } from './bubblewrap-admin.js';
import { createBubblewrapFactory } from './bubblewrap-factory.js';
import { testStateDir, tinyImage } from './test-support/fixtures.js';
import { storeContents } from './test-support/store-contents.js';

interface Leftovers {
  session: string;
  stateDir: string;
  containers: string[];
  parent: string;
  child: string;
  kept: string;
}

const empty = { containers: [], snapshots: [], layers: [], refs: [], pending: [] };

/**
 * Runs admin-child.mjs with the state folder given by the environment variable only, until it
 * has made everything, then SIGKILLs it: a dead owner's leftovers.
 */
async function leaveBehind(stateDir: string, run: string, mode: 'no-watchdog' | 'admin-first'): Promise<Leftovers> {
  const script = fileURLToPath(new URL('./test-support/admin-child.mjs', import.meta.url));
  const child = spawn(process.execPath, [script, tinyImage, run, mode], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, SNAPBOX_BUBBLEWRAP_STATE_DIR: stateDir },
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const report = await new Promise<Leftovers>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0] as string) as Leftovers);
    });
    child.once('exit', () => reject(new Error('admin-child ended early')));
  });
  child.kill('SIGKILL');
  await exited;
  return report;
}

/** Runs `body` with SNAPBOX_BUBBLEWRAP_STATE_DIR set to `value`, restoring it afterwards. */
async function withStateVariable<T>(value: string, body: () => T | Promise<T>): Promise<T> {
  const previous = process.env.SNAPBOX_BUBBLEWRAP_STATE_DIR;
  process.env.SNAPBOX_BUBBLEWRAP_STATE_DIR = value;
  try {
    return await body();
  } finally {
    if (previous === undefined) delete process.env.SNAPBOX_BUBBLEWRAP_STATE_DIR;
    else process.env.SNAPBOX_BUBBLEWRAP_STATE_DIR = previous;
  }
}

const stateDir = testStateDir('admin');
const watchdogStateDir = testStateDir('admin-watchdog');
const run = randomUUID();
let left: Leftovers;
const admin = createAdmin({ stateDir });

beforeAll(async () => {
  left = await leaveBehind(stateDir, run, 'no-watchdog');
});

afterAll(async () => {
  // Whatever a failing test left.
  await admin.prune({ session: left.session, allSessions: true, includeKept: true });
});

describe('the bubblewrap admin', () => {
  it('is a BackendAdmin named bubblewrap, describing its state folder', async () => {
    expect(isBackendAdmin(admin)).toBe(true);
    expect(admin.backend).toBe('bubblewrap');
    expect(admin.describeTarget()).toEqual({ description: stateDir });
    // The factory and the admin look in the same folder, named by the environment when no option is given.
    expect(left.stateDir).toBe(stateDir);
    await withStateVariable(stateDir, async () => {
      const fromEnvironment = createAdmin();
      expect(fromEnvironment.describeTarget().description).toBe(`${stateDir}, from SNAPBOX_BUBBLEWRAP_STATE_DIR`);
      expect((await fromEnvironment.list({ session: left.session })).length).toBe(5);
      expect(createBubblewrapFactory().stateDir).toBe(stateDir);
    });
    // A folder that was never used holds nothing; it is not an error.
    expect(await createAdmin({ stateDir: `${stateDir}/never-used` }).list()).toEqual([]);
  });

  it("lists a dead owner's containers and snapshots with owner, lineage, scope and labels", async () => {
    const listed = (await admin.list({ session: left.session })) as BubblewrapAdminResource[];
    const byId = new Map(listed.map((resource) => [resource.id, resource]));
    expect(listed.every((resource) => resource.backend === 'bubblewrap' && resource.owner.liveness === 'dead')).toBe(
      true,
    );
    expect(listed.map((resource) => `${resource.kind} ${resource.id}`).sort()).toEqual(
      [
        ...left.containers.map((id) => `container ${id}`),
        ...[left.parent, left.child, left.kept].map((id) => `snapshot ${id}`),
      ].sort(),
    );
    expect(byId.get(left.containers[0] as string)).toMatchObject({ state: 'exited', baseImage: tinyImage });
    expect(byId.get(left.containers[1] as string)).toMatchObject({
      parentSnapshot: left.parent,
      baseImage: tinyImage,
      labels: { 'snapbox.test.run': run },
    });
    expect(byId.get(left.child)).toMatchObject({ parentSnapshot: left.parent, keep: false, layers: 2 });
    expect(byId.get(left.parent)).toMatchObject({ keep: false, layers: 1 });
    expect(byId.get(left.kept)?.keep).toBe(true);
    // A snapshot carries the labels of the container it was taken from.
    expect(byId.get(left.child)?.labels).toEqual({ 'snapbox.test.run': run });
    expect(byId.get(left.parent)?.labels).toEqual({ 'snapbox.test.run': run });

    const snapshotsOnly = await admin.list({ session: left.session, kinds: ['snapshot'] });
    expect(snapshotsOnly.map((resource) => resource.kind)).toEqual(['snapshot', 'snapshot', 'snapshot']);
    expect(await admin.list({ labels: { 'snapbox.test.run': 'another run' } })).toEqual([]);
  });

  it('prunes by the shared rule: a dry run first, then the run with its kept snapshot, announcing each', async () => {
    const dry = await admin.prune({ dryRun: true, session: left.session });
    expect(dry).toMatchObject({ backend: 'bubblewrap', dryRun: true, errors: [], builds: [] });
    expect(dry.containers.map((resource) => resource.id).sort()).toEqual([...left.containers].sort());
    // Session snapshots newest first; the kept one only when asked.
    expect(dry.snapshots.map((resource) => resource.id)).toEqual([left.child, left.parent]);
    expect(storeContents(stateDir).containers).toHaveLength(2);

    const events: PruneProgressEvent[] = [];
    const report = await admin.prune({
      labels: { 'snapbox.test.run': run },
      includeKept: true,
      onProgress: (event) => events.push(event),
    });
    expect(report.errors).toEqual([]);
    expect(
      events.map((event) => `${event.backend} ${event.kind} ${event.id} ${event.index + 1}/${event.total}`),
    ).toEqual(
      [...report.containers, ...report.snapshots].map(
        (resource, index) => `bubblewrap ${resource.kind} ${resource.id} ${index + 1}/5`,
      ),
    );
    // Records, layers, pins and container folders: all gone.
    expect(storeContents(stateDir)).toEqual(empty);
  });

  it('a factory made after an admin of the same folder still has its watchdog', async () => {
    const other = watchdogStateDir;
    const report = await leaveBehind(other, randomUUID(), 'admin-first');
    const onlyKept = () => {
      const { containers, snapshots, pending } = storeContents(other);
      return { containers, snapshots, pending };
    };
    const expected = { containers: [], snapshots: [`${report.kept}.json`], pending: [] };
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline && JSON.stringify(onlyKept()) !== JSON.stringify(expected)) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(onlyKept()).toEqual(expected);
    await createAdmin({ stateDir: other }).prune({ includeKept: true });
    expect(storeContents(other)).toEqual(empty);
  });
});
