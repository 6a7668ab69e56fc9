import { describeContainerConformance } from '@snapbox/conformance';
import { describe } from 'vitest';
import { createDaytonaFactory } from './index.js';

// The executable contract against the real Daytona service. It needs credentials, so it runs
// only when DAYTONA_API_KEY is set (DAYTONA_API_URL and DAYTONA_TARGET are read too); without
// them every test of the suite is reported as skipped, never as passed.
//
// DAYTONA_CONFORMANCE_IMAGE picks the image (default debian:12), and
// DAYTONA_CONFORMANCE_IMAGE_WORKDIR what `pwd` prints in it without a workdir (default /root:
// Daytona starts commands in the image's WORKDIR, else in the sandbox user's home).
const live = process.env.DAYTONA_API_KEY !== undefined && process.env.DAYTONA_API_KEY !== '';

describe.skipIf(!live)('daytona: live service (skipped unless DAYTONA_API_KEY is set)', () => {
  describeContainerConformance({
    name: 'daytona',
    factory: createDaytonaFactory(),
    image: process.env.DAYTONA_CONFORMANCE_IMAGE ?? 'debian:12',
    imageWorkdir: process.env.DAYTONA_CONFORMANCE_IMAGE_WORKDIR ?? '/root',
    testTimeoutMs: 300_000,
  });
});
