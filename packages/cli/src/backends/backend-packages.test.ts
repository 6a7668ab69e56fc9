import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBackendPackages, findPackage, nodeModulesFolders } from './backend-packages.js';

let root: string;

async function writePackage(folder: string, manifest: Record<string, unknown>): Promise<void> {
  await mkdir(folder, { recursive: true });
  await writeFile(join(folder, 'package.json'), JSON.stringify(manifest));
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'snapbox-backend-packages-'));
  const backend = (name: string, version: string) => ({ name, version, snapbox: { admin: './admin' } });
  // The project, and an app inside it with its own (nearer) copy of one backend.
  await writePackage(join(root, 'node_modules', 'a-backend'), backend('a-backend', '1.0.0'));
  await writePackage(join(root, 'node_modules', '@scope', 'b-backend'), backend('@scope/b-backend', '1.0.0'));
  await writePackage(join(root, 'node_modules', 'not-a-backend'), { name: 'not-a-backend', version: '1.0.0' });
  await writePackage(join(root, 'node_modules', '.pnpm', 'hidden'), backend('hidden', '1.0.0'));
  await writePackage(join(root, 'app', 'node_modules', 'a-backend'), backend('a-backend', '2.0.0'));
  await mkdir(join(root, 'app', 'src'), { recursive: true });
  // The CLI's own install, elsewhere, with a link to a backend found before through the project.
  await writePackage(join(root, 'global', 'node_modules', 'c-backend'), backend('c-backend', '1.0.0'));
  await symlink(join(root, 'node_modules', '@scope'), join(root, 'global', 'node_modules', '@scope'));
  await mkdir(join(root, 'global', 'node_modules', 'cli', 'dist'), { recursive: true });
  await writeFile(join(root, 'node_modules', 'broken.json'), '');
  await mkdir(join(root, 'node_modules', 'no-manifest'), { recursive: true });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('findBackendPackages', () => {
  it('reads node_modules from each start upward, nearest first, each package once', () => {
    // Only this test's folders: what the machine has above them is not this test's business.
    const found = findBackendPackages([
      join(root, 'app', 'src'),
      join(root, 'global', 'node_modules', 'cli', 'dist'),
    ]).filter((pkg) => pkg.dir.startsWith(root));
    expect(found.map((pkg) => `${pkg.name}@${pkg.version}`)).toEqual([
      'a-backend@2.0.0',
      '@scope/b-backend@1.0.0',
      'c-backend@1.0.0',
    ]);
    expect(found[0]?.dir).toBe(join(root, 'app', 'node_modules', 'a-backend'));
  });

  it('searches above a start that does not exist', () => {
    const found = findBackendPackages([join(root, 'app', 'src', 'missing')]).filter((pkg) => pkg.dir.startsWith(root));
    expect(found.map((pkg) => pkg.name)).toEqual(['a-backend', '@scope/b-backend']);
  });
});

describe('findPackage and nodeModulesFolders', () => {
  it('look where Node would', () => {
    expect(findPackage('not-a-backend', [join(root, 'app')])?.dir).toBe(join(root, 'node_modules', 'not-a-backend'));
    expect(findPackage('@scope/b-backend', [join(root, 'app')])?.version).toBe('1.0.0');
    expect(findPackage('nowhere', [join(root, 'app')])).toBeUndefined();
    expect(nodeModulesFolders(join(root, 'node_modules', 'x')).slice(0, 2)).toEqual([
      join(root, 'node_modules', 'x', 'node_modules'),
      join(root, 'node_modules'),
    ]);
  });
});
