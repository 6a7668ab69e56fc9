import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BaseContainer, listLocalTree } from './base-container.js';
import type { ContainerState, ExecOptions, ExecResult, FileTransfer } from './container.js';
import { ContainerNotStartedError } from './errors/container-not-started-error.js';
import { InvalidArgumentError } from './errors/invalid-argument-error.js';
import { RemotePathNotFoundError } from './errors/remote-path-not-found-error.js';
import { UnsupportedCapabilityError } from './errors/unsupported-capability-error.js';

const ok = (stdout = '', exitCode = 0): ExecResult => ({
  exitCode,
  stdout,
  stderr: '',
  output: stdout,
  truncated: false,
});

/**
 * A backend that implements only the primitives, over a Map, and answers the `test`, `find`
 * and `mkdir` commands the base class sends through `exec`.
 */
class FakeContainer extends BaseContainer {
  readonly backend = 'fake';
  readonly name = 'fake-1';
  state: ContainerState = 'running';
  readonly files = new Map<string, Uint8Array>();
  readonly dirs = new Set<string>(['/']);
  readonly execCalls: Array<{ command: string | readonly string[]; options: ExecOptions | undefined }> = [];
  readonly transfers: Array<{ kind: 'upload' | 'download'; files: readonly FileTransfer[] }> = [];
  /** When set, `find` answers this listing instead of the real one (a hostile remote). */
  findOverride: { d: string[]; f: string[] } | undefined;

  async start(): Promise<void> {
    this.state = 'running';
  }
  async stop(): Promise<void> {
    this.state = 'stopped';
  }
  stopAndRemoveSync(): void {
    this.state = 'stopped';
  }

  async exec(command: string | readonly string[], options?: ExecOptions): Promise<ExecResult> {
    this.execCalls.push({ command, options });
    const argv = command as readonly string[];
    if (argv[0] === 'test' && argv[1] === '-d') return ok('', this.dirs.has(argv[2]!) ? 0 : 1);
    if (argv[0] === 'mkdir') {
      for (const dir of argv.slice(argv.indexOf('--') + 1)) {
        const parts = dir.split('/').filter(Boolean);
        for (let index = 1; index <= parts.length; index += 1) this.dirs.add(`/${parts.slice(0, index).join('/')}`);
      }
      return ok();
    }
    if (argv[0] === 'find') {
      const type = argv[argv.indexOf('-type') + 1] as 'd' | 'f';
      const base = options?.workdir ?? '/';
      const own = [...(type === 'd' ? this.dirs : this.files.keys())]
        .filter((path) => path.startsWith(`${base}/`))
        .map((path) => path.slice(base.length + 1));
      const entries = this.findOverride?.[type] ?? own;
      return ok(entries.map((entry) => `./${entry}\0`).join(''));
    }
    return ok('', 127);
  }

  async uploadFiles(files: readonly FileTransfer[]): Promise<void> {
    this.assertRunning('uploadFiles');
    this.transfers.push({ kind: 'upload', files });
    for (const file of files) this.files.set(file.remotePath, new Uint8Array(await readFile(file.localPath)));
  }

  async downloadFiles(files: readonly FileTransfer[]): Promise<void> {
    this.assertRunning('downloadFiles');
    this.transfers.push({ kind: 'download', files });
    for (const file of files) {
      const data = this.files.get(file.remotePath);
      if (data === undefined) throw new RemotePathNotFoundError({ remotePath: file.remotePath, container: this.name });
      await writeFile(file.localPath, data);
    }
  }
}

