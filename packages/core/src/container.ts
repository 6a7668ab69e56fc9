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
  /**
   * Most processes (and threads) that may exist in the container at once, an integer ≥ 1. A
   * fork bomb stops at this limit instead of exhausting the host. Default: the backend's (the
   * Docker backend sets one; see its README).
   */
  pids?: number;
}

/**
 * The network a container gets: `'default'` is the backend's usual network (outbound access,
 * as an image expects); `'none'` leaves only the loopback interface, so code inside reaches
 * nothing outside the container, this machine and the engine's host included.
 */
export type NetworkMode = 'none' | 'default';

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
  /**
   * The container's network; see {@link NetworkMode}. Default `'default'`. A backend that
   * cannot enforce `'none'` rejects it with `UnsupportedCapabilityError`; it never ignores it.
   */
  network?: NetworkMode;
  /**
   * Who every `exec` runs as: `'uid'`, `'uid:gid'` or a user name the image knows
   * (`'nobody'`, `'app:app'`). Files written by `uploadFiles`/`writeFile` belong to this user.
   * Default: the image's user (often root). {@link ExecOptions.user} overrides it for one call.
   */
  user?: string;
  /**
   * Container ports (TCP) that this machine can reach once the container runs; ask
   * {@link Container.endpoint} where. Default: none. A backend that cannot expose ports
   * rejects the option with `UnsupportedCapabilityError`.
   */
  ports?: readonly number[];
}

/** Options of {@link Container.start}. */
export interface StartOptions {
  /**
   * Environment for every command of this container. It is not part of any snapshot: a
   * container restored from a snapshot gets its env from its own `start()`.
   */
  env?: Record<string, string>;
  /**
   * Aborting stops the start wherever it is (pulling, building, creating): the call rejects
   * with `StartAbortedError` (the abort reason as `cause`) once everything the start had made
   * (a container, a half-built or half-pulled image) is removed.
   */
  signal?: AbortSignal;
  /**
   * Milliseconds the whole start may take; past it the start is stopped as for an abort and
   * rejects with `StartTimeoutError`. Default: no limit.
   */
  timeoutMs?: number;
  /**
   * Called as the start makes progress: pull, build and start events (see
   * {@link ProgressEvent}). A build's log reaches it line by line as the build prints it. An
   * exception thrown here stops the start (everything it made is removed) and `start()`
   * rejects with that exception.
   */
  onProgress?(event: ProgressEvent): void;
}

/**
 * One step of a {@link Container.start}, for a progress bar or a log.
 *
 * `phase` says what the start is doing; backends use these names where they apply:
 * - `'pull'`: downloading the image; `done`/`total` are bytes when the registry says so.
 * - `'build'`: building a Dockerfile (or the platform's equivalent); `message` is one line of
 *   the build log as printed, and `done`/`total` are the steps when known.
 * - `'start'`: creating and starting the container; `message` says which.
 *
 * A backend may add its own phases (`'restore'`, `'schedule'`, ...); treat an unknown phase as
 * a message to show.
 */
export interface ProgressEvent {
  /** What the start is doing: `'pull'`, `'build'`, `'start'`, or a backend's own phase. */
  phase: string;
  /** A line for a human: a build log line, `"pulling layer 3f4e…"`, `"container created"`. */
  message: string;
  /** Units done so far (bytes for a pull, steps for a build), when known. */
  done?: number;
  /** Units in all, when known. */
  total?: number;
}

/** Where this machine reaches a container port: see {@link Container.endpoint}. */
export interface ContainerEndpoint {
  /** A host name or IP address reachable from this machine (`'127.0.0.1'` for a local engine). */
  host: string;
  /** The port on that host that leads to the container port. */
  port: number;
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
  /**
   * Who this command runs as (`'uid'`, `'uid:gid'` or a name the image knows), overriding
   * {@link ContainerOptions.user}. A backend that cannot switch users rejects it with
   * `UnsupportedCapabilityError`.
   */
  user?: string;
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
   * Creates and starts the environment (pulling or building its image first when needed).
   * See {@link StartOptions} for the env, cancellation and progress. A start that is aborted or
   * times out leaves nothing behind and the container `stopped`. One that fails leaves nothing
   * behind and the container `created`, so `start()` may be called again.
   * @throws BackendUnavailableError when the backend cannot be reached.
   * @throws ImageNotFoundError / ImageBuildError / SnapshotNotFoundError when its source is missing.
   * @throws StartAbortedError when `signal` aborts; StartTimeoutError after `timeoutMs`.
   * @throws UnsupportedCapabilityError when the backend finds at start that it cannot enforce an
   *   option (a resource limit the engine ignores, say).
   * @throws InvalidArgumentError when called twice or after `stop()`.
   */
  start(options?: StartOptions): Promise<void>;

  /**
   * Where this machine reaches a container port listed in {@link ContainerOptions.ports}. The
   * port is reachable once something in the container listens on it.
   * @throws ContainerNotStartedError when the container is not running.
   * @throws InvalidArgumentError when `port` is not one of the container's `ports`.
   * @throws UnsupportedCapabilityError when the backend cannot expose ports.
   */
  endpoint(port: number): Promise<ContainerEndpoint>;

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
