import type { RemoteTree } from '@snapbox/core';

/** The errno-like failures of {@link MemoryFileTree}; messages match what coreutils prints. */
export type FsErrorCode = 'ENOENT' | 'ENOTDIR' | 'EISDIR' | 'EEXIST' | 'ENOTEMPTY' | 'ELOOP' | 'EINVAL';

const messages: Record<FsErrorCode, string> = {
  ENOENT: 'No such file or directory',
  ENOTDIR: 'Not a directory',
  EISDIR: 'Is a directory',
  EEXIST: 'File exists',
  ENOTEMPTY: 'Directory not empty',
  ELOOP: 'Too many levels of symbolic links',
  EINVAL: 'Invalid argument',
};

/** A failed file-tree operation. `reason` is the strerror text the shell prints. */
export class FsError extends Error {
  readonly code: FsErrorCode;
  readonly path: string;
  readonly reason: string;

  constructor(code: FsErrorCode, path: string) {
    super(`${path}: ${messages[code]}`);
    this.code = code;
    this.path = path;
    this.reason = messages[code];
  }
}

/**
 * A regular file. `bytes` may be longer than `size` (spare room for appends); it is shared with
 * clones until someone writes, which is why a node only appends in place when it `owns` it.
 */
export interface FileNode {
  kind: 'file';
  mode: number;
  bytes: Uint8Array;
  size: number;
  owned: boolean;
}

export interface DirectoryNode {
  kind: 'directory';
  mode: number;
  entries: Map<string, FsNode>;
}

export interface SymlinkNode {
  kind: 'symlink';
  target: string;
}

/** `/dev/null`: reads as empty, swallows writes. */
export interface DeviceNode {
  kind: 'device';
  mode: number;
}

export type FsNode = FileNode | DirectoryNode | SymlinkNode | DeviceNode;

/** Where a path leads: its folder, its last name, and the node there if any. */
export interface Location {
  parent: DirectoryNode | undefined;
  name: string;
  node: FsNode | undefined;
  /** The physical absolute path (links resolved, except the last one when not followed). */
  path: string;
}

const maxLinkHops = 40;
const empty = new Uint8Array(0);

