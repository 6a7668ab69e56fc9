import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    typecheck: { include: ['src/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
    // The Harbor integration test starts a task's container on a real engine; no engine fails the run.
    globalSetup: ['@snapbox/test-support/docker-global-setup'],
    testTimeout: 30_000,
  },
});
