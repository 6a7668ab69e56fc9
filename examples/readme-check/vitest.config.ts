import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    // The Docker examples run against a real engine with the fixture image; no engine fails the run.
    globalSetup: ['@snapbox/test-support/docker-global-setup'],
  },
});
