import { randomUUID } from 'node:crypto';
import { describeContainerConformance } from '@snapbox/conformance';
import { tinyImage } from '@snapbox/test-support';
import Docker from 'dockerode';
import { afterAll } from 'vitest';
import { createDockerFactory } from './index.js';
import { removeSessionBuilds, sessionLeftovers } from './test-support/engine.js';

const docker = new Docker();
// Flattening after a few layers (instead of near Docker's 125) lets the suite's lineage cross
// the threshold in seconds: a lineage of 6 on an image of 1 layer flattens once.
const factory = createDockerFactory({ flattenAtLayers: 4 });

describeContainerConformance({
  name: 'docker',
  factory,
  image: tinyImage,
  lineageDepth: 6,
  ownedResources: async () => {
    const { containers, images } = await sessionLeftovers();
    return [...containers, ...images];
  },
  // An image in snapbox's own snapshot repository, but without its labels: not snapbox's.
  foreignLookalike: {
    async create() {
      const tag = `lookalike-${randomUUID().slice(0, 8)}`;
      await docker.getImage(tinyImage).tag({ repo: factory.snapshotRepository, tag });
      return `${factory.snapshotRepository}:${tag}`;
    },
    async exists(id) {
      return docker
        .getImage(id)
        .inspect()
        .then(
          () => true,
          () => false,
        );
    },
    async remove(id) {
      await docker.getImage(id).remove();
    },
  },
});

// The progress test builds an image, kept by design as a build cache: not here.
afterAll(async () => {
  await removeSessionBuilds();
});
