import { describeContainerConformance } from '@snapbox/conformance';
import { BackendUnavailableError } from '@snapbox/core';
import { describe, expect, it } from 'vitest';
import { type BubblewrapContainer, createBubblewrapFactory, listContainers, listSnapshots } from './index.js';
import { prebuiltSupported } from './prebuilt-sandbox.js';
import { spawnerKind } from './spawner.js';
import { testStateDir, tinyImage } from './test-support/fixtures.js';

/**
 * The path taken where the spawn relay cannot run (no Perl, or an architecture without a syscall
 * table): every process is spawned by Node.js, each sandbox is started on demand by `unshare`,
 * `sh` and `bwrap`, and commands enter it with `nsenter`. The relay is chosen once per process,
 * at the first spawn, so this file (its own worker) switches it off before anything runs.
 */
process.env.SNAPBOX_BWRAP_SPAWNER = 'node';

const stateDir = testStateDir('fallback');
// Commands can be confined only from the relay's agent (confinement.ts): here they cannot be.
const factory = createBubblewrapFactory({ stateDir, flattenAtLayers: 2, security: 'unconfined' });

describe('without the spawn relay', () => {
  it('spawns from Node.js and builds no sandbox ahead of its container', () => {
    expect(spawnerKind()).toBe('node');
    expect(prebuiltSupported()).toBe(false);
  });

  it("refuses to start a container under security 'default', saying why and what to do", async () => {
    const confined = createBubblewrapFactory({ stateDir }).fromImage({ image: tinyImage });
    const error = await confined.start().catch((caught: unknown) => caught);
    expect(BackendUnavailableError.isInstance(error), String(error)).toBe(true);
    expect((error as Error).message).toMatch(/confined.*Perl.*SNAPBOX_BWRAP_SPAWNER=node.*security: 'unconfined'/s);
    expect(await listContainers({ stateDir })).toEqual([]);
  });

  it('flattens a lineage, reading the root through the sandbox init', async () => {
    const first = factory.fromImage({ image: tinyImage });
    await first.start();
    await first.exec('echo one > /one; rm /etc/passwd');
    const snapshot = await first.snapshot();
    const second = first.fromSnapshot(snapshot);
    await second.start();
    await second.exec('echo two > /two');
    // Depth 2 reaches flattenAtLayers: this snapshot is one layer holding the whole root.
    const flat = await second.snapshot();
    const third = second.fromSnapshot(flat);
    await third.start();
    expect((await third.exec('cat /one /two; test -e /etc/passwd || echo gone')).stdout).toBe('one\ntwo\ngone\n');
    const depth = (await listSnapshots({ stateDir: factory.stateDir })).find((info) => info.id === flat)?.layers;
    expect(depth).toBe(1);
    await Promise.all([first.stop(), second.stop(), third.stop()]);
    await first.deleteSnapshot(snapshot);
    await first.deleteSnapshot(flat);
    await factory.settled();
  });
});

describeContainerConformance({
  name: 'bubblewrap without the spawn relay',
  factory,
  image: tinyImage,
  // Nothing declared unsupported, as in conformance.test.ts: the relay changes how processes start, not what a sandbox offers.
  probeResource: async (container, resource) => {
    const limits = (container as BubblewrapContainer).limits();
    return resource === 'cpu' ? limits.cpu : resource === 'memoryMiB' ? limits.memoryMiB : undefined;
  },
});
