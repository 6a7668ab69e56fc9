import { describeContainerConformance } from '@snapbox/conformance';
import { detectCgroups } from '../cgroup-driver.js';
import { type BubblewrapContainer, createBubblewrapFactory } from '../index.js';
import { testStateDir } from '../test-support/fixtures.js';

// Run by ../rootless.test.ts as an ordinary user; the image is a root filesystem tarball.
const image = process.env.SNAPBOX_ROOTLESS_IMAGE ?? '';
if (process.getuid?.() === 0 || image === '') {
  throw new Error(
    'run through src/rootless.test.ts: this suite must run as an ordinary user with SNAPBOX_ROOTLESS_IMAGE',
  );
}

// A process limit needs a cgroup of this user's own (cgroup v2 with a delegated user service);
// where the machine gives none (cgroup v1 here), resources.pids must be refused, with this reason.
const noCgroups = detectCgroups({ rootless: true }).reason;

describeContainerConformance({
  name: 'bubblewrap (rootless)',
  factory: createBubblewrapFactory({ stateDir: testStateDir('rootless-conformance') }),
  image,
  unsupported: {
    fromDockerfile: 'the test user has no access to the Docker engine, which builds the image',
    ...(noCgroups === undefined ? {} : { pids: `limits need cgroups, and ${noCgroups}` }),
    user: "a rootless sandbox's user namespace maps only this user's own uid (no subordinate uid range through newuidmap), so no other uid exists inside",
  },
  probeResource: async (container, resource) => {
    const limits = (container as BubblewrapContainer).limits();
    return resource === 'cpu' ? limits.cpu : resource === 'memoryMiB' ? limits.memoryMiB : undefined;
  },
});