/** Lexically normalises `path` against `cwd` (no link resolution): `/a/./b/../c` → `/a/c`. */
export function normalizePath(path: string, cwd = '/'): string {
  const parts: string[] = [];
  for (const part of (path.startsWith('/') ? path : `${cwd}/${path}`).split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return `/${parts.join('/')}`;
}

/** The folder part of a POSIX path, as `dirname` prints it. */
export function dirnameOf(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  if (trimmed === '') return path.startsWith('/') ? '/' : '.';
  const index = trimmed.lastIndexOf('/');
  if (index < 0) return '.';
  return trimmed.slice(0, index).replace(/\/+$/, '') || '/';
}

/** The last part of a POSIX path, as `basename` prints it. */
export function basenameOf(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  if (trimmed === '') return path.startsWith('/') ? '/' : '';
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

/** The current content of a file (a view: callers must not mutate it). */
export function fileContent(node: FileNode): Uint8Array {
  return node.bytes.subarray(0, node.size);
}

/** Replaces a file's content with a private copy of `data`. */
export function setFileContent(node: FileNode, data: Uint8Array): void {
  node.bytes = data.slice();
  node.size = data.length;
  node.owned = true;
}

/**
 * Appends to a file in amortised O(chunk): spare room is used when the node owns its buffer,
 * so a loop of `echo x >> f` does not copy the whole file on every line.
 */
export function appendFileContent(node: FileNode, chunk: Uint8Array): void {
  if (chunk.length === 0) return;
  const needed = node.size + chunk.length;
  if (!node.owned || needed > node.bytes.length) {
    const grown = new Uint8Array(Math.max(needed, node.size * 2, 64));
    grown.set(fileContent(node));
    node.bytes = grown;
    node.owned = true;
  }
  node.bytes.set(chunk, node.size);
  node.size = needed;
}

function newFile(data: Uint8Array, mode: number): FileNode {
  return { kind: 'file', mode, bytes: data, size: data.length, owned: false };
}

function newDirectory(mode = 0o755): DirectoryNode {
  return { kind: 'directory', mode, entries: new Map() };
}

/** Deep-copies a node. File buffers are shared copy-on-write: both sides lose ownership. */
export function cloneNode(node: FsNode): FsNode {
  switch (node.kind) {
    case 'file':
      node.owned = false;
      return { kind: 'file', mode: node.mode, bytes: node.bytes, size: node.size, owned: false };
    case 'directory': {
      const copy = newDirectory(node.mode);
      for (const [name, child] of node.entries) copy.entries.set(name, cloneNode(child));
      return copy;
    }
    case 'symlink':
      return { kind: 'symlink', target: node.target };
    case 'device':
      return { kind: 'device', mode: node.mode };
  }
}

/**
 * The in-memory filesystem of one memory container: folders, regular files (bytes and mode),
 * symbolic links, and `/dev/null`. Paths are POSIX; relative ones resolve against `cwd`.
 * Links are followed like the kernel does (at most 40 hops, then `ELOOP`).
 */
export class MemoryFileTree {
  readonly root: DirectoryNode;

  constructor(root: DirectoryNode = newDirectory()) {
    this.root = root;
  }

  /** An independent deep copy (file bytes are shared copy-on-write). */
  clone(): MemoryFileTree {
    return new MemoryFileTree(cloneNode(this.root) as DirectoryNode);
  }

  /**
   * Resolves `path`. Missing intermediate folders throw (`ENOENT`, `ENOTDIR`); a missing last
   * part is returned with `node: undefined` so callers can create it. With `follow`, a link as
   * the last part is resolved too (a dangling one yields its missing target).
   */
  locate(path: string, cwd = '/', follow = true): Location {
    const start = path.startsWith('/') ? path : `${cwd}/${path}`;
    const pending = start
      .split('/')
      .filter((part) => part !== '')
      .reverse();
    const dirs: DirectoryNode[] = [this.root];
    const names: string[] = [];
    const here = (): Location => ({
      parent: dirs.length > 1 ? dirs[dirs.length - 2] : undefined,
      name: names[names.length - 1] ?? '',
      node: dirs[dirs.length - 1],
      path: `/${names.join('/')}`,
    });
    let hops = 0;
    while (pending.length > 0) {
      const part = pending.pop()!;
      const isLast = pending.length === 0;
      const dir = dirs[dirs.length - 1]!;
      if (part === '.' || part === '..') {
        if (part === '..' && dirs.length > 1) {
          dirs.pop();
          names.pop();
        }
        if (isLast) return here();
        continue;
      }
      const child = dir.entries.get(part);
      const childPath = names.length === 0 ? `/${part}` : `/${names.join('/')}/${part}`;
      if (child === undefined) {
        if (isLast) return { parent: dir, name: part, node: undefined, path: childPath };
        throw new FsError('ENOENT', path);
      }
      if (child.kind === 'symlink' && (!isLast || follow)) {
        hops += 1;
        if (hops > maxLinkHops) throw new FsError('ELOOP', path);
        if (child.target.startsWith('/')) {
          dirs.length = 1;
          names.length = 0;
        }
        const targetParts = child.target.split('/').filter((p) => p !== '');
        for (let i = targetParts.length - 1; i >= 0; i -= 1) pending.push(targetParts[i]!);
        if (pending.length === 0) return here();
        continue;
      }
      if (isLast) return { parent: dir, name: part, node: child, path: childPath };
      if (child.kind !== 'directory') throw new FsError('ENOTDIR', path);
      dirs.push(child);
      names.push(part);
    }
    return here();
  }

  /** The node at `path`, or `undefined` when anything on the way is missing. Never throws. */
  lookup(path: string, cwd = '/', follow = true): FsNode | undefined {
    try {
      return this.locate(path, cwd, follow).node;
    } catch {
      return undefined;
    }
  }

  /** The physical path of an existing `path` (all links resolved). */
  realpath(path: string, cwd = '/'): string {
    const location = this.locate(path, cwd, true);
    if (location.node === undefined) throw new FsError('ENOENT', path);
    return location.path;
  }

  /** The folder at `path` (links followed). */
  directory(path: string, cwd = '/'): DirectoryNode {
    const node = this.locate(path, cwd, true).node;
    if (node === undefined) throw new FsError('ENOENT', path);
    if (node.kind !== 'directory') throw new FsError('ENOTDIR', path);
    return node;
  }

  /** A file's bytes (a view, do not mutate). `/dev/null` reads as empty. */
  readFile(path: string, cwd = '/'): Uint8Array {
    const node = this.locate(path, cwd, true).node;
    if (node === undefined) throw new FsError('ENOENT', path);
    if (node.kind === 'directory') throw new FsError('EISDIR', path);
    if (node.kind === 'device') return empty;
    return fileContent(node as FileNode);
  }

  /**
   * Opens `path` for writing like `open(O_CREAT)`: creates it (with `mode`) when missing,
   * truncates it unless `append`. Returns `undefined` for `/dev/null`.
   */
  openForWrite(path: string, options: { cwd?: string; append?: boolean; mode?: number } = {}): FileNode | undefined {
    const location = this.locate(path, options.cwd ?? '/', true);
    const node = location.node;
    if (node === undefined) {
      if (location.parent === undefined) throw new FsError('EISDIR', path);
      const created = newFile(empty, options.mode ?? 0o644);
      location.parent.entries.set(location.name, created);
      return created;
    }
    if (node.kind === 'directory') throw new FsError('EISDIR', path);
    if (node.kind === 'device') return undefined;
    const file = node as FileNode;
    if (!options.append) setFileContent(file, empty);
    return file;
  }

  /** Writes a whole file, creating it (and, with `parents`, its folders). Keeps an existing mode unless `mode` is given. */
  writeFile(path: string, data: Uint8Array, options: { cwd?: string; mode?: number; parents?: boolean } = {}): void {
    const cwd = options.cwd ?? '/';
    if (options.parents) this.mkdir(dirnameOf(normalizePath(path, cwd)), { parents: true });
    const file = this.openForWrite(path, { cwd, mode: options.mode });
    if (file === undefined) return;
    setFileContent(file, data);
    if (options.mode !== undefined) file.mode = options.mode;
  }

  /** `mkdir` (`parents`: `mkdir -p`, no error when it exists as a folder). */
  mkdir(path: string, options: { cwd?: string; parents?: boolean; mode?: number } = {}): void {
    const cwd = options.cwd ?? '/';
    if (options.parents) {
      const parts = normalizePath(path, cwd).split('/').filter(Boolean);
      for (let i = 1; i <= parts.length; i += 1) {
        const prefix = `/${parts.slice(0, i).join('/')}`;
        const location = this.locate(prefix, '/', true);
        if (location.node === undefined) location.parent!.entries.set(location.name, newDirectory(options.mode));
        else if (location.node.kind !== 'directory') throw new FsError(i === parts.length ? 'EEXIST' : 'ENOTDIR', path);
      }
      return;
    }
    const location = this.locate(path, cwd, false);
    if (location.node !== undefined) throw new FsError('EEXIST', path);
    location.parent!.entries.set(location.name, newDirectory(options.mode));
  }

  /** Creates a symbolic link at `path` pointing to `target` (stored as given, not resolved). */
  symlink(target: string, path: string, cwd = '/'): void {
    const location = this.locate(path, cwd, false);
    if (location.node !== undefined || location.parent === undefined) throw new FsError('EEXIST', path);
    location.parent.entries.set(location.name, { kind: 'symlink', target });
  }

  /** Removes `path` (a link itself, never its target). Folders need `recursive` unless empty and `directory`. */
  remove(path: string, options: { cwd?: string; recursive?: boolean; directory?: boolean } = {}): void {
    const location = this.locate(path, options.cwd ?? '/', false);
    if (location.node === undefined) throw new FsError('ENOENT', path);
    if (location.parent === undefined) throw new FsError('EINVAL', path);
    if (location.node.kind === 'directory' && !options.recursive) {
      if (!options.directory) throw new FsError('EISDIR', path);
      if (location.node.entries.size > 0) throw new FsError('ENOTEMPTY', path);
    }
    location.parent.entries.delete(location.name);
  }

  /** Sorted names in a folder (links followed to reach it). */
  readdir(path: string, cwd = '/'): string[] {
    return [...this.directory(path, cwd).entries.keys()].sort();
  }

  /** Moves `from` to `to` (`to` is the new full path; an existing file there is replaced). */
  rename(from: string, to: string, cwd = '/'): void {
    const source = this.locate(from, cwd, false);
    if (source.node === undefined || source.parent === undefined) throw new FsError('ENOENT', from);
    const target = this.locate(to, cwd, false);
    if (target.parent === undefined) throw new FsError('EEXIST', to);
    if (target.node?.kind === 'directory') {
      if (source.node.kind !== 'directory') throw new FsError('EISDIR', to);
      if (target.node.entries.size > 0) throw new FsError('ENOTEMPTY', to);
    } else if (target.node !== undefined && source.node.kind === 'directory') {
      throw new FsError('ENOTDIR', to);
    }
    if (source.node.kind === 'directory' && `${target.path}/`.startsWith(`${source.path}/`)) {
      throw new FsError('EINVAL', to);
    }
    source.parent.entries.delete(source.name);
    target.parent.entries.set(target.name, source.node);
  }

  /** Places a copy of `node` at `path` (replacing what is there). */
  place(path: string, node: FsNode, cwd = '/'): void {
    const location = this.locate(path, cwd, false);
    if (location.parent === undefined) throw new FsError('EEXIST', path);
    location.parent.entries.set(location.name, cloneNode(node));
  }

  /**
   * Lists a folder the way `downloadDir` needs: folders (parents first) and regular files,
   * relative and `/`-separated. Links inside are neither listed nor followed.
   */
  list(path: string): RemoteTree {
    const tree: RemoteTree = { directories: [], files: [] };
    const walk = (dir: DirectoryNode, prefix: string): void => {
      for (const name of [...dir.entries.keys()].sort()) {
        const child = dir.entries.get(name)!;
        const relative = prefix === '' ? name : `${prefix}/${name}`;
        if (child.kind === 'directory') {
          tree.directories.push(relative);
          walk(child, relative);
        } else if (child.kind === 'file') {
          tree.files.push(relative);
        }
      }
    };
    walk(this.directory(path), '');
    return tree;
  }

  /**
   * The filesystem every memory image starts from: the usual top-level folders, `/dev/null`,
   * a few files in `/etc`, and `/bin` entries for the built-in commands so `test -x /bin/sh`
   * and `command -v cat` answer like a real image.
   */
  static base(binaries: readonly string[]): MemoryFileTree {
    const tree = new MemoryFileTree();
    for (const dir of ['/bin', '/dev', '/etc', '/home', '/root', '/tmp', '/usr/bin', '/usr/local/bin', '/var/tmp']) {
      tree.mkdir(dir, { parents: true });
    }
    tree.directory('/root').mode = 0o700;
    tree.directory('/tmp').mode = 0o1777;
    tree.directory('/dev').entries.set('null', { kind: 'device', mode: 0o666 });
    const text = (content: string) => new TextEncoder().encode(content);
    tree.writeFile('/etc/os-release', text('NAME="snapbox memory"\nID=snapbox-memory\n'));
    tree.writeFile('/etc/passwd', text('root:x:0:0:root:/root:/bin/bash\n'));
    tree.writeFile('/etc/hostname', text('localhost\n'));
    for (const name of binaries) tree.writeFile(`/bin/${name}`, builtinMarker(name), { mode: 0o755 });
    tree.symlink('/bin/env', '/usr/bin/env');
    return tree;
  }
}

const markerPrefix = '#!/bin/sh\n# snapbox memory backend built-in: ';

/** The content of `/bin/<name>`: a marker telling the shell to run its built-in command. */
export function builtinMarker(name: string): Uint8Array {
  return new TextEncoder().encode(`${markerPrefix}${name}\n`);
}

/** The built-in command a `/bin` marker file stands for, if `data` is one. */
export function readBuiltinMarker(data: Uint8Array): string | undefined {
  if (data.length > 200) return undefined;
  const text = new TextDecoder().decode(data);
  return text.startsWith(markerPrefix) ? text.slice(markerPrefix.length).trim() : undefined;
}
