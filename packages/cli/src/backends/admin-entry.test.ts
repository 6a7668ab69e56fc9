import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminEntryFile } from './admin-entry.js';
import type { BackendPackage, PackageManifest } from './backend-packages.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'snapbox-admin-entry-'));
  await mkdir(join(dir, 'dist', 'esm'), { recursive: true });
  for (const file of ['dist/admin.js', 'dist/esm/admin.js', 'admin.mjs']) await writeFile(join(dir, file), '');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const pkg = (manifest: PackageManifest): BackendPackage => ({ name: 'x', version: undefined, dir, manifest });
const withExports = (exports: unknown, admin: unknown = './admin') => pkg({ exports, snapbox: { admin } });

describe('adminEntryFile', () => {
  it('follows the import conditions of the admin subpath, in the order the package lists them', () => {
    expect(adminEntryFile(withExports({ './admin': './dist/admin.js' }))).toBe(join(dir, 'dist/admin.js'));
    expect(
      adminEntryFile(
        withExports({ './admin': { types: './dist/admin.d.ts', require: './dist/cjs.js', import: './dist/admin.js' } }),
      ),
    ).toBe(join(dir, 'dist/admin.js'));
    expect(
      adminEntryFile(withExports({ './admin': { node: { import: './dist/esm/admin.js' }, default: './x.js' } })),
    ).toBe(join(dir, 'dist/esm/admin.js'));
    expect(adminEntryFile(withExports({ './admin': [{ require: './cjs.js' }, './dist/admin.js'] }))).toBe(
      join(dir, 'dist/admin.js'),
    );
  });

  it('takes the subpath as a path in a package without exports', () => {
    expect(adminEntryFile(pkg({ snapbox: { admin: './admin' } }))).toBe(join(dir, 'admin.mjs'));
    expect(adminEntryFile(pkg({ snapbox: { admin: './dist/admin.js' } }))).toBe(join(dir, 'dist/admin.js'));
  });

  it('says what is wrong with a declaration', () => {
    expect(() => adminEntryFile(withExports({ './admin': './dist/admin.js' }, 'admin'))).toThrow(
      'where { "admin": "./<subpath of its exports>" } was expected',
    );
    expect(() => adminEntryFile(withExports({ '.': './index.js' }))).toThrow('its "exports" has no "./admin" entry');
    expect(() => adminEntryFile(withExports({ './admin': { require: './cjs.js' } }))).toThrow('that import() can load');
    expect(() => adminEntryFile(withExports({ './admin': '../elsewhere/admin.js' }))).toThrow('outside the package');
    expect(() => adminEntryFile(withExports({ './admin': './dist/missing.js' }))).toThrow(
      'which does not exist (is the package built?)',
    );
    expect(() => adminEntryFile(withExports('./index.js'))).toThrow('has no "./admin" entry');
  });
});
