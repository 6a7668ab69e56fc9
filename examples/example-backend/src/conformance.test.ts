import { describeContainerConformance } from '@snapbox/conformance';
import { tinyImage } from '@snapbox/test-support';
import { createCliDockerFactory } from './index.js';

// The whole contract, against the real engine. Nothing is declared unsupported.
describeContainerConformance({
  name: 'docker-cli',
  factory: createCliDockerFactory(),
  image: tinyImage,
});
