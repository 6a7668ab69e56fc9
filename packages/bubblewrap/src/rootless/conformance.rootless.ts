import { describeContainerConformance } from '@snapbox/core/testing';
import { createBubblewrapFactory } from '../index.js';
import { testStateDir } from '../test-support/fixtures.js';

// Run by ../rootless.test.ts as an ordinary user; the image is a root filesystem tarball.
const image = process.env.SNAPBOX_ROOTLESS_IMAGE ?? '';
if (process.getuid?.() === 0 || image === '') {
  throw new Error(
    'run through src/rootless.test.ts: this suite must run as an ordinary user with SNAPBOX_ROOTLESS_IMAGE',
  );
}

describeContainerConformance({
  name: 'bubblewrap (rootless)',
  factory: createBubblewrapFactory({ stateDir: testStateDir('rootless-conformance') }),
  image,
});
