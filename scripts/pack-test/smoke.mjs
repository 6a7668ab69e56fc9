// Runs in a fresh project where the packed tarballs are installed (see ../pack-test.sh): every
// import below goes through a package's public entry point, exactly as a user's program would.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { hostname } from 'node:os';
import { isSnapshotable, NotASnapshotError, SnapboxError, snapboxLabels } from '@snapbox/core';
import { createDaytonaFactory } from '@snapbox/daytona';
import { createDockerFactory } from '@snapbox/docker';
import { goExplore } from '@snapbox/go-explore';
import { createMemoryFactory } from '@snapbox/memory';
import { PresetRegistry } from '@snapbox/presets';

const image = 'snapbox-fixture/tiny:1'; // built locally by scripts/ensure-test-images.sh

// Docker: start, exec, files, snapshot, restore, delete.
const factory = createDockerFactory();
const box = factory.fromImage({ image });
await box.start({ env: { WHO: 'pack-test' } });
assert.equal((await box.exec('echo "hello $WHO"')).stdout, 'hello pack-test\n');
await box.writeFile('/state/value', 'original');
assert.ok(isSnapshotable(box));
const snapshotId = await box.snapshot();
const copy = box.fromSnapshot(snapshotId);
await copy.start();
await copy.writeFile('/state/value', 'changed');
assert.equal(new TextDecoder().decode(await box.readFile('/state/value')), 'original');
assert.equal((await copy.exec(['cat', '/state/value'])).stdout, 'changed');
await assert.rejects(box.deleteSnapshot(image), (error) => NotASnapshotError.isInstance(error));
await copy.stop();
await box.deleteSnapshot(snapshotId);
await box.stop();
console.log('docker: exec, files, snapshot, restore and delete work');

// Go-Explore on the memory backend: climb a staircase of 5 steps ("down" falls to the bottom).
const memory = createMemoryFactory({
  exec: (ctx) => {
    if (ctx.argv?.[0] !== 'stairs') return undefined;
    const before = Number(ctx.readText('/floor') ?? '0');
    const after = ctx.argv[1] === 'up' ? Math.min(before + 1, 5) : 0;
    ctx.writeFile('/floor', String(after));
    return { stdout: `${before} ${after}\n` };
  },
});
const result = await goExplore({
  factory: memory,
  image: 'memory:stairs',
  seed: 7,
  maxSteps: 2_000,
  targetScore: 5,
  explorationSteps: 3,
  task: {
    reset: async (container) => {
      await container.writeFile('/floor', '0');
      return 0;
    },
    step: async (container, move) => {
      const [before, after] = (await container.exec(['stairs', move])).stdout.trim().split(' ').map(Number);
      return { observation: after, reward: after - before, done: after === 5 };
    },
    cellOf: (floor) => String(floor),
    sampleAction: (rng) => (rng.int(2) === 0 ? 'down' : 'up'),
  },
});
assert.equal(result.stopReason, 'target');
assert.equal(result.best.score, 5);
assert.equal(memory.listSnapshots().length, 0);
console.log(`go-explore: reached the top in ${result.bestTrajectory.length} steps (${result.steps} steps explored)`);

// The other entry points load (the Daytona SDK is an optional peer: not needed to import).
assert.equal(createDaytonaFactory({ apiKey: 'unused' }).backend, 'daytona');
assert.equal(new PresetRegistry().size, 0);
assert.ok(SnapboxError.isInstance(new NotASnapshotError({ snapshotId: 'x' })));
const version = execFileSync('node_modules/.bin/snapbox', ['--version'], { encoding: 'utf8' }).trim();
assert.match(version, /^\d+\.\d+\.\d+/);
console.log(`cli: snapbox --version prints ${version}`);
// The CLI depends on no backend: it finds the installed ones in node_modules, by their package.json.
// Bubblewrap's state folder in this project, not the machine's default one.
const backendEnv = {
  ...process.env,
  SNAPBOX_BACKENDS: '',
  DAYTONA_API_KEY: '',
  DAYTONA_JWT_TOKEN: '',
  SNAPBOX_BUBBLEWRAP_STATE_DIR: `${process.cwd()}/bubblewrap-state`,
};
const found = JSON.parse(
  execFileSync('node_modules/.bin/snapbox', ['backends', '--json'], { encoding: 'utf8', env: backendEnv }),
);
assert.deepEqual(found.map((row) => [row.backend, row.package, row.via, row.configured]).sort(), [
  ['bubblewrap', '@snapbox/bubblewrap', 'node_modules', true],
  ['daytona', '@snapbox/daytona', 'node_modules', false],
  ['docker', '@snapbox/docker', 'node_modules', true],
]);
const listing = JSON.parse(
  execFileSync('node_modules/.bin/snapbox', ['ls', '--json'], { encoding: 'utf8', env: backendEnv }),
);
assert.ok(Array.isArray(listing.containers) && Array.isArray(listing.snapshots));
console.log(`cli: snapbox backends finds ${found.map((row) => row.backend).join(', ')}; snapbox ls lists them`);

// Nothing of this process is left on the engine.
const owner = [
  '--filter',
  `label=${snapboxLabels.ownerPid}=${process.pid}`,
  '--filter',
  `label=${snapboxLabels.ownerHost}=${hostname()}`,
];
const left = (...args) => execFileSync('docker', [...args, ...owner], { encoding: 'utf8' }).trim();
assert.equal(left('ps', '--all', '--quiet'), '');
assert.equal(left('images', '--all', '--quiet'), '');
console.log('pack-test: passed');
