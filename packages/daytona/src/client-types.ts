/**
 * The part of the `@daytonaio/sdk` API this backend uses, written as structural types so that
 * the public types of `@snapbox/daytona` never require the SDK to be installed, and so that a
 * test can pass a fake. `client-types.test-d.ts` checks that the real SDK classes fit them.
 */

/** Connection settings of a Daytona client; unset fields fall back to the SDK's environment variables. */
export interface DaytonaClientConfig {
  /** API key; the SDK's default is `DAYTONA_API_KEY`. */
  apiKey?: string;
  /** API URL; the SDK's default is `DAYTONA_API_URL`, else Daytona's cloud. */
  apiUrl?: string;
  /** Target region; the SDK's default is `DAYTONA_TARGET`. */
  target?: string;
}

/** Parameters of {@link DaytonaClient.create}, as far as snapbox sets them. */
export interface DaytonaCreateParams {
  /** The sandbox name (the container's `name`, when given). */
  name?: string;
  /** An image reference, or an SDK `Image` (for Dockerfiles). */
  image?: unknown;
  /** The name of a snapshot to start from. */
  snapshot?: string;
  /** The caller's labels plus snapbox's owner labels. */
  labels?: Record<string, string>;
  /** Whole units, rounded up from the container's `resources`. */
  resources?: {
    /** CPU cores. */
    cpu?: number;
    /** Memory in GiB. */
    memory?: number;
    /** Disk in GiB. */
    disk?: number;
    /** Number of GPUs. */
    gpu?: number;
  };
  /** Minutes without activity before Daytona stops the sandbox. */
  autoStopInterval?: number;
  /** Minutes after stopping before Daytona deletes the sandbox; snapbox passes 0 (at once). */
  autoDeleteInterval?: number;
  /** Blocks all network access of the sandbox (`network: 'none'`). */
  networkBlockAll?: boolean;
  /** Comma-separated CIDR blocks the sandbox may reach; everything else is blocked. */
  networkAllowList?: string;
}

/** A Daytona client: `Daytona` from `@daytonaio/sdk`, or a fake with the same shape. */
export interface DaytonaClient {
  /** Creates and starts a sandbox, waiting at most `options.timeout` seconds. */
  create(
    params: DaytonaCreateParams,
    options?: { timeout?: number; onSnapshotCreateLogs?: (chunk: string) => void },
  ): Promise<DaytonaSandbox>;
  /** Finds a sandbox by id or name. */
  get(sandboxIdOrName: string): Promise<DaytonaSandbox>;
  /** The snapshot service. */
  readonly snapshot: DaytonaSnapshotService;
}

/** What `daytona.snapshot.get` returns, as far as snapbox reads it. */
export interface DaytonaSnapshotInfo {
  /** The snapshot's name, which is also its id for snapbox. */
  name: string;
  /** `active`, `pending`, `removing`, `error`, ... */
  state: string;
  /** Why the snapshot is in state `error`, when it is. */
  errorReason?: string | null;
}

/** `daytona.snapshot`. */
export interface DaytonaSnapshotService {
  /** Reads a snapshot by id or name. */
  get(idOrName: string): Promise<DaytonaSnapshotInfo>;
  /** Deletes a snapshot. */
  delete(snapshot: string): Promise<void>;
}

/** A sandbox as returned by `daytona.create` / `daytona.get`. */
export interface DaytonaSandbox {
  /** The sandbox id. */
  readonly id: string;
  /** The sandbox name. */
  readonly name?: string;
  /** Deletes the sandbox, waiting at most `timeout` seconds. */
  delete(timeout?: number): Promise<void>;
  /** Present in SDK versions that snapshot running sandboxes. */
  createSnapshot?(name: string, timeout?: number): Promise<void>;
  /**
   * A URL at which this machine reaches a sandbox port (opened on demand), and the token a
   * private sandbox's preview wants in the `x-daytona-preview-token` header.
   */
  getPreviewLink?(port: number): Promise<{
    /** The preview URL, e.g. `https://8080-<sandbox id>.proxy.daytona.works`. */
    url: string;
    /** The access token of a private sandbox's preview. */
    token: string;
  }>;
  /** Running commands. */
  readonly process: DaytonaProcess;
  /** Moving files. */
  readonly fs: DaytonaFileSystem;
}

/** The result of starting a session command. */
export interface DaytonaSessionCommandResponse {
  /** The command's id within its session. */
  cmdId: string;
  /** The exit status, once the command has ended. */
  exitCode?: number;
  /** stdout and stderr together, when the service returns them with the response. */
  output?: string;
  /** Standard output, when returned with the response. */
  stdout?: string;
  /** Standard error, when returned with the response. */
  stderr?: string;
}

/** `sandbox.process`: session commands, which stream their output and can be killed. */
export interface DaytonaProcess {
  /** Opens a shell session. */
  createSession(sessionId: string): Promise<void>;
  /** Runs a command in a session; with `runAsync` it returns at once with the command id. */
  executeSessionCommand(
    sessionId: string,
    request: { command: string; runAsync?: boolean },
    timeout?: number,
  ): Promise<DaytonaSessionCommandResponse>;
  /** Reads a command's state; `exitCode` is set once it has ended. */
  getSessionCommand(
    sessionId: string,
    commandId: string,
  ): Promise<{
    /** The exit status, once the command has ended. */
    exitCode?: number;
  }>;
  /** Streams a command's stdout and stderr to the callbacks until it ends. */
  getSessionCommandLogs(
    sessionId: string,
    commandId: string,
    onStdout: (chunk: string) => void,
    onStderr: (chunk: string) => void,
  ): Promise<void>;
  /** Closes a session. */
  deleteSession(sessionId: string): Promise<void>;
}

/** One entry of the answer of {@link DaytonaFileSystem.downloadFiles}. */
export interface DaytonaDownloadResponse {
  /** The remote path this entry is about. */
  source: string;
  /** What was downloaded (the local path, for a download to a file). */
  result?: unknown;
  /** Why this file failed, when it did. */
  error?: string;
  /** The failure in detail, when the service gives it. */
  errorDetails?: {
    /** The service's message. */
    message: string;
    /** The HTTP status, e.g. 404 for a missing path. */
    statusCode?: number;
    /** The service's error code. */
    code?: string;
  };
}

/** `sandbox.fs`. */
export interface DaytonaFileSystem {
  /** Uploads local files (`source`) to sandbox paths (`destination`), creating parents. */
  uploadFiles(files: Array<{ source: string; destination: string }>, timeout?: number): Promise<void>;
  /** Downloads sandbox files (`source`) to local paths (`destination`), one answer per file. */
  downloadFiles(
    files: Array<{ source: string; destination: string }>,
    timeoutSec?: number,
  ): Promise<DaytonaDownloadResponse[]>;
  /** Reads what is at a sandbox path; rejects when nothing is. */
  getFileDetails(path: string): Promise<{
    /** True for a folder. */
    isDir: boolean;
    /** The mode, e.g. `'0755'`. */
    permissions: string;
    /** The size in bytes. */
    size: number;
  }>;
  /** Sets a file's mode (an octal string such as `'755'`). */
  setFilePermissions(path: string, permissions: { mode?: string }): Promise<void>;
  /** Creates a folder with the given octal mode. */
  createFolder(path: string, mode: string): Promise<void>;
}

/** The SDK module, as far as snapbox uses it. */
export interface DaytonaSdkModule {
  Daytona: new (config?: DaytonaClientConfig) => DaytonaClient;
  Image: { fromDockerfile(path: string): unknown };
}
