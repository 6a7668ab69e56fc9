import { readdirSync, readFileSync, realpathSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/** The parts of a package.json the CLI reads. */
export interface PackageManifest {
  /** The package name. */
  readonly name?: unknown;
  /** Its version. */
  readonly version?: unknown;
  /** Its `exports` map, where the admin subpath is looked up. */
  readonly exports?: unknown;
  /** `{ admin: './admin' }` in a snapbox backend. */
  readonly snapbox?: unknown;
}

/** An installed package that declares a snapbox admin module (`"snapbox": { "admin": "./admin" }`). */
export interface BackendPackage {
  /** The package name. */
  readonly name: string;
  /** Its version, when its package.json has one. */
  readonly version: string | undefined;
  /** Its folder, as found (symbolic links not resolved). */
  readonly dir: string;
  /** Its package.json. */
  readonly manifest: PackageManifest;
}

/** The `node_modules` folders Node would search from `start`: in `start` and in each folder above it. */
export function nodeModulesFolders(start: string): string[] {
  const folders: string[] = [];
  let dir = resolve(start);
  for (;;) {
    // Node does not look in node_modules/node_modules either.
    if (basename(dir) !== 'node_modules') folders.push(join(dir, 'node_modules'));
    const parent = dirname(dir);
    if (parent === dir) return folders;
    dir = parent;
  }
}

/** A package.json, or undefined when there is none or it is not JSON. */
export function readManifest(dir: string): PackageManifest | undefined {
  try {
    const manifest: unknown = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    return typeof manifest === 'object' && manifest !== null ? (manifest as PackageManifest) : undefined;
  } catch {
    return undefined;
  }
}

/** True when a package.json declares a snapbox backend (it has a `snapbox` object). */
export function declaresBackend(manifest: PackageManifest): boolean {
  return typeof manifest.snapbox === 'object' && manifest.snapbox !== null;
}

/** The package folders directly in one node_modules folder (scoped ones included); none when it does not exist. */
function packageFolders(nodeModules: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(nodeModules);
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    // .bin, .pnpm, .cache, ...: not packages.
    if (entry.startsWith('.')) return [];
    if (!entry.startsWith('@')) return [join(nodeModules, entry)];
    try {
      return readdirSync(join(nodeModules, entry)).map((scoped) => join(nodeModules, entry, scoped));
    } catch {
      return [];
    }
  });
}

function realpathOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

function describe(dir: string, manifest: PackageManifest): BackendPackage | undefined {
  if (typeof manifest.name !== 'string') return undefined;
  return {
    name: manifest.name,
    version: typeof manifest.version === 'string' ? manifest.version : undefined,
    dir,
    manifest,
  };
}

/**
 * Every package that declares a snapbox backend in the node_modules folders Node would search from
 * each of `starts`, in that order: nearest folders first, each package name once (the first found
 * wins, as Node's resolution would pick it), and a package reached twice through links once. Only
 * package.json files are read; nothing is imported.
 */
export function findBackendPackages(starts: readonly string[]): BackendPackage[] {
  const found: BackendPackage[] = [];
  const names = new Set<string>();
  const places = new Set<string>();
  const seenFolders = new Set<string>();
  for (const start of starts) {
    for (const nodeModules of nodeModulesFolders(start)) {
      if (seenFolders.has(nodeModules)) continue;
      seenFolders.add(nodeModules);
      for (const dir of packageFolders(nodeModules)) {
        const manifest = readManifest(dir);
        if (manifest === undefined || !declaresBackend(manifest)) continue;
        const pkg = describe(dir, manifest);
        const place = realpathOrSelf(dir);
        if (pkg === undefined || names.has(pkg.name) || places.has(place)) continue;
        names.add(pkg.name);
        places.add(place);
        found.push(pkg);
      }
    }
  }
  return found;
}

/** The installed package `name`, found as {@link findBackendPackages} looks, whether or not it declares a backend. */
export function findPackage(name: string, starts: readonly string[]): BackendPackage | undefined {
  for (const start of starts) {
    for (const nodeModules of nodeModulesFolders(start)) {
      const dir = join(nodeModules, ...name.split('/'));
      const manifest = readManifest(dir);
      if (manifest !== undefined) return describe(dir, manifest) ?? { name, version: undefined, dir, manifest };
    }
  }
  return undefined;
}
