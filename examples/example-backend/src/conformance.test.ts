import { execFileSync } from 'node:child_process';
import { describeContainerConformance } from '@snapbox/conformance';
import { currentSession, snapboxLabels } from '@snapbox/core';
import { afterAll } from 'vitest';
import { createCliDockerFactory } from './index.js';

// The whole contract, against the real engine. Two sandbox options are left out on purpose (see
// cliSupportedOptions); the suite checks that the factory refuses them.
describeContainerConformance({
  name: 'docker-cli',
  factory: createCliDockerFactory(),
  image: 'snapbox-fixture/tiny:1',
  unsupported: {
    user: 'left out of the example to keep it short: uploads would have to belong to the user, and docker cp cannot do that',
    ports: 'left out of the example to keep it short',
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
