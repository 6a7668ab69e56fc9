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

describe('@snapbox/test-support', () => {
  // It is never published: a published package that needed it at run time would not install.
  it.each(manifests)('$name needs it only for its tests', ({ name, manifest }) => {
    for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies'])
      expect(Object.keys(manifest[field] ?? {}), field).not.toContain('@snapbox/test-support');
    const shipped = readdirSync(join(packagesDir, name, 'src'), { recursive: true, encoding: 'utf8' }).filter(
      (file) => /\.(ts|mts|js|mjs)$/.test(file) && !/\.test(-d)?\.ts$/.test(file) && !file.startsWith('test-support'),
    );
    expect(shipped.length).toBeGreaterThan(0);
    for (const file of shipped)
      expect(readFileSync(join(packagesDir, name, 'src', file), 'utf8'), file).not.toContain('@snapbox/test-support');
  });
});
