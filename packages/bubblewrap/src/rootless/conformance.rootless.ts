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

const pidsReason = detectCgroups({ rootless: true }).reason;

describeContainerConformance({
  name: 'bubblewrap (rootless)',
  factory: createBubblewrapFactory({ stateDir: testStateDir('rootless-conformance') }),
  image,
  unsupported: {
    fromDockerfile: 'the test user has no access to the Docker engine, which builds the image',
    // The same declarations as the root suite (conformance.test.ts).
    hostNetwork: "the factory's network is 'none' by default: no container of it reaches this machine",
    user: 'commands run as the image user; uploads cannot be given to another one yet',
    ports: 'a sandbox has no port forwarding',
    // A pids limit lives in a cgroup, which an ordinary user has only where one is delegated to it.
    ...(pidsReason === undefined ? {} : { pids: pidsReason }),
  },
  probeResource: async (container, resource) => {
    const limits = (container as BubblewrapContainer).limits();
    return resource === 'cpu' ? limits.cpu : resource === 'memoryMiB' ? limits.memoryMiB : undefined;
  },
});
