import { realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type BackendAdmin, isBackendAdmin } from '@snapbox/core';
import { adminEntryFile } from './admin-entry.js';
import {
  type BackendPackage,
  declaresBackend,
  findBackendPackages,
  findPackage,
  readManifest,
} from './backend-packages.js';

/** How the CLI came to a backend. */
export type BackendVia = 'node_modules' | 'SNAPBOX_BACKENDS' | '--backend';

/** Where a backend came from, for messages and `snapbox backends`. */
export interface BackendOrigin {
  /** Found in node_modules, listed in `SNAPBOX_BACKENDS`, or named with `--backend`. */
  readonly via: BackendVia;
  /** What named it: the package name, or the path as given. */
  readonly spec: string;
  /** The package name, when it is a package. */
  readonly package?: string | undefined;
  /** The package version, when its package.json has one. */
  readonly version?: string | undefined;
  /** The package folder, when it is a package. */
  readonly dir?: string | undefined;
  /** The admin module's file, once known. */
  readonly module?: string | undefined;
}

/** A backend whose admin module loaded. */
export interface LoadedBackend {
  /** Where it came from. */
  readonly origin: BackendOrigin;
  /** Its admin. */
  readonly admin: BackendAdmin;
}

/** A backend whose admin module could not be loaded, and why. */
export interface FailedBackend {
  /** Where it came from. */
  readonly origin: BackendOrigin;
  /** Why it failed, in a sentence that follows the backend's name. */
  readonly error: Error;
}

/** What {@link loadBackends} found. */
export interface Backends {
  /** The backends to use, in the order they were found. */
  readonly loaded: readonly LoadedBackend[];
  /** The ones that failed to load: reported, not fatal to the others. */
  readonly failed: readonly FailedBackend[];
}

/** Where {@link loadBackends} looks. */
export interface BackendSearch {
  /** The folder whose node_modules (and those above it) are searched first. Default: the current folder. */
  readonly cwd?: string | undefined;
  /** Where `SNAPBOX_BACKENDS` is read. Default: `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
  /** `--backend` values: only these backends (a backend name, a package name, or a path). */
  readonly only?: readonly string[] | undefined;
  /** The CLI's own folder, whose node_modules (and those above) are searched next. Default: this module's. */
  readonly cliDir?: string | undefined;
}

interface Candidate {
  readonly origin: BackendOrigin;
  readonly file?: string;
  readonly problem?: Error;
}

/** The name a message gives a backend that has not loaded: its package, else what named it. */
export function originName(origin: BackendOrigin): string {
  return origin.package ?? origin.spec;
}

const isPathSpec = (spec: string) => spec.startsWith('.') || spec.startsWith('file:') || isAbsolute(spec);

function fromPackage(pkg: BackendPackage, via: BackendVia, spec: string): Candidate {
  const origin: BackendOrigin = { via, spec, package: pkg.name, version: pkg.version, dir: pkg.dir };
  if (!declaresBackend(pkg.manifest)) {
    return {
      origin,
      problem: new Error(
        `its package.json does not declare a snapbox backend ("snapbox": { "admin": "./admin" }, see docs/writing-a-backend.md)`,
      ),
    };
  }
  try {
    const file = adminEntryFile(pkg);
    return { origin: { ...origin, module: file }, file };
  } catch (error) {
    return { origin, problem: error as Error };
  }
}

function fromSpec(spec: string, via: BackendVia, cwd: string, starts: readonly string[]): Candidate {
  if (isPathSpec(spec)) {
    const path = spec.startsWith('file:') ? fileURLToPath(spec) : resolve(cwd, spec);
    const stat = statSync(path, { throwIfNoEntry: false });
    if (stat === undefined) return { origin: { via, spec }, problem: new Error(`${path} does not exist`) };
    if (!stat.isDirectory()) return { origin: { via, spec, module: path }, file: path };
    const manifest = readManifest(path);
    if (manifest === undefined) {
      return { origin: { via, spec, dir: path }, problem: new Error(`${path} has no readable package.json`) };
    }
    const name = typeof manifest.name === 'string' ? manifest.name : path;
    const version = typeof manifest.version === 'string' ? manifest.version : undefined;
    return fromPackage({ name, version, dir: path, manifest }, via, spec);
  }
  const pkg = findPackage(spec, starts);
  if (pkg === undefined) {
    return {
      origin: { via, spec },
      problem: new Error(
        `no package ${spec} is installed in the node_modules folders of ${cwd} or of the snapbox command`,
      ),
    };
  }
  return fromPackage(pkg, via, spec);
}

