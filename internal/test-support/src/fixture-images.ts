/**
 * The images every Docker test, example and benchmark here runs on. No registry is reachable
 * where they run, so `scripts/ensure-test-images.sh` builds both locally (a test checks that it
 * builds exactly these names).
 */

/** busybox with a static bash, a few MiB: the image for fast tests. */
export const tinyImage = 'snapbox-fixture/tiny:1';

/** Debian bookworm minbase with procps (`ps`): for tests that want an ordinary distribution. */
export const debianImage = 'snapbox-fixture/debian:1';
