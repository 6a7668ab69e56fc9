import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The bubblewrap backend's state folder for this test run (SNAPBOX_BUBBLEWRAP_STATE_DIR in every
 * test): `snapbox ls` and `prune` find `@snapbox/bubblewrap` among the CLI's dev dependencies, and
 * must not look into the machine's default folder, which other programs use.
 */
export const bubblewrapStateDir = join(tmpdir(), `snapbox-cli-bubblewrap-${process.pid}`);
