import { defineConfig } from 'vitest/config';
import base, { otherEngineSuites } from './vitest.config.js';

export default defineConfig({
  test: { ...base.test, include: otherEngineSuites, exclude: ['**/node_modules/**'] },
});
