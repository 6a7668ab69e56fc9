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
  name?: string;
  /** An image reference, or an SDK `Image` (for Dockerfiles). */
  image?: unknown;
  /** The name of a snapshot to start from. */
  snapshot?: string;
  labels?: Record<string, string>;
  resources?: { cpu?: number; memory?: number; disk?: number; gpu?: number };
  autoStopInterval?: number;
  autoDeleteInterval?: number;
}

/** A Daytona client: `Daytona` from `@daytonaio/sdk`, or a fake with the same shape. */
export interface DaytonaClient {
  create(
    params: DaytonaCreateParams,
    options?: { timeout?: number; onSnapshotCreateLogs?: (chunk: string) => void },
  ): Promise<DaytonaSandbox>;
  get(sandboxIdOrName: string): Promise<DaytonaSandbox>;
  readonly snapshot: DaytonaSnapshotService;
}

/** What `daytona.snapshot.get` returns, as far as snapbox reads it. */
export interface DaytonaSnapshotInfo {
  name: string;
  /** `active`, `pending`, `removing`, `error`, ... */
  state: string;
  errorReason?: string | null;
}

/** `daytona.snapshot`. */
export interface DaytonaSnapshotService {
  get(idOrName: string): Promise<DaytonaSnapshotInfo>;
  delete(snapshot: string): Promise<void>;
}

/** A sandbox as returned by `daytona.create` / `daytona.get`. */
export interface DaytonaSandbox {
  readonly id: string;
  readonly name?: string;
  delete(timeout?: number): Promise<void>;
  /** Present in SDK versions that snapshot running sandboxes. */
  createSnapshot?(name: string, timeout?: number): Promise<void>;
  readonly process: DaytonaProcess;
  readonly fs: DaytonaFileSystem;
}

/** The result of starting a session command. */
export interface DaytonaSessionCommandResponse {
  cmdId: string;
  exitCode?: number;
  output?: string;
  stdout?: string;
  stderr?: string;
}

/** `sandbox.process`: session commands, which stream their output and can be killed. */
export interface DaytonaProcess {
  createSession(sessionId: string): Promise<void>;
  executeSessionCommand(
    sessionId: string,
    request: { command: string; runAsync?: boolean },
    timeout?: number,
  ): Promise<DaytonaSessionCommandResponse>;
  getSessionCommand(sessionId: string, commandId: string): Promise<{ exitCode?: number }>;
  getSessionCommandLogs(
    sessionId: string,
    commandId: string,
    onStdout: (chunk: string) => void,
    onStderr: (chunk: string) => void,
  ): Promise<void>;
  deleteSession(sessionId: string): Promise<void>;
}

/** One entry of the answer of {@link DaytonaFileSystem.downloadFiles}. */
export interface DaytonaDownloadResponse {
  source: string;
  result?: unknown;
  error?: string;
  errorDetails?: { message: string; statusCode?: number; code?: string };
}

/** `sandbox.fs`. */
export interface DaytonaFileSystem {
  uploadFiles(files: Array<{ source: string; destination: string }>, timeout?: number): Promise<void>;
  downloadFiles(
    files: Array<{ source: string; destination: string }>,
    timeoutSec?: number,
  ): Promise<DaytonaDownloadResponse[]>;
  getFileDetails(path: string): Promise<{ isDir: boolean; permissions: string; size: number }>;
  setFilePermissions(path: string, permissions: { mode?: string }): Promise<void>;
  createFolder(path: string, mode: string): Promise<void>;
}

/** The SDK module, as far as snapbox uses it. */
export interface DaytonaSdkModule {
  Daytona: new (config?: DaytonaClientConfig) => DaytonaClient;
  Image: { fromDockerfile(path: string): unknown };
}
