import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { describeContainerConformance } from '@snapbox/conformance';
import { currentSession, snapboxLabels } from '@snapbox/core';
import { tinyImage } from '@snapbox/test-support';
import { afterAll } from 'vitest';
import { createCliDockerFactory } from './index.js';

const image = tinyImage;
const docker = (...args: string[]) => execFileSync('docker', args, { encoding: 'utf8', stdio: 'pipe' });

// The whole contract, against the real engine. Two sandbox options are left out on purpose (see
// cliSupportedOptions); the suite checks that the factory refuses them.
describeContainerConformance({
  name: 'docker-cli',
  factory: createCliDockerFactory(),
  image,
  unsupported: {
    user: 'left out of the example to keep it short: uploads would have to belong to the user, and docker cp cannot do that',
    ports: 'left out of the example to keep it short',
  },
  // An image in the backend's own snapshot repository, but without snapbox's labels.
  foreignLookalike: {
    async create() {
      const id = `snapbox-snapshot:lookalike-${randomUUID().slice(0, 8)}`;
      docker('tag', image, id);
      return id;
    },
    async exists(id) {
      try {
        docker('image', 'inspect', id);
        return true;
      } catch {
        return false;
      }
    },
    async remove(id) {
      docker('image', 'rm', id);
    },
  },
});

// The progress test builds an image (untagged, labelled with this session): not left on the engine.
afterAll(() => {
  const session = `label=${snapboxLabels.session}=${currentSession().id}`;
  execFileSync('docker', [
    'image',
    'prune',
    '--force',
    '--filter',
    session,
    '--filter',
    `label=${snapboxLabels.kind}=build`,
  ]);
});
