import { describe, expect, it } from 'vitest';
import {
  appendFileContent,
  basenameOf,
  dirnameOf,
  FsError,
  fileContent,
  MemoryFileTree,
  normalizePath,
} from './memory-file-tree.js';

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array) => new TextDecoder().decode(data);

function fsCode(call: () => unknown): string | undefined {
  try {
    call();
  } catch (error) {
    if (error instanceof FsError) return error.code;
    throw error;
  }
  return undefined;
}

describe('MemoryFileTree', () => {
  it('creates folders and files, and reports errno-like failures', () => {
    const tree = new MemoryFileTree();
    tree.mkdir('/a/b', { parents: true });
    tree.writeFile('/a/b/f', bytes('x'), { mode: 0o755 });
    expect(text(tree.readFile('f', '/a/b'))).toBe('x');
    expect(tree.lookup('/a/b/f')).toMatchObject({ kind: 'file', mode: 0o755 });
    expect(fsCode(() => tree.readFile('/a/missing'))).toBe('ENOENT');
    expect(fsCode(() => tree.readFile('/a'))).toBe('EISDIR');
    expect(fsCode(() => tree.readFile('/a/b/f/inner'))).toBe('ENOTDIR');
    expect(fsCode(() => tree.mkdir('/a'))).toBe('EEXIST');
    expect(fsCode(() => tree.mkdir('/a/b/f/g', { parents: true }))).toBe('ENOTDIR');
    expect(fsCode(() => tree.remove('/a'))).toBe('EISDIR');
    expect(fsCode(() => tree.remove('/a', { directory: true }))).toBe('ENOTEMPTY');
    tree.remove('/a', { recursive: true });
    expect(tree.lookup('/a')).toBeUndefined();
  });

  it('follows symbolic links on the way and at the end, but lists and removes the link itself', () => {
    const tree = new MemoryFileTree();
    tree.mkdir('/real/sub', { parents: true });
    tree.writeFile('/real/sub/f', bytes('content'));
    tree.symlink('/real', '/abs');
    tree.symlink('sub/f', '/real/rel');
    expect(text(tree.readFile('/abs/sub/f'))).toBe('content');
    expect(text(tree.readFile('/abs/rel'))).toBe('content');
    expect(tree.locate('/abs/sub/f').path).toBe('/real/sub/f');
    expect(tree.lookup('/abs', '/', false)).toEqual({ kind: 'symlink', target: '/real' });
    expect(tree.list('/abs')).toEqual({ directories: ['sub'], files: ['sub/f'] });
    tree.remove('/abs');
    expect(tree.lookup('/real/sub/f')).toBeDefined();
  });

  it('writes through a dangling link to create its target, and stops link loops with ELOOP', () => {
    const tree = new MemoryFileTree();
    tree.symlink('/target', '/dangling');
    tree.writeFile('/dangling', bytes('via link'));
    expect(text(tree.readFile('/target'))).toBe('via link');
    tree.symlink('/loop-b', '/loop-a');
    tree.symlink('/loop-a', '/loop-b');
    expect(fsCode(() => tree.readFile('/loop-a'))).toBe('ELOOP');
    expect(tree.lookup('/loop-a')).toBeUndefined();
  });

  it('clones deeply: writes on either side never show on the other', () => {
    const tree = new MemoryFileTree();
    tree.writeFile('/f', bytes('original'));
    appendFileContent(tree.lookup('/f') as never, bytes('+'));
    const copy = tree.clone();
    appendFileContent(copy.lookup('/f') as never, bytes('copy'));
    appendFileContent(tree.lookup('/f') as never, bytes('tree'));
    copy.mkdir('/only-in-copy');
    expect(text(tree.readFile('/f'))).toBe('original+tree');
    expect(text(copy.readFile('/f'))).toBe('original+copy');
    expect(tree.lookup('/only-in-copy')).toBeUndefined();
  });

  it('appends in place with room to grow, keeping earlier views intact', () => {
    const tree = new MemoryFileTree();
    tree.writeFile('/log', new Uint8Array(0));
    const node = tree.lookup('/log') as Parameters<typeof fileContent>[0];
    for (let i = 0; i < 1000; i += 1) appendFileContent(node, bytes(`${i}\n`));
    const view = fileContent(node);
    appendFileContent(node, bytes('more'));
    expect(text(view).endsWith('999\n')).toBe(true);
    expect(text(fileContent(node)).endsWith('999\nmore')).toBe(true);
    expect(node.bytes.length).toBeLessThan(2 * node.size + 64);
  });

  it('renames, refusing to move a folder into itself', () => {
    const tree = new MemoryFileTree();
    tree.mkdir('/d/e', { parents: true });
    tree.rename('/d', '/moved');
    expect(tree.lookup('/moved/e')?.kind).toBe('directory');
    expect(fsCode(() => tree.rename('/moved', '/moved/e/inside'))).toBe('EINVAL');
  });

  it('has a base image with the usual folders, /dev/null and /bin entries', () => {
    const tree = MemoryFileTree.base(['sh', 'env']);
    for (const dir of ['/bin', '/etc', '/root', '/tmp', '/usr/local/bin'])
      expect(tree.lookup(dir)?.kind).toBe('directory');
    expect(tree.lookup('/dev/null')?.kind).toBe('device');
    expect(tree.lookup('/bin/sh')).toMatchObject({ kind: 'file', mode: 0o755 });
    expect(tree.lookup('/usr/bin/env')?.kind).toBe('file');
    expect(tree.lookup('/tmp')).toMatchObject({ mode: 0o1777 });
  });
});

describe('path helpers', () => {
  it.each([
    ['/a/./b/../c', '/', '/a/c'],
    ['x/y', '/base', '/base/x/y'],
    ['../..', '/a', '/'],
    ['/', '/a', '/'],
  ])('normalizePath(%s, %s) is %s', (path, cwd, expected) => {
    expect(normalizePath(path, cwd)).toBe(expected);
  });

  it.each([
    ['/a/b/c', '/a/b', 'c'],
    ['/a/b/', '/a', 'b'],
    ['c', '.', 'c'],
    ['/', '/', '/'],
    ['/top', '/', 'top'],
  ])('dirname and basename of %s', (path, dir, base) => {
    expect(dirnameOf(path)).toBe(dir);
    expect(basenameOf(path)).toBe(base);
  });
});
