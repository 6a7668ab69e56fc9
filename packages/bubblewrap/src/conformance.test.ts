import { describeContainerConformance } from '@snapbox/conformance';
import { type BubblewrapContainer, createBubblewrapFactory } from './index.js';
import { testStateDir, tinyImage } from './test-support/fixtures.js';

describeContainerConformance({
  name: 'bubblewrap',
  factory: createBubblewrapFactory({ stateDir: testStateDir('conformance') }),
  image: tinyImage,
  // Limits live in the container's cgroup on the host, outside the sandbox's view.
  probeResource: async (container, resource) => {
    const limits = (container as BubblewrapContainer).limits();
    return resource === 'cpu' ? limits.cpu : resource === 'memoryMiB' ? limits.memoryMiB : undefined;
  },
});