describe('BaseContainer derived methods', () => {
  let local = '';
  beforeAll(async () => {
    local = await mkdtemp(join(tmpdir(), 'snapbox-base-'));
  });
  afterAll(async () => {
    await rm(local, { recursive: true, force: true });
  });

  it('uploadFile and downloadFile are single transfers', async () => {
    const fake = new FakeContainer();
    await writeFile(join(local, 'one.txt'), 'one');
    await fake.uploadFile(join(local, 'one.txt'), '/r/one.txt');
    await fake.downloadFile('/r/one.txt', join(local, 'one-back.txt'));
    expect(fake.transfers).toEqual([
      { kind: 'upload', files: [{ localPath: join(local, 'one.txt'), remotePath: '/r/one.txt' }] },
      { kind: 'download', files: [{ localPath: join(local, 'one-back.txt'), remotePath: '/r/one.txt' }] },
    ]);
    expect(await readFile(join(local, 'one-back.txt'), 'utf8')).toBe('one');
  });

  it('writeFile and readFile go through a temporary local file and clean it up', async () => {
    const fake = new FakeContainer();
    await fake.writeFile('/r/text', 'héllo');
    await fake.writeFile('/r/bytes', new Uint8Array([0, 255]));
    expect(new TextDecoder().decode(await fake.readFile('/r/text'))).toBe('héllo');
    expect(await fake.readFile('/r/bytes')).toEqual(new Uint8Array([0, 255]));
    const temporary = fake.transfers.map((transfer) => transfer.files[0]!.localPath);
    for (const path of temporary) await expect(readFile(path)).rejects.toThrow();
  });

  it('writeFile and readFile validate their arguments and the state', async () => {
    const fake = new FakeContainer();
    await expect(fake.writeFile('relative', 'x')).rejects.toSatisfy(InvalidArgumentError.isInstance);
    await expect(fake.writeFile('/ok', 42 as unknown as string)).rejects.toThrow(/content/);
    await expect(fake.readFile('relative')).rejects.toThrow(/remotePath/);
    await expect(fake.readFile('/missing')).rejects.toSatisfy(RemotePathNotFoundError.isInstance);
    fake.state = 'created';
    const error = await fake.writeFile('/ok', 'x').catch((e: unknown) => e);
    expect(ContainerNotStartedError.isInstance(error)).toBe(true);
    expect((error as ContainerNotStartedError).operation).toBe('writeFile');
    await expect(fake.readFile('/ok')).rejects.toSatisfy(ContainerNotStartedError.isInstance);
    await expect(fake.uploadDir(local, '/x')).rejects.toSatisfy(ContainerNotStartedError.isInstance);
    await expect(fake.downloadDir('/x', local)).rejects.toSatisfy(ContainerNotStartedError.isInstance);
  });

  it('uploadDir sends the contents with relative paths, creating every folder, empty ones included', async () => {
    const fake = new FakeContainer();
    const source = join(local, 'upload-src');
    await mkdir(join(source, 'a', 'b'), { recursive: true });
    await mkdir(join(source, 'empty'));
    await writeFile(join(source, 'top.txt'), 'top');
    await writeFile(join(source, 'a', 'b', 'deep.txt'), 'deep');
    await fake.uploadDir(source, '/dest/');
    expect(fake.execCalls[0]!.command).toEqual(['mkdir', '-p', '--', '/dest/', '/dest/a', '/dest/a/b', '/dest/empty']);
    expect([...fake.files.keys()].sort()).toEqual(['/dest/a/b/deep.txt', '/dest/top.txt']);
    expect(fake.dirs.has('/dest/empty')).toBe(true);
  });

  it('uploadDir of an empty folder creates it without a transfer, and refuses a missing folder', async () => {
    const fake = new FakeContainer();
    await mkdir(join(local, 'empty-src'));
    await fake.uploadDir(join(local, 'empty-src'), '/only');
    expect(fake.dirs.has('/only')).toBe(true);
    expect(fake.transfers).toEqual([]);
    await expect(fake.uploadDir(join(local, 'missing'), '/x')).rejects.toThrow(/localDir/);
    await expect(fake.uploadDir(local, 'relative')).rejects.toThrow(/remoteDir/);
  });

  it('downloadDir lists with test and find, and writes the contents under the local folder', async () => {
    const fake = new FakeContainer();
    fake.dirs.add('/src');
    fake.dirs.add('/src/sub');
    fake.dirs.add('/src/empty');
    fake.files.set('/src/sub/f.txt', new TextEncoder().encode('f'));
    fake.files.set('/src/g.txt', new TextEncoder().encode('g'));
    const destination = join(local, 'download', 'nested');
    await fake.downloadDir('/src', destination);
    expect(await readFile(join(destination, 'sub', 'f.txt'), 'utf8')).toBe('f');
    expect(await readFile(join(destination, 'g.txt'), 'utf8')).toBe('g');
    expect((await readdir(destination)).sort()).toEqual(['empty', 'g.txt', 'sub']);
    expect(fake.execCalls.map((call) => (call.command as string[])[0])).toEqual(['test', 'find', 'find']);
  });

  it('downloadDir refuses a missing folder and hostile listings', async () => {
    const fake = new FakeContainer();
    await expect(fake.downloadDir('/missing', join(local, 'nowhere'))).rejects.toSatisfy(
      RemotePathNotFoundError.isInstance,
    );
    fake.dirs.add('/hostile');
    fake.files.set('/hostile/../escape.txt', new Uint8Array([1]));
    fake.findOverride = { d: [], f: ['../escape.txt'] };
    const destination = join(local, 'hostile-dest');
    await expect(fake.downloadDir('/hostile', destination)).rejects.toSatisfy(InvalidArgumentError.isInstance);
    await expect(readFile(join(local, 'escape.txt'))).rejects.toThrow();
    await expect(fake.downloadDir('relative', destination)).rejects.toThrow(/remoteDir/);
    await expect(fake.downloadDir('/hostile', '')).rejects.toThrow(/localDir/);
  });

  it('Symbol.asyncDispose stops the container', async () => {
    const fake = new FakeContainer();
    {
      await using disposable = fake;
      expect(disposable.state).toBe('running');
    }
    expect(fake.state).toBe('stopped');
  });
});

