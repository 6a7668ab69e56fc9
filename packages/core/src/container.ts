/**
 * Compute resources requested for a container. Each backend maps what it can enforce and
 * rejects what it cannot with `UnsupportedCapabilityError` (never silently ignores it).
 */
export interface Resources {
  /** CPU cores, fractions allowed (e.g. `0.5`). Default: no limit. */
  cpu?: number;
  /** Memory limit in MiB. Default: no limit. */
  memoryMiB?: number;
  /** Disk size in GiB. Default: the backend's. Docker on overlay2 cannot enforce it. */
  diskGiB?: number;
  /** Number of GPUs. Default: none. */
  gpu?: number;
}

/** Options common to every way of creating a container. */
export interface ContainerOptions {
  /** A name for the container; backends may add a suffix to keep names unique. */
  name?: string;
  /** Resource limits; see {@link Resources}. */
  resources?: Resources;
  /**
   * Absolute working directory for `exec` when the call gives none.
   * Default: the image's working directory.
   */
  defaultWorkdir?: string;
  /**
   * Extra labels for the backend's resources. Keys starting with `org.snapbox.` are reserved
   * for the library's own bookkeeping and are rejected.
   */
  labels?: Record<string, string>;
}

/** Options of {@link Container.exec}. */
export interface ExecOptions {
  /** Absolute working directory. Default: the container's `defaultWorkdir`, else the image's. */
  workdir?: string;
  /** Extra environment variables for this command only. */
  env?: Record<string, string>;
  /**
   * Milliseconds before the command is killed (every process it started, background ones
   * included) and the call rejects with `ExecTimeoutError`. Default: no timeout.
   */
  timeoutMs?: number;
  /** Aborting kills the command like a timeout, but rejects with `ExecAbortedError`. */
  signal?: AbortSignal;
  /**
   * Most bytes kept per stream (stdout, stderr) in the result; the rest is dropped and
   * `truncated` is set. The streaming callbacks still see everything. Default: unlimited.
   */
  maxOutputBytes?: number;
  /**
   * Called with each piece of stdout as it arrives (decoded as UTF-8, invalid bytes replaced).
   * An exception thrown here makes `exec` reject with it once the command has ended.
   */
  onStdout?(chunk: string): void;
  /** Like {@link ExecOptions.onStdout}, for stderr. */
  onStderr?(chunk: string): void;
}

/** What a finished command produced. */
export interface ExecResult {
  /** The exit status; -1 in the partial result of a command that was killed (timeout, abort). */
  exitCode: number;
  /** stdout and stderr interleaved in the order the bytes arrived (what ARES returned). */
  output: string;
  /** Standard output alone. */
  stdout: string;
  /** Standard error alone. */
  stderr: string;
  /** True when `maxOutputBytes` cut stdout or stderr. */
  truncated: boolean;
}

/** One file to move between this machine and a container. */
export interface FileTransfer {
  /** A path on this machine (relative paths resolve against the current directory). */
  localPath: string;
  /** An absolute path inside the container. */
  remotePath: string;
}

/** The lifecycle state of a {@link Container}. */
export type ContainerState = 'created' | 'running' | 'stopped';

/**
 * An isolated environment: start it, run commands, move files, stop it.
 *
 * Lifecycle: a container is `created` by a factory (no I/O), `running` after `start()`, and
 * `stopped` (and removed) after `stop()`; it cannot be started again. Containers started and
 * never stopped are removed when the process exits.
 *
 * Every method that needs a running container rejects with `ContainerNotStartedError` otherwise,
 * and every method rejects bad arguments with `InvalidArgumentError` naming the argument.
 */
export interface Container extends AsyncDisposable {
  /** Which backend this is: `'docker'`, `'memory'`, `'daytona'`, ... */
  readonly backend: string;
  /** The name given at creation, or the backend's name once started; `undefined` if neither. */
  readonly name: string | undefined;
  /** The lifecycle state. */
  readonly state: ContainerState;

  /**
   * Creates and starts the environment.
   * @param options.env environment for every command of this container. It is not part of any
   *   snapshot: a container restored from a snapshot gets its env from its own `start()`.
   * @throws BackendUnavailableError when the backend cannot be reached.
   * @throws ImageNotFoundError / ImageBuildError / SnapshotNotFoundError when its source is missing.
   * @throws InvalidArgumentError when called twice or after `stop()`.
   */
  start(options?: { env?: Record<string, string> }): Promise<void>;

  /** Stops and removes the environment. Idempotent; a container never started just becomes `stopped`. */
  stop(): Promise<void>;

  /**
   * Stops and removes the environment synchronously (it blocks), so it works inside
   * `process.on('exit')` where no promise settles. Idempotent; never throws for a container
   * that is already gone.
   */
  stopAndRemoveSync(): void;

  /**
   * Runs a command. A string runs under `bash -lc` (a login shell, as ARES does); an array runs
   * as argv with no shell. A non-zero exit status is a result, not an error.
   * @throws ContainerNotStartedError when the container is not running.
   * @throws ExecTimeoutError after `timeoutMs`, with the partial output; processes are killed.
   * @throws ExecAbortedError when `signal` aborts, with the partial output; processes are killed.
   */
  exec(command: string | readonly string[], options?: ExecOptions): Promise<ExecResult>;

  /**
   * Copies local files into the container, creating missing parent folders. File modes are kept.
   * @throws ContainerNotStartedError when the container is not running.
   * @throws InvalidArgumentError for a relative `remotePath` or a missing local file.
   */
  uploadFiles(files: readonly FileTransfer[]): Promise<void>;

  /**
   * Copies files out of the container, creating missing local parent folders.
   * @throws RemotePathNotFoundError when a remote path does not exist.
   */
  downloadFiles(files: readonly FileTransfer[]): Promise<void>;

  /** Copies one local file to `remotePath` (absolute). See {@link Container.uploadFiles}. */
  uploadFile(localPath: string, remotePath: string): Promise<void>;

  /**
   * Copies the contents of `localDir` under `remoteDir`, keeping relative paths
   * (`localDir/a/b` becomes `remoteDir/a/b`); folders are created as needed.
   */
  uploadDir(localDir: string, remoteDir: string): Promise<void>;

  /** Copies one file from the container to `localPath`. See {@link Container.downloadFiles}. */
  downloadFile(remotePath: string, localPath: string): Promise<void>;

  /**
   * Copies the contents of `remoteDir` under `localDir`, keeping relative paths. Nothing is ever
   * written outside `localDir`, whatever links the remote folder holds.
   * @throws RemotePathNotFoundError when `remoteDir` does not exist.
   */
  downloadDir(remoteDir: string, localDir: string): Promise<void>;

  /** Writes `content` (UTF-8 for a string) to the absolute `remotePath`, creating parents. */
  writeFile(remotePath: string, content: string | Uint8Array): Promise<void>;

  /**
   * Reads a whole file from the container.
   * @throws RemotePathNotFoundError when it does not exist.
   */
  readFile(remotePath: string): Promise<Uint8Array>;
}
