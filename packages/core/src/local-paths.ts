import { lstat, mkdir, unlink } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { InvalidArgumentError } from './errors/invalid-argument-error.js';

/**
 * Resolves `relativePath` (a path from a remote listing or archive, `/`-separated) under
 * `root`, and refuses anything that would land outside it: absolute paths, `..` segments, and
 * — checked on disk — a folder on the way that is a symbolic link (a remote symlink that an
 * earlier step created locally must not redirect a later write).
 *
 * Creates the missing folders on the way; with `kind: 'directory'` the path itself too.
 * For a file, an existing link at the path is removed so the write replaces the link.
 * @throws InvalidArgumentError naming `argument` when the path would escape `root`.
 */
export async function resolveInsideLocalRoot(
  root: string,
  relativePath: string,
  argument = 'remote entry',
  kind: 'file' | 'directory' = 'file',
): Promise<string> {
  const absoluteRoot = resolve(root);
  const refuse = (why: string): never => {
    throw new InvalidArgumentError({
      argument,
      message: `${JSON.stringify(relativePath)} ${why}; refused so nothing is written outside ${absoluteRoot}`,
    });
  };
  if (isAbsolute(relativePath) || relativePath.split('/').includes('..')) refuse('is absolute or climbs with ".."');
  const target = resolve(absoluteRoot, relativePath);
  const fromRoot = relative(absoluteRoot, target);
  if (fromRoot.startsWith(`..${sep}`) || fromRoot === '..' || isAbsolute(fromRoot))
    refuse('resolves outside the destination');

  await mkdir(absoluteRoot, { recursive: true });
  const parts = fromRoot === '' ? [] : fromRoot.split(sep);
  const folders = kind === 'directory' ? parts : parts.slice(0, -1);
  let current = absoluteRoot;
  for (const part of folders) {
    current = `${current}${sep}${part}`;
    const info = await lstat(current).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (info === undefined) {
      await mkdir(current);
    } else if (info.isSymbolicLink()) {
      refuse(`passes through ${current}, a symbolic link`);
    } else if (!info.isDirectory()) {
      refuse(`passes through ${current}, which is not a folder`);
    }
  }
  if (kind === 'file' && parts.length > 0) {
    const existing = await lstat(target).catch(() => undefined);
    if (existing?.isSymbolicLink()) await unlink(target);
  }
  return target;
}

/** Joins POSIX path segments for paths inside a container. */
export function joinRemotePath(base: string, ...parts: string[]): string {
  let out = base.length > 1 && base.endsWith('/') ? base.replace(/\/+$/, '') : base;
  for (const part of parts) {
    if (part === '' || part === '.') continue;
    out = out === '/' ? `/${part}` : `${out}/${part}`;
  }
  return out;
}
