import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts'],
          // The memory backend is fast, but a loaded 2-core CI machine is not.
          testTimeout: 30_000,
          exclude: ['src/**/*.integration.test.ts'],
          typecheck: { enabled: true, include: ['src/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
        },
      },
      {
        // Real backends (Docker, bubblewrap); the setup makes sure they are there, and fails the
        // run when it cannot.
        extends: true,
        test: {
          name: 'integration',
          include: ['src/**/*.integration.test.ts'],
          globalSetup: ['@snapbox/test-support/integration-global-setup'],
          testTimeout: 180_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
