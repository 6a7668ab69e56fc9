import { fileURLToPath } from 'node:url';

/**
 * The root of the clone, found from this module's own place (`src/` or `dist/` of
 * `internal/test-support`), so it is right wherever the clone is.
 */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
