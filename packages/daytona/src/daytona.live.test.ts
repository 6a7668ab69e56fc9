import { describeContainerConformance } from '@snapbox/conformance';
import { describe } from 'vitest';
import { createDaytonaFactory, type DaytonaEndpoint } from './index.js';

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
    unsupported: {
      // The suite's probe is a listener on this machine; a cloud sandbox never reaches it, so
      // network 'none' is checked by the fake-SDK tests (networkBlockAll) instead.
      hostNetwork: 'a cloud sandbox cannot reach a listener on this machine even with its default network',
      user: 'a Daytona sandbox runs every command as its image user',
      pids: 'Daytona sets no process limit',
    },
    // The ports test needs busybox or python3 in the image (debian:12 has neither): set
    // DAYTONA_CONFORMANCE_IMAGE to one that has. The preview proxy speaks HTTPS and wants the
    // token of a private sandbox.
    endpointRequest: (endpoint) => {
      const preview = endpoint as DaytonaEndpoint;
      return { url: preview.url, headers: { 'x-daytona-preview-token': preview.token } };
    },
  });
});
