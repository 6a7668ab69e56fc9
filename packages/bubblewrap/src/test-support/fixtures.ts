import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/** busybox + bash, a few MiB: the fast fixture (scripts/ensure-test-images.sh). */
export const tinyImage = 'snapbox-fixture/tiny:1';
/** Debian bookworm minbase with procps. */
export const debianImage = 'snapbox-fixture/debian:1';

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
