import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // Every file talks to one real engine: run files one after another.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // A real engine with the fixture image (a missing engine fails the run), and the build output
    // up to date: the exit-cleanup test runs a child program on it.
    globalSetup: ['@snapbox/test-support/docker-global-setup', '@snapbox/test-support/build-global-setup'],
  },
});
