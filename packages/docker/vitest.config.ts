import { defineConfig } from 'vitest/config';

/**
 * Every suite runs against a real engine: the local Docker engine (started by the global setup)
 * and, in their own files, Podman and a remote dockerd over tcp and ssh, which those files start
 * through `scripts/ensure-podman.sh` and `scripts/ensure-remote-engines.sh`. A missing engine
 * fails the run; it is never a skip.
 */
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    // One file at a time: the engines' work is CPU-bound on a 2-core machine, so running files
    // side by side saves no time (measured), and some tests measure time (the watchdog's 15 s).
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    globalSetup: ['@snapbox/test-support/docker-global-setup'],
  },
});
