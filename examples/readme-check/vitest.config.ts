import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    // The examples run against a real engine with the fixture image, and on bubblewrap (which reads
    // that image from the engine); a missing engine or bubblewrap fails the run.
    globalSetup: ['@snapbox/test-support/integration-global-setup'],
  },
});
