import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    typecheck: { include: ['src/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
    // Some tests spawn Node processes (the sync worker, exit scenarios): allow for a slow machine.
    testTimeout: 30_000,
    globalSetup: ['./src/test-support/global-setup.ts'],
  },
});
