import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** busybox + bash, a few MiB: the fast fixture (scripts/ensure-test-images.sh). */
export const tinyImage = 'snapbox-fixture/tiny:1';
/** Debian bookworm minbase with procps. */
export const debianImage = 'snapbox-fixture/debian:1';

/** A fresh state folder for one test file (tmp is on a filesystem overlayfs accepts here). */
export function testStateDir(name: string): string {
  return mkdtempSync(join(tmpdir(), `snapbox-bwrap-${name}-`));
}
