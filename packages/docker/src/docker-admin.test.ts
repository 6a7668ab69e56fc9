import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { isBackendAdmin, type PruneProgressEvent } from '@snapbox/core';
import { tinyImage } from '@snapbox/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdmin } from './admin.js';
import type { DockerAdminResource } from './admin-resources.js';
import { engine, imageExists, sessionLeftovers } from './test-support/engine.js';

interface Leftovers {
  session: string;
  containers: string[];
  parent: string;
  child: string;
  kept: string;
}

/** Runs admin-child.mjs until it has made everything, then SIGKILLs it: a dead owner's leftovers. */
async function leaveBehind(run: string): Promise<Leftovers> {
  const script = fileURLToPath(new URL('./test-support/admin-child.mjs', import.meta.url));
  const child = spawn(process.execPath, [script, tinyImage, run], { stdio: ['ignore', 'pipe', 'inherit'] });
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

const run = randomUUID();
let left: Leftovers;
const admin = createAdmin();

beforeAll(async () => {
  left = await leaveBehind(run);
}, 120_000);

afterAll(async () => {
  // Whatever a failing test left: only this test's session.
  const { containers, images } = await sessionLeftovers(left.session);
  for (const id of containers) await engine.getContainer(id).remove({ force: true });
  for (const id of [left.child, left.kept, left.parent, ...images])
    await engine
      .getImage(id)
      .remove({ force: true })
      .catch(() => undefined);
});

describe('the Docker admin', () => {
  it('is a BackendAdmin named docker, describing the engine it found', async () => {
    expect(isBackendAdmin(admin)).toBe(true);
    expect(admin.backend).toBe('docker');
    await admin.list({ kinds: ['container'] });
    expect(admin.describeTarget().description).toMatch(/^(unix|tcp|ssh|https):\/\//);
  });

  it("lists a dead owner's containers and snapshots with owner, lineage, scope, size and labels", async () => {
    const listed = (await admin.list({ session: left.session })) as DockerAdminResource[];
    const byId = new Map(listed.map((resource) => [resource.id, resource]));
    expect(listed.every((resource) => resource.backend === 'docker' && resource.owner.liveness === 'dead')).toBe(true);
    expect(listed.map((resource) => `${resource.kind} ${resource.id}`).sort()).toEqual(
      [
        ...left.containers.map((id) => `container ${id}`),
        ...[left.parent, left.child, left.kept].map((id) => `snapshot ${id}`),
      ].sort(),
    );
    expect(byId.get(left.containers[1] as string)).toMatchObject({
      parentSnapshot: left.parent,
      baseImage: tinyImage,
      labels: { 'snapbox.test.run': run },
    });
    expect(byId.get(left.child)).toMatchObject({ parentSnapshot: left.parent, keep: false });
    expect(byId.get(left.kept)?.keep).toBe(true);
    expect(byId.get(left.child)?.sizeBytes).toBeGreaterThan(0);
    expect(byId.get(left.child)?.imageId).toMatch(/^sha256:[0-9a-f]{64}$/);
    // The snapshot carries the labels of the container it was taken from.
    expect(byId.get(left.child)?.labels).toEqual({ 'snapbox.test.run': run });

    const snapshotsOnly = await admin.list({ session: left.session, kinds: ['snapshot'] });
    expect(snapshotsOnly.map((resource) => resource.kind)).toEqual(['snapshot', 'snapshot', 'snapshot']);
    expect(await admin.list({ labels: { 'snapbox.test.run': 'another run' } })).toEqual([]);
  });

  it('prunes by the shared rule: a dry run first, then the run with its kept snapshot, announcing each', async () => {
    const dry = await admin.prune({ dryRun: true, session: left.session });
    expect(dry).toMatchObject({ backend: 'docker', dryRun: true, errors: [], builds: [] });
    expect(dry.containers.map((resource) => resource.id).sort()).toEqual([...left.containers].sort());
    // Session snapshots newest first; the kept one only when asked.
    expect(dry.snapshots.map((resource) => resource.id)).toEqual([left.child, left.parent]);
    expect(await imageExists(left.parent)).toBe(true);

    const events: PruneProgressEvent[] = [];
    const report = await admin.prune({
      labels: { 'snapbox.test.run': run },
      includeKept: true,
      onProgress: (event) => events.push(event),
    });
    expect(report.errors).toEqual([]);
    const removed = [...report.containers, ...report.snapshots].map((resource) => resource.id);
    expect(removed).toHaveLength(5);
    expect(
      events.map((event) => `${event.backend} ${event.kind} ${event.id} ${event.index + 1}/${event.total}`),
    ).toEqual(
      [...report.containers, ...report.snapshots].map(
        (resource, index) => `docker ${resource.kind} ${resource.id} ${index + 1}/5`,
      ),
    );
    for (const id of [left.parent, left.child, left.kept]) expect(await imageExists(id)).toBe(false);
    expect(await sessionLeftovers(left.session)).toEqual({ containers: [], images: [] });
  });
});
