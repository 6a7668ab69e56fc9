import { defineConfig } from 'vitest/config';
import { bubblewrapStateDir } from './src/test-support/bubblewrap-state.js';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    typecheck: { include: ['src/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
    globalSetup: ['./src/test-support/global-setup.ts'],
    env: { SNAPBOX_BUBBLEWRAP_STATE_DIR: bubblewrapStateDir },
    testTimeout: 60_000,
  },
});
