/** Images built locally by scripts/ensure-test-images.sh (no registry is reachable). */
export const tinyImage = 'snapbox-fixture/tiny:1';
export const debianImage = 'snapbox-fixture/debian:1';