async function load(candidate: Candidate): Promise<LoadedBackend | FailedBackend> {
  const { origin } = candidate;
  if (candidate.file === undefined) return { origin, error: candidate.problem ?? new Error('no admin module') };
  try {
    // By its real path, as Node resolves packages, so that it shares the modules it imports.
    const module = (await import(pathToFileURL(realpathSync(candidate.file)).href)) as { createAdmin?: unknown };
    if (typeof module.createAdmin !== 'function') {
      return { origin, error: new Error(`its admin module ${candidate.file} does not export a createAdmin function`) };
    }
    const admin: unknown = await (module.createAdmin as () => unknown)();
    if (!isBackendAdmin(admin)) {
      return {
        origin,
        error: new Error(
          `createAdmin() of ${candidate.file} returned something that is not a BackendAdmin (backend, describeTarget, list, prune)`,
        ),
      };
    }
    return { origin, admin };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      origin,
      error: new Error(`its admin module ${candidate.file} failed to load: ${message}`, { cause: error }),
    };
  }
}

function split(results: readonly (LoadedBackend | FailedBackend)[]): Backends {
  const seen = new Set<string>();
  const loaded: LoadedBackend[] = [];
  const failed: FailedBackend[] = [];
  for (const result of results) {
    const key = result.origin.module ?? `${result.origin.via}:${result.origin.spec}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if ('admin' in result) loaded.push(result);
    else failed.push(result);
  }
  return { loaded, failed };
}

/**
 * Finds the backends the CLI uses and loads their admin modules (see docs/writing-a-backend.md,
 * "How the CLI finds your backend"):
 *
 * 1. `SNAPBOX_BACKENDS`, when set, lists them: comma-separated package names (found in
 *    node_modules as below) or paths (a package folder, or an admin module file). Nothing else is
 *    searched.
 * 2. Otherwise every package with a `"snapbox": { "admin": ... }` field in the node_modules folders
 *    from the current folder upward, then from the CLI's own install location upward (a global
 *    install finds the backends installed globally beside it).
 * 3. `--backend` (`only`) keeps the backends it names: by backend name (`docker`), package name,
 *    or a path, which is loaded even when nothing found it.
 *
 * Each admin module is imported and its `createAdmin()` called; one that fails is in `failed`,
 * and the others load all the same.
 */
export async function loadBackends(search: BackendSearch = {}): Promise<Backends> {
  const cwd = resolve(search.cwd ?? process.cwd());
  const cliDir = search.cliDir ?? dirname(fileURLToPath(import.meta.url));
  const starts = [cwd, cliDir];
  const env = search.env ?? process.env;
  const listed = (env.SNAPBOX_BACKENDS ?? '')
    .split(',')
    .map((spec) => spec.trim())
    .filter((spec) => spec !== '');
  const candidates =
    listed.length > 0
      ? listed.map((spec) => fromSpec(spec, 'SNAPBOX_BACKENDS', cwd, starts))
      : findBackendPackages(starts).map((pkg) => fromPackage(pkg, 'node_modules', pkg.name));
  const loads = new Map<Candidate, Promise<LoadedBackend | FailedBackend>>();
  const loadOnce = (candidate: Candidate) => {
    let result = loads.get(candidate);
    if (result === undefined) {
      result = load(candidate);
      loads.set(candidate, result);
    }
    return result;
  };
  if (search.only === undefined || search.only.length === 0) return split(await Promise.all(candidates.map(loadOnce)));

  const results: (LoadedBackend | FailedBackend)[] = [];
  for (const name of search.only) {
    if (isPathSpec(name)) {
      results.push(await load(fromSpec(name, '--backend', cwd, starts)));
      continue;
    }
    const byPackage = candidates.filter((candidate) => candidate.origin.package === name);
    if (byPackage.length > 0) {
      results.push(...(await Promise.all(byPackage.map(loadOnce))));
      continue;
    }
    const all = await Promise.all(candidates.map(loadOnce));
    const byName = all.filter((result) => 'admin' in result && result.admin.backend === name);
    if (byName.length > 0) {
      results.push(...byName);
      continue;
    }
    const direct = fromSpec(name, '--backend', cwd, starts);
    if (direct.file !== undefined) {
      results.push(await load(direct));
      continue;
    }
    const known = all.flatMap((result) =>
      'admin' in result ? [`${result.admin.backend} (${originName(result.origin)})`] : [],
    );
    const reason =
      findPackage(name, starts) === undefined
        ? ''
        : ` The package ${name} is installed, but ${direct.problem?.message}.`;
    results.push({
      origin: { via: '--backend', spec: name },
      error: new Error(
        `no backend named "${name}" was found (${known.length === 0 ? 'none was' : `found: ${known.join(', ')}`}).${reason}`,
      ),
    });
  }
  return split(results);
}
