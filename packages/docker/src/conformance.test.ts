import { describeContainerConformance } from '@snapbox/conformance';
import { createDockerFactory } from './index.js';
import { tinyImage } from './test-support/fixtures.js';

describeContainerConformance({
  name: 'docker',
  factory: createDockerFactory(),
  image: tinyImage,
});
