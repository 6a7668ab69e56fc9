import { defineConfig } from 'vitest/config';

/**
 * Every suite runs real sandboxes (bubblewrap, overlayfs, cgroups) and reads its images from the
 * local Docker engine, which the global setup starts, with the fixture images and bubblewrap
 * itself. A missing piece fails the run; it is never a skip.
 */
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    // One file at a time: the suites load the 2-core machine on their own.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    globalSetup: ['@snapbox/test-support/docker-global-setup', './src/test-support/global-setup.ts'],
  },
});
