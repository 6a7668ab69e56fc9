import { describeContainerConformance } from '@snapbox/core/testing';
import { createBubblewrapFactory } from './index.js';
import { testStateDir, tinyImage } from './test-support/fixtures.js';

describeContainerConformance({
  name: 'bubblewrap',
  factory: createBubblewrapFactory({ stateDir: testStateDir('conformance') }),
  image: tinyImage,
});
