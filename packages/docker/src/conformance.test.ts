import { describeContainerConformance } from '@snapbox/conformance';
import { tinyImage } from '@snapbox/test-support';
import { createDockerFactory } from './index.js';

describeContainerConformance({
  name: 'docker',
  factory: createDockerFactory(),
  image: tinyImage,
});
