import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    typecheck: { include: ['src/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
    // `snapbox ls` and `prune` are tested against a real engine; a missing engine fails the run.
    globalSetup: ['@snapbox/test-support/docker-global-setup'],
    testTimeout: 60_000,
  },
});
