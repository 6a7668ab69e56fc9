import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { describeContainerConformance } from '@snapbox/conformance';
import { tinyImage } from '@snapbox/test-support';
import { createCliDockerFactory } from './index.js';

const image = tinyImage;
const docker = (...args: string[]) => execFileSync('docker', args, { encoding: 'utf8', stdio: 'pipe' });

// The whole contract, against the real engine. Nothing is declared unsupported.
describeContainerConformance({
  name: 'docker-cli',
  factory: createCliDockerFactory(),
  image,
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
