import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // The leftovers helpers are tested on the real engine, with the fixture image.
    globalSetup: ['./src/docker-global-setup.ts'],
    testTimeout: 30_000,
  },
});
