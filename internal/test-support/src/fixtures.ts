import { fileURLToPath } from 'node:url';

/**
 * The real Harbor registry (commit 02e4b0b, 43 specs, 12,833 tasks), vendored under
 * `internal/test-support/fixtures/harbor/` with its PROVENANCE.md. Resolved from this module's
 * own location, so it is found wherever the clone is placed.
 */
export const harborRegistryPath = fileURLToPath(new URL('../fixtures/harbor/registry.json', import.meta.url));

/** The sha256 that PROVENANCE.md records for the vendored registry. */
export const harborRegistrySha256 = 'd4ed5a84f2815791a05c2f13f31408705c9f0ee57de92990ac4493a216b73fa2';
