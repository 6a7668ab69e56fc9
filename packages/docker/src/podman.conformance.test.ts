import { describeContainerConformance } from '@snapbox/conformance';
import { tinyImage } from '@snapbox/test-support';
import { createDockerFactory } from './index.js';
import { describeEngineSuite } from './test-support/engine-suite.js';
import { podmanEngine } from './test-support/other-engines.js';

// Podman's Docker-compatible API (scripts/ensure-podman.sh starts it; a failure fails this file).
const podman = podmanEngine();

describeContainerConformance({
  name: podman.name,
  factory: createDockerFactory({ docker: podman.connection }),
  image: tinyImage,
});

describeEngineSuite(podman, { concurrency: 4 });
