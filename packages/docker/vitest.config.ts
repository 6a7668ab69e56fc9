import { defineConfig } from 'vitest/config';

/**
 * Suites against other engines (Podman, a remote dockerd over tcp and ssh). Each starts its own
 * engine through a project script and fails when it cannot. They run with `pnpm test:engines`
 * and are not yet part of `npm test` (see the README's compatibility table).
 */
export const otherEngineSuites = [
  'src/podman.conformance.test.ts',
  'src/remote-tcp.conformance.test.ts',
  'src/remote-ssh.test.ts',
];

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    exclude: ['**/node_modules/**', ...otherEngineSuites],
    // Every file talks to one real engine on a 2-core machine: run files one after another.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    globalSetup: ['./src/test-support/global-setup.ts'],
  },
});
