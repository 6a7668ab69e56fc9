import { lstat, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from './errors/invalid-argument-error.js';
import { joinRemotePath, resolveInsideLocalRoot } from './local-paths.js';

describe('resolveInsideLocalRoot', () => {
  let root = '';
  let outside = '';
  beforeEach(async () => {
    const base = await mkdtemp(join(tmpdir(), 'snapbox-local-paths-'));
    root = join(base, 'root');
    outside = join(base, 'outside');
    await mkdir(outside);
  });
  afterEach(async () => {
    await rm(join(root, '..'), { recursive: true, force: true });
  });

  const refused = async (promise: Promise<unknown>): Promise<InvalidArgumentError> => {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(InvalidArgumentError.isInstance(error)).toBe(true);
    return error as InvalidArgumentError;
  };

  it('creates the root and the folders on the way, and returns the absolute target', async () => {
    const target = await resolveInsideLocalRoot(root, 'a/b/file.txt');
    expect(target).toBe(join(resolve(root), 'a', 'b', 'file.txt'));
    expect((await lstat(join(root, 'a', 'b'))).isDirectory()).toBe(true);
    await expect(lstat(target)).rejects.toThrow();
  });

  it("creates the path itself with kind 'directory', and the root for ''", async () => {
    await resolveInsideLocalRoot(root, 'x/y', 'remote folder', 'directory');
    expect((await lstat(join(root, 'x', 'y'))).isDirectory()).toBe(true);
    expect(await resolveInsideLocalRoot(join(root, 'fresh'), '', 'localDir', 'directory')).toBe(resolve(root, 'fresh'));
    expect((await lstat(join(root, 'fresh'))).isDirectory()).toBe(true);
  });

  it('refuses ".." segments and absolute paths, naming the argument', async () => {
    const climbing = await refused(resolveInsideLocalRoot(root, '../escape.txt', 'remote file'));
    expect(climbing.argument).toBe('remote file');
    expect(climbing.message).toMatch(/climbs/);
    await refused(resolveInsideLocalRoot(root, 'a/../../escape.txt'));
    await refused(resolveInsideLocalRoot(root, '/etc/passwd'));
    await expect(lstat(join(root, '..', 'escape.txt'))).rejects.toThrow();
  });

  it('refuses a path through a folder that is a symbolic link, writing nothing outside', async () => {
    await mkdir(root, { recursive: true });
    await symlink(outside, join(root, 'link'));
    const error = await refused(resolveInsideLocalRoot(root, 'link/evil.txt'));
    expect(error.message).toMatch(/symbolic link/);
    await refused(resolveInsideLocalRoot(root, 'link/sub', 'remote folder', 'directory'));
    expect(await readFile(join(outside, 'evil.txt')).catch(() => 'absent')).toBe('absent');
  });

  it('refuses a path through a regular file', async () => {
    await mkdir(root, { recursive: true });
    await writeFile(join(root, 'file'), 'x');
    expect((await refused(resolveInsideLocalRoot(root, 'file/inner'))).message).toMatch(/not a folder/);
  });

  it('removes a link at the target so the write replaces it instead of following it', async () => {
    await mkdir(root, { recursive: true });
    await writeFile(join(outside, 'victim.txt'), 'keep me');
    await symlink(join(outside, 'victim.txt'), join(root, 'file.txt'));
    const target = await resolveInsideLocalRoot(root, 'file.txt');
    await expect(lstat(target)).rejects.toThrow();
    await writeFile(target, 'new');
    expect(await readFile(join(outside, 'victim.txt'), 'utf8')).toBe('keep me');
  });
});

describe('joinRemotePath', () => {
  it.each([
    [['/', 'a', 'b'], '/a/b'],
    [['/tmp', 'x'], '/tmp/x'],
    [['/tmp/', 'x'], '/tmp/x'],
    [['/tmp//', 'x'], '/tmp/x'],
    [['/tmp', '', '.', 'y'], '/tmp/y'],
    [['/tmp'], '/tmp'],
    [['/'], '/'],
  ])('joinRemotePath(%j) is %s', (parts, expected) => {
    const [base, ...rest] = parts as [string, ...string[]];
    expect(joinRemotePath(base, ...rest)).toBe(expected);
  });
});
