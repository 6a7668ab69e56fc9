import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// What a user of a published package finds on its npm page: where the code is, where its
// README is, and where to report a problem. Checked here so a new package cannot ship without.
const packagesDir = fileURLToPath(new URL('../../../packages', import.meta.url));
const manifests = readdirSync(packagesDir)
  .map((name) => ({ name, manifest: JSON.parse(readFileSync(join(packagesDir, name, 'package.json'), 'utf8')) }))
  .filter(({ manifest }) => manifest.private !== true);

describe('published package manifests', () => {
  it('there are published packages to check', () => {
    expect(manifests.length).toBeGreaterThanOrEqual(6);
  });

  it.each(manifests)('$name names its repository folder, homepage and issue tracker', ({ name, manifest }) => {
    expect(manifest.repository).toMatchObject({ type: 'git', directory: `packages/${name}` });
    expect(manifest.repository.url).toMatch(/^git\+https:\/\/github\.com\/[\w-]+\/[\w-]+\.git$/);
    const repo = manifest.repository.url.replace(/^git\+/, '').replace(/\.git$/, '');
    expect(manifest.homepage).toBe(`${repo}/tree/main/packages/${name}#readme`);
    expect(manifest.bugs).toEqual({ url: `${repo}/issues` });
    expect(manifest.license).toBe('MIT');
    expect(manifest.engines?.node).toBe('>=20.11');
  });
});
