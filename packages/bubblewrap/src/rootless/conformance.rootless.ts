import { describeContainerConformance } from '@snapbox/conformance';
import { detectCgroups } from '../cgroup-driver.js';
import { type BubblewrapContainer, createBubblewrapFactory } from '../index.js';
import { detectIdMapping } from '../subordinate-ids.js';
import { testStateDir } from '../test-support/fixtures.js';

// Run by ../rootless.test.ts as an ordinary user; the image is a root filesystem tarball. Twice:
// as a user with a subordinate id range (then `user` works as it does as root), and as one
// without (then `user` is refused, with what is missing).
const image = process.env.SNAPBOX_ROOTLESS_IMAGE ?? '';
if (process.getuid?.() === 0 || image === '') {
  throw new Error(
    'run through src/rootless.test.ts: this suite must run as an ordinary user with SNAPBOX_ROOTLESS_IMAGE',
  );
}

// A process limit needs a cgroup of this user's own (cgroup v2 with a delegated user service);
// where the machine gives none (cgroup v1 here), resources.pids must be refused, with this reason.
const noCgroups = detectCgroups({ rootless: true }).reason;
const mapping = detectIdMapping();

describeContainerConformance({
  name: `bubblewrap (rootless, ${mapping.kind === 'range' ? 'subordinate ids' : 'single uid'})`,
  factory: createBubblewrapFactory({ stateDir: testStateDir('rootless-conformance') }),
  image,
  unsupported: {
    fromDockerfile: 'the test user has no access to the Docker engine, which builds the image',
    ...(noCgroups === undefined ? {} : { pids: `limits need cgroups, and ${noCgroups}` }),
    ...(mapping.kind === 'single' ? { user: mapping.missing } : {}),
  },
  probeResource: async (container, resource) => {
    const limits = (container as BubblewrapContainer).limits();
    return resource === 'cpu' ? limits.cpu : resource === 'memoryMiB' ? limits.memoryMiB : undefined;
  },
});
