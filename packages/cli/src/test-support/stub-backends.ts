import { execFile } from 'node:child_process';
import { cp, mkdir, realpath, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built bin, run by the tests as a user runs it. */
export const bin = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));

/** The stub packages in test-support/backends, by folder name. */
export type StubPackage = 'folder-backend' | 'broken-backend' | 'undeclared-export' | 'plain-package';

const stubPackageNames: Record<StubPackage, string> = {
  'folder-backend': '@acme/snapbox-folder',
  'broken-backend': 'broken-backend',
  'undeclared-export': 'undeclared-export',
  'plain-package': 'plain-package',
};

/**
 * Installs stub packages into `nodeModules` as npm would lay them out (real files, copied), and
 * links `@snapbox/core` there, the one dependency of the third party's admin module.
 * @returns the folder of each package installed.
 */
export async function installStubs(
  nodeModules: string,
  stubs: readonly StubPackage[],
): Promise<Record<string, string>> {
  const folders: Record<string, string> = {};
  for (const stub of stubs) {
    const target = join(nodeModules, ...stubPackageNames[stub].split('/'));
    await cp(fileURLToPath(new URL(`./backends/${stub}`, import.meta.url)), target, { recursive: true });
    folders[stub] = target;
  }
  const core = await realpath(fileURLToPath(new URL('../../node_modules/@snapbox/core', import.meta.url)));
  await mkdir(join(nodeModules, '@snapbox'), { recursive: true });
  await symlink(core, join(nodeModules, '@snapbox', 'core'), 'dir').catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
  return folders;
}

/** Runs `node <bin> ...args` in `cwd` with `env` over this process's environment. */
export function snapboxIn(
  cwd: string,
  env: Record<string, string | undefined>,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  const merged: Record<string, string | undefined> = { ...process.env, ...env };
  for (const [key, value] of Object.entries(merged)) if (value === undefined) delete merged[key];
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', env: merged }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
    });
  });
}
