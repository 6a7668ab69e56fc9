import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    typecheck: { include: ['src/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
    // Some tests spawn Node processes (the sync worker, exit scenarios): allow for a slow machine.
    testTimeout: 30_000,
    // The synchronous paths run the built worker (dist/sync-worker.js) in a child process and the
    // exit scenarios import dist/index.js: the setup builds first when dist is stale.
    globalSetup: ['@snapbox/test-support/build-global-setup'],
  },
});
