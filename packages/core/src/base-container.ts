import { mkdtemp, readdir, readFile, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type {
  Container,
  ContainerEndpoint,
  ContainerState,
  ExecOptions,
  ExecResult,
  FileTransfer,
  StartOptions,
} from './container.js';
import { ContainerNotStartedError } from './errors/container-not-started-error.js';
import { InvalidArgumentError } from './errors/invalid-argument-error.js';
import { RemotePathNotFoundError } from './errors/remote-path-not-found-error.js';
import { UnsupportedCapabilityError } from './errors/unsupported-capability-error.js';
import { joinRemotePath, resolveInsideLocalRoot } from './local-paths.js';
import { assertAbsoluteRemotePath, assertNonEmptyString, assertPort } from './validation.js';

/** What {@link BaseContainer.listRemoteTree} returns: paths relative to the listed folder. */
export interface RemoteTree {
  /** Folders, `/`-separated, parents before children. */
  directories: string[];
  /** Regular files, `/`-separated. */
  files: string[];
}

/**
 * An optional base class for backends. A backend implements the primitives (`start`, `stop`,
 * `stopAndRemoveSync`, `exec`, `uploadFiles`, `downloadFiles`) and gets the single-file,
 * folder, in-memory and disposal helpers for free. Nothing requires extending it: the
 * contract is the {@link Container} interface.
 *
 * The derived folder transfers use `exec` (`find`, `mkdir -p`); a backend with a faster native
 * route (an archive API, say) overrides {@link BaseContainer.listRemoteTree},
 * {@link BaseContainer.makeRemoteDirectories} or the public methods themselves.
 *
 * {@link BaseContainer.endpoint} rejects with `UnsupportedCapabilityError` until a backend that
 * can expose ports overrides it, so that a backend never pretends to.
 */
export abstract class BaseContainer implements Container {
  abstract readonly backend: string;
  abstract readonly name: string | undefined;
  abstract readonly state: ContainerState;

  abstract start(options?: StartOptions): Promise<void>;
  abstract stop(): Promise<void>;
  abstract stopAndRemoveSync(): void;
  abstract exec(command: string | readonly string[], options?: ExecOptions): Promise<ExecResult>;
  abstract uploadFiles(files: readonly FileTransfer[]): Promise<void>;
  abstract downloadFiles(files: readonly FileTransfer[]): Promise<void>;

  /** Throws {@link ContainerNotStartedError} unless the container is running. */
  protected assertRunning(operation: string): void {
    if (this.state !== 'running') {
      throw new ContainerNotStartedError({ operation, state: this.state, container: this.name });
    }
  }

  /**
   * Rejects with `UnsupportedCapabilityError`: a backend that exposes ports overrides this (and
   * declares `ports` in its `SupportedOptions`).
   */
  async endpoint(port: number): Promise<ContainerEndpoint> {
    assertPort(port, 'port');
    throw new UnsupportedCapabilityError({
      capability: 'ports',
      backend: this.backend,
      detail: 'this backend does not expose container ports',
    });
  }

  /**
   * For an `endpoint()` override: throws `ContainerNotStartedError` unless running, and
   * `InvalidArgumentError` unless `port` is one of the container's `ports`.
   */
  protected assertExposedPort(port: unknown, ports: readonly number[] | undefined): asserts port is number {
    assertPort(port, 'port');
    this.assertRunning('endpoint');
    if (!(ports ?? []).includes(port)) {
      throw new InvalidArgumentError({
        argument: 'port',
        message: `port ${port} is not exposed; list it in the container's ports option (exposed: ${
          ports === undefined || ports.length === 0 ? 'none' : ports.join(', ')
        })`,
      });
    }
  }

  async uploadFile(localPath: string, remotePath: string): Promise<void> {
    await this.uploadFiles([{ localPath, remotePath }]);
  }

  async downloadFile(remotePath: string, localPath: string): Promise<void> {
    await this.downloadFiles([{ localPath, remotePath }]);
  }

  async uploadDir(localDir: string, remoteDir: string): Promise<void> {
    this.assertRunning('uploadDir');
    assertNonEmptyString(localDir, 'localDir');
    assertAbsoluteRemotePath(remoteDir, 'remoteDir');
    const tree = await listLocalTree(localDir);
    await this.makeRemoteDirectories([remoteDir, ...tree.directories.map((dir) => joinRemotePath(remoteDir, dir))]);
    if (tree.files.length > 0) {
      await this.uploadFiles(
        tree.files.map((file) => ({
          localPath: join(resolve(localDir), ...file.split('/')),
          remotePath: joinRemotePath(remoteDir, file),
        })),
      );
    }
  }

  async downloadDir(remoteDir: string, localDir: string): Promise<void> {
    this.assertRunning('downloadDir');
    assertAbsoluteRemotePath(remoteDir, 'remoteDir');
    assertNonEmptyString(localDir, 'localDir');
    const tree = await this.listRemoteTree(remoteDir);
    await resolveInsideLocalRoot(localDir, '', 'localDir', 'directory');
    for (const dir of tree.directories) {
      await resolveInsideLocalRoot(localDir, dir, 'remote folder', 'directory');
    }
    const transfers: FileTransfer[] = [];
    for (const file of tree.files) {
      transfers.push({
        remotePath: joinRemotePath(remoteDir, file),
        localPath: await resolveInsideLocalRoot(localDir, file, 'remote file'),
      });
    }
    if (transfers.length > 0) await this.downloadFiles(transfers);
  }

  async writeFile(remotePath: string, content: string | Uint8Array): Promise<void> {
    this.assertRunning('writeFile');
    assertAbsoluteRemotePath(remotePath, 'remotePath');
    if (typeof content !== 'string' && !(content instanceof Uint8Array)) {
      throw new InvalidArgumentError({ argument: 'content', message: 'expected a string or a Uint8Array' });
    }
    await withTempDir(async (dir) => {
      const localPath = join(dir, 'content');
      await writeFile(localPath, content);
      await this.uploadFiles([{ localPath, remotePath }]);
    });
  }

  async readFile(remotePath: string): Promise<Uint8Array> {
    this.assertRunning('readFile');
    assertAbsoluteRemotePath(remotePath, 'remotePath');
    return withTempDir(async (dir) => {
      const localPath = join(dir, 'content');
      await this.downloadFiles([{ localPath, remotePath }]);
      return new Uint8Array(await readFile(localPath));
    });
  }

  /** Calls {@link BaseContainer.stop}, so `await using container = ...` stops the container at the end of the scope. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  /**
   * Lists a remote folder. The default runs `find` through `exec`.
   * @throws RemotePathNotFoundError when `remoteDir` is not a folder.
   */
  protected async listRemoteTree(remoteDir: string): Promise<RemoteTree> {
    const probe = await this.exec(['test', '-d', remoteDir]);
    if (probe.exitCode !== 0) throw new RemotePathNotFoundError({ remotePath: remoteDir, container: this.name });
    const list = async (type: 'd' | 'f'): Promise<string[]> => {
      const result = await this.exec(['find', '.', '-mindepth', '1', '-type', type, '-print0'], { workdir: remoteDir });
      if (result.exitCode !== 0) {
        throw new RemotePathNotFoundError({
          remotePath: remoteDir,
          container: this.name,
          cause: new Error(result.stderr),
        });
      }
      return result.stdout
        .split('\0')
        .filter((entry) => entry !== '')
        .map((entry) => entry.replace(/^\.\//, ''));
    };
    const directories = (await list('d')).sort();
    return { directories, files: await list('f') };
  }

  /** Creates remote folders (and their parents). The default runs `mkdir -p` through `exec`. */
  protected async makeRemoteDirectories(remoteDirs: readonly string[]): Promise<void> {
    const result = await this.exec(['mkdir', '-p', '--', ...remoteDirs]);
    if (result.exitCode !== 0) {
      throw new InvalidArgumentError({
        argument: 'remoteDir',
        message: `could not create it: ${result.stderr.trim()}`,
      });
    }
  }
}

/** Lists a local folder as relative `/`-separated paths, following links but never looping. */
export async function listLocalTree(localDir: string): Promise<RemoteTree> {
  const root = resolve(localDir);
  const rootInfo = await stat(root).catch(() => undefined);
  if (!rootInfo?.isDirectory()) {
    throw new InvalidArgumentError({ argument: 'localDir', message: `${root} is not an existing folder` });
  }
  const tree: RemoteTree = { directories: [], files: [] };
  const seen = new Set<string>([await realpath(root)]);
  const walk = async (absolute: string, relativePrefix: string): Promise<void> => {
    const entries = await readdir(absolute, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const entry of entries) {
      const childAbsolute = join(absolute, entry.name);
      const childRelative = relativePrefix === '' ? entry.name : `${relativePrefix}/${entry.name}`;
      const info = entry.isSymbolicLink() ? await stat(childAbsolute).catch(() => undefined) : entry;
      if (info === undefined) continue; // a dangling link has no content to send
      if (info.isDirectory()) {
        const real = await realpath(childAbsolute);
        if (seen.has(real)) continue;
        seen.add(real);
        tree.directories.push(childRelative);
        await walk(childAbsolute, childRelative);
      } else if (info.isFile()) {
        tree.files.push(childRelative);
      }
    }
  };
  await walk(root, '');
  return tree;
}

async function withTempDir<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'snapbox-'));
  try {
    return await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
