import { afterAll, describe, expect, it } from 'vitest';
import type { BubblewrapContainer } from './bubblewrap-container.js';
import { createBubblewrapFactory } from './index.js';
import { testStateDir, tinyImage } from './test-support/fixtures.js';
import { storeContents } from './test-support/store-contents.js';

const stateDir = testStateDir('concurrency');
const factory = createBubblewrapFactory({ stateDir });

afterAll(async () => {
  // stop() and deleteSnapshot() leave their removals to the background.
  await factory.settled();
  expect(storeContents(stateDir)).toEqual({ containers: [], snapshots: [], layers: [], refs: [], pending: [] });
});

/**
 * Correctness under concurrency before speed: many workers at once each write data only they
 * know, snapshot, restore, check the restore sees exactly their data, and go again from the
 * restore, while deleting the generation before (in use by the current container).
 */
describe('snapshots under concurrency', () => {
  it('64 workers × 4 generations: every restore holds exactly what its snapshot froze', {
    timeout: 240_000,
  }, async () => {
    const workers = 64;
    const generations = 4;
    const failures: string[] = [];
    await Promise.all(
      Array.from({ length: workers }, async (_, worker) => {
        let container: BubblewrapContainer = factory.fromImage({ image: tinyImage });
        await container.start();
        let previous: string | undefined;
        try {
          for (let generation = 0; generation < generations; generation++) {
            const token = `${worker}-${generation}-${Math.random().toString(36).slice(2)}`;
            // A file of its own, a shared path every worker writes, and 256 KiB of bulk data.
            const write = await container.exec(
              `echo ${token} > /tmp/own-${worker}-${generation}; echo ${token} > /tmp/shared; head -c 262144 /dev/urandom > /tmp/bulk; md5sum /tmp/bulk | cut -d' ' -f1`,
            );
            expect(write.exitCode, write.stderr).toBe(0);
            const digest = write.stdout.trim();
            const snapshot = await container.snapshot();
            const restored = container.fromSnapshot(snapshot);
            await restored.start();
            const check = await restored.exec(
              `cat /tmp/shared; md5sum /tmp/bulk | cut -d' ' -f1; for g in $(seq 0 ${generation}); do cat /tmp/own-${worker}-$g; done`,
            );
            const lines = check.stdout.trim().split('\n');
            if (lines[0] !== token)
              failures.push(`worker ${worker} gen ${generation}: shared is ${lines[0]}, not ${token}`);
            if (lines[1] !== digest) {
              const again = await restored.exec('md5sum /tmp/bulk; wc -c /tmp/bulk');
              failures.push(
                `worker ${worker} gen ${generation}: bulk digest differs ${digest} vs ${lines[1]} then ${again.output} [${check.stderr}] exit ${check.exitCode}`,
              );
            }
            if (lines.length !== generation + 3)
              failures.push(`worker ${worker} gen ${generation}: ${check.output} exit ${check.exitCode}`);
            await container.stop();
            // The parent generation is in use by `restored` (its layers are below): delete it now.
            if (previous !== undefined) await restored.deleteSnapshot(previous);
            previous = snapshot;
            container = restored;
          }
        } finally {
          await container.stop();
          if (previous !== undefined) await container.deleteSnapshot(previous);
        }
      }),
    );
    expect(failures).toEqual([]);
  });
});
