import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

// The fixture images are named once for the whole workspace.
export { debianImage, tinyImage } from '@snapbox/test-support';

/**
 * A fresh state folder for one test file (tmp is on a filesystem overlayfs accepts here). Called
 * at the top of a test file, it removes the folder after every other hook of the file (vitest
 * runs after-hooks in reverse order), so the file's own checks of what is left still see it.
 */
export function testStateDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `snapbox-bwrap-${name}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
