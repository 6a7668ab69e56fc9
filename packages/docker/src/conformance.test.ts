import { describeContainerConformance } from '@snapbox/conformance';
import { afterAll } from 'vitest';
import { createDockerFactory } from './index.js';
import { removeSessionBuilds, sessionLeftovers } from './test-support/engine.js';
import { tinyImage } from './test-support/fixtures.js';

describeContainerConformance({
  name: 'docker',
  factory: createDockerFactory(),
  image: tinyImage,
  ownedResources: async () => {
    const { containers, images } = await sessionLeftovers();
    return [...containers, ...images];
  },
});

// The progress test builds an image, kept by design as a build cache: not here.
afterAll(async () => {
  await removeSessionBuilds();
});
