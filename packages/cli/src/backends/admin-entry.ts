import { statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { BackendPackage } from './backend-packages.js';

/** The `exports` conditions an `import()` by Node matches, as far as the CLI follows them. */
const importConditions = new Set(['node', 'import', 'module-sync', 'default']);

/** A target of an `exports` entry, its conditions resolved for `import()`: a relative path, or undefined. */
function conditionalTarget(target: unknown): string | undefined {
  if (typeof target === 'string') return target;
  if (Array.isArray(target)) {
    for (const item of target) {
      const found = conditionalTarget(item);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (typeof target !== 'object' || target === null) return undefined;
  // Conditions are tried in the order the package lists them, as Node does.
  for (const [condition, value] of Object.entries(target)) {
    if (!importConditions.has(condition)) continue;
    const found = conditionalTarget(value);
    if (found !== undefined) return found;
  }
  return undefined;
}

const isFile = (path: string) => statSync(path, { throwIfNoEntry: false })?.isFile() === true;

/**
 * The file of a backend package's admin module: the `snapbox.admin` subpath of its package.json
 * (`"./admin"`) looked up in its `exports` (with the `node`, `import`, `module-sync` and `default`
 * conditions, in the package's order), or, for a package without `exports`, taken as a path
 * inside the package (`.js` added when needed).
 * @throws Error saying what is wrong with the declaration.
 */
export function adminEntryFile(pkg: BackendPackage): string {
  const declared = (pkg.manifest.snapbox as { admin?: unknown }).admin;
  if (typeof declared !== 'string' || !declared.startsWith('./')) {
    throw new Error(
      `its package.json has "snapbox": ${JSON.stringify(pkg.manifest.snapbox)}, where { "admin": "./<subpath of its exports>" } was expected`,
    );
  }
  const { exports } = pkg.manifest;
  let target: string | undefined;
  if (exports === undefined) {
    const path = resolve(pkg.dir, declared);
    target = [path, `${path}.js`, `${path}.mjs`].find(isFile);
    if (target === undefined) throw new Error(`its admin module ${declared} is not a file in ${pkg.dir}`);
    return target;
  }
  const subpaths =
    typeof exports === 'object' &&
    exports !== null &&
    !Array.isArray(exports) &&
    Object.keys(exports)[0]?.startsWith('.')
      ? (exports as Record<string, unknown>)
      : { '.': exports };
  target = conditionalTarget(subpaths[declared]);
  if (target === undefined) {
    throw new Error(
      `its package.json declares the admin module ${declared}, but its "exports" has no ${JSON.stringify(declared)} entry that import() can load`,
    );
  }
  const file = resolve(pkg.dir, target);
  if (relative(pkg.dir, file).startsWith('..')) throw new Error(`its admin module ${target} is outside the package`);
  if (!isFile(file)) {
    throw new Error(
      `its admin module ${declared} is ${join(pkg.dir, target)}, which does not exist (is the package built?)`,
    );
  }
  return file;
}
