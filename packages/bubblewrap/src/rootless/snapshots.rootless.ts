import { describe, expect, it } from 'vitest';
import { createBubblewrapFactory } from '../index.js';
import { testStateDir } from '../test-support/fixtures.js';
import { storeContents } from '../test-support/store-contents.js';

const image = process.env.SNAPBOX_ROOTLESS_IMAGE ?? '';
const stateDir = testStateDir('rootless-snapshots');
const factory = createBubblewrapFactory({ stateDir });

describe('rootless snapshots (no freezer cgroup: the sandbox is stopped with signals)', () => {
  it('16 workers × 3 generations restore exactly what they froze, and nothing is left', {
    timeout: 120_000,
  }, async () => {
    const failures: string[] = [];
    await Promise.all(
      Array.from({ length: 16 }, async (_, worker) => {
        let container = factory.fromImage({ image });
        await container.start();
        const snapshots: string[] = [];
        for (let generation = 0; generation < 3; generation++) {
          const token = `${worker}-${generation}-${Math.random()}`;
          // A background writer runs through the snapshot: it must be paused, not break it. It rests
          // 10 ms between writes: 16 writers that never rest would share 2 cores with the rest of
          // CI and turn this test into a measure of the machine's load.
          await container.exec(
            `echo ${token} > /tmp/token; (while :; do date >> /tmp/noise; sleep 0.01; done) >/dev/null 2>&1 &`,
          );
          const snapshot = await container.snapshot();
          snapshots.push(snapshot);
          const restored = container.fromSnapshot(snapshot);
          await restored.start();
          const seen = await restored.exec('cat /tmp/token');
          if (seen.stdout.trim() !== token) failures.push(`${worker}/${generation}: ${seen.output} (${seen.exitCode})`);
          await container.stop();
          container = restored;
        }
        await container.stop();
        for (const id of snapshots) await container.deleteSnapshot(id);
      }),
    );
    expect(failures).toEqual([]);
    // stop() and deleteSnapshot() leave their removals to the background.
    await factory.settled();
    expect(storeContents(stateDir)).toEqual({ containers: [], snapshots: [], layers: [], refs: [], pending: [] });
  });
});
