import { defineConfig } from 'vitest/config';

/**
 * The rootless suites, run by src/rootless.test.ts as an ordinary user created for the test
 * (never directly): the same backend in a single-uid user namespace, without cgroups on a v1
 * machine. No global setup: that needs root.
 */
export default defineConfig({
  cacheDir: '/tmp/snapbox-rootless-vitest-cache',
  test: {
    include: ['src/rootless/*.rootless.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
