// require() of every entry point, as a CommonJS consumer on Node >= 20.19 does it (require of
// an ES module without top-level await). The exports maps give each entry a `default`
// condition for this; a top-level await anywhere in an entry's module graph would break it.
const assert = require('node:assert/strict');

const entries = {
  '@snapbox/core': (m) => typeof m.isSnapshotable === 'function' && typeof m.SnapboxError === 'function',
  '@snapbox/memory': (m) => typeof m.createMemoryFactory === 'function',
  '@snapbox/conformance': (m) => typeof m.describeContainerConformance === 'function',
  '@snapbox/docker': (m) => typeof m.createDockerFactory === 'function',
  '@snapbox/docker/admin': (m) => typeof m.createAdmin === 'function',
  '@snapbox/daytona/admin': (m) => typeof m.createAdmin === 'function',
  '@snapbox/daytona': (m) => typeof m.createDaytonaFactory === 'function',
  '@snapbox/presets': (m) => typeof m.loadHarborRegistry === 'function',
  '@snapbox/go-explore': (m) => typeof m.goExplore === 'function',
  '@snapbox/bubblewrap': (m) => typeof m.createBubblewrapFactory === 'function',
  '@snapbox/bubblewrap/admin': (m) => typeof m.createAdmin === 'function',
  '@snapbox/cli': (m) => typeof m.main === 'function',
};
for (const [name, looksRight] of Object.entries(entries)) {
  const loaded = require(name);
  assert.ok(looksRight(loaded), `require('${name}') did not give its exports`);
}
console.log(`smoke-require: require() of ${Object.keys(entries).length} entry points works`);
