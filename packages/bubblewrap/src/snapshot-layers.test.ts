import { afterAll, describe, expect, it } from 'vitest';
import type { BubblewrapContainer } from './bubblewrap-container.js';
import { createBubblewrapFactory, listSnapshots } from './index.js';
import { testStateDir, tinyImage } from './test-support/fixtures.js';
import { storeContents } from './test-support/store-contents.js';

const stateDir = testStateDir('layers');
const factory = createBubblewrapFactory({ stateDir, flattenAtLayers: 3 });
const live: BubblewrapContainer[] = [];

afterAll(async () => {
  await Promise.all(live.map((container) => container.stop()));
  await factory.settled();
  expect(storeContents(stateDir)).toEqual({ containers: [], snapshots: [], layers: [], refs: [], pending: [] });
});

async function run(container: BubblewrapContainer, command: string): Promise<string> {
  const result = await container.exec(command);
  expect(result.exitCode, result.output).toBe(0);
  return result.stdout;
}

describe('snapshots as overlay layers', () => {
  it('keeps deletions and replaced folders of the image and of lower layers (whiteouts, opaque folders)', async () => {
    const source = factory.fromImage({ image: tinyImage });
    live.push(source);
    await source.start();
    await run(source, 'rm /etc/passwd; mkdir -p /data/sub && echo a > /data/sub/a && echo b > /data/b');
    const first = await source.snapshot();
    const child = source.fromSnapshot(first);
    live.push(child);
    await child.start();
    expect((await child.exec(['test', '-e', '/etc/passwd'])).exitCode).toBe(1);
    await run(child, 'rm -rf /data && mkdir /data && echo c > /data/c');
    const second = await child.snapshot();
    const grandchild = child.fromSnapshot(second);
    live.push(grandchild);
    await grandchild.start();
    expect(await run(grandchild, 'ls -A /data; cat /data/c')).toBe('c\nc\n');
    expect((await grandchild.exec(['test', '-e', '/etc/passwd'])).exitCode).toBe(1);
    await Promise.all([source.stop(), child.stop(), grandchild.stop()]);
    await source.deleteSnapshot(first);
    await source.deleteSnapshot(second);
  });

  it('flattens a deep lineage before the layer limit, keeping every generation restorable', async () => {
    let container = factory.fromImage({ image: tinyImage });
    live.push(container);
    await container.start();
    await run(container, 'rm /etc/passwd');
    const snapshots: string[] = [];
    for (let generation = 0; generation < 7; generation++) {
      await run(container, `echo ${generation} >> /history; rm -f /gen-${generation - 1}; touch /gen-${generation}`);
      const snapshot = await container.snapshot();
      snapshots.push(snapshot);
      await container.stop();
      container = container.fromSnapshot(snapshot);
      live.push(container);
      await container.start();
    }
    const depths = new Map((await listSnapshots({ stateDir })).map((info) => [info.id, info.layers]));
    expect(Math.max(...snapshots.map((id) => depths.get(id) ?? 99))).toBeLessThanOrEqual(3);
    expect(snapshots.map((id) => depths.get(id))).toContain(1);
    expect(await run(container, 'cat /history; ls / | grep gen-')).toBe('0\n1\n2\n3\n4\n5\n6\ngen-6\n');
    expect((await container.exec(['test', '-e', '/etc/passwd'])).exitCode).toBe(1);
    // An early generation restores its own state, flattened or not.
    const early = container.fromSnapshot(snapshots[1] as string);
    live.push(early);
    await early.start();
    expect(await run(early, 'cat /history')).toBe('0\n1\n');
    await Promise.all([container.stop(), early.stop()]);
    for (const id of snapshots) await container.deleteSnapshot(id);
  });

  it('frees a deleted snapshot’s layers only when its last user stops', async () => {
    const source = factory.fromImage({ image: tinyImage });
    live.push(source);
    await source.start();
    await run(source, 'echo v > /v');
    const snapshot = await source.snapshot();
    const user = source.fromSnapshot(snapshot);
    live.push(user);
    await user.start();
    await source.deleteSnapshot(snapshot);
    await source.stop();
    await factory.settled();
    expect(storeContents(stateDir).layers).toHaveLength(1);
    expect(await run(user, 'cat /v')).toBe('v\n');
    await user.stop();
    // The layer goes once the user's removal (in the background) has unpinned it.
    await factory.settled();
    expect(storeContents(stateDir).layers).toHaveLength(0);
  });
});