describe('endpoint', () => {
  it('rejects with UnsupportedCapabilityError unless the backend overrides it', async () => {
    const fake = new FakeContainer();
    const error = await fake.endpoint(8080).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(UnsupportedCapabilityError.isInstance(error)).toBe(true);
    expect((error as UnsupportedCapabilityError).capability).toBe('ports');
    expect((error as UnsupportedCapabilityError).backend).toBe('fake');
    await expect(fake.endpoint(0)).rejects.toSatisfy(InvalidArgumentError.isInstance);
  });

  it('assertExposedPort checks the port, the state and the list of exposed ports', async () => {
    class Exposing extends FakeContainer {
      override async endpoint(port: number) {
        this.assertExposedPort(port, [8080]);
        return { host: '127.0.0.1', port: 40000 };
      }
    }
    const box = new Exposing();
    await expect(box.endpoint(8080)).resolves.toEqual({ host: '127.0.0.1', port: 40000 });
    await expect(box.endpoint(9090)).rejects.toThrow(/port 9090 is not exposed.*exposed: 8080/);
    box.state = 'created';
    await expect(box.endpoint(8080)).rejects.toSatisfy(ContainerNotStartedError.isInstance);
  });
});

describe('listLocalTree', () => {
  it('follows links to folders and files, skips dangling links, and never loops', async () => {
    const root = await mkdtemp(join(tmpdir(), 'snapbox-tree-'));
    try {
      await mkdir(join(root, 'real', 'inner'), { recursive: true });
      await writeFile(join(root, 'real', 'inner', 'f.txt'), 'f');
      await symlink(join(root, 'real'), join(root, 'link-to-real'));
      await symlink(root, join(root, 'real', 'loop'));
      await symlink(join(root, 'nowhere'), join(root, 'dangling'));
      await symlink(join(root, 'real', 'inner', 'f.txt'), join(root, 'file-link'));
      const tree = await listLocalTree(root);
      expect(tree.files).toContain('file-link');
      expect(tree.files.some((file) => file.endsWith('inner/f.txt'))).toBe(true);
      expect(tree.files).not.toContain('dangling');
      // The real folder is listed once, under whichever name the walk met first.
      expect(tree.directories.filter((dir) => dir.endsWith('inner'))).toHaveLength(1);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('refuses something that is not a folder', async () => {
    await expect(listLocalTree(join(tmpdir(), 'snapbox-surely-missing-folder'))).rejects.toThrow(/localDir/);
  });
});
