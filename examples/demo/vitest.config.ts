import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['src/**/*.test.ts'], exclude: ['src/**/*.docker.test.ts'] },
      },
      {
        // The demo itself, on a real engine; the setup makes sure it is there, and fails the run
        // when it cannot.
        extends: true,
        test: {
          name: 'docker',
          include: ['src/**/*.docker.test.ts'],
          globalSetup: ['@snapbox/test-support/docker-global-setup'],
          testTimeout: 600_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
