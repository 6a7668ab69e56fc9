import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DaytonaConflictError, DaytonaError, DaytonaNotFoundError } from '@daytonaio/sdk';
import type {
  DaytonaClient,
  DaytonaCreateParams,
  DaytonaDownloadResponse,
  DaytonaFileSystem,
  DaytonaProcess,
  DaytonaSandbox,
  DaytonaSessionCommandResponse,
  DaytonaSnapshotInfo,
  DaytonaSnapshotService,
} from '../client-types.js';

/**
 * A hand-written fake of the `@daytonaio/sdk` objects the backend uses. It records every call
 * with its arguments, keeps sandboxes, snapshots, sessions and files in memory, answers
 * commands through a handler, and throws the SDK's real error classes when told to fail.
 */

/** One recorded call, e.g. `{ method: 'process.createSession', args: ['snapbox-exec-...'] }`. */
export interface FakeCall {
  method: string;
  args: unknown[];
}

/** How a command started with `executeSessionCommand(..., { runAsync: true })` behaves. */
export interface FakeCommandBehaviour {
  /** Output pieces in arrival order. */
  events?: Array<['stdout' | 'stderr', string]>;
  /** Default 0. */
  exitCode?: number;
  /** Never ends by itself: only the kill script ends it. */
  hang?: boolean;
  /** `getSessionCommand` reports no exit code this many times first. */
  exitCodeLatePolls?: number;
  /** The log stream fails with this error after the events. */
  streamError?: unknown;
}

interface FakeCommand {
  id: string;
  script: string;
  marker: string | undefined;
  behaviour: FakeCommandBehaviour;
  exitCode: number | undefined;
  killed: boolean;
  polls: number;
  onKilled: Array<() => void>;
}

interface FakeFile {
  content: Uint8Array;
  mode: number;
}

const markerPattern = /SNAPBOX_EXEC_ID=([0-9a-f-]+)/;
/** The kill script takes the marker as its argument (core's `killMarkedCommand`). */
const killPattern = / snapbox-kill '?([0-9a-f-]+)'? < \/dev\/null$/;
const nextTick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The shared state behind one fake client and all its sandboxes. */
export class FakeDaytona implements DaytonaClient {
  readonly calls: FakeCall[] = [];
  readonly sandboxes = new Map<string, FakeSandbox>();
  readonly snapshots = new Map<string, DaytonaSnapshotInfo & { pendingPolls: number }>();
  /** How many `snapshot.get` calls a new snapshot stays `pending` before it is `active`. */
  snapshotActivationPolls = 0;
  /** Answers commands; the default runs nothing and exits 0. */
  commandHandler: (script: string) => FakeCommandBehaviour = () => ({});
  /** Mimic SDK versions that report an empty downloaded file as "no data received". */
  emptyDownloadQuirk = false;
  /** Build log chunks that `create` passes to `onSnapshotCreateLogs`, one per tick. */
  createLogs: string[] = [];
  /**
   * When set, `create` holds the new sandbox in its creating state until this settles; a
   * sandbox deleted meanwhile makes `create` fail, as the service does.
   */
  createGate: Promise<void> | undefined;
  readonly #failures: Array<{ method: string; error: unknown; times: number }> = [];
  #nextId = 0;

  /** Makes the next `times` calls of `method` (e.g. `'daytona.create'`) throw `error`. */
  failNext(method: string, error: unknown, times = 1): void {
    this.#failures.push({ method, error, times });
  }

  /** The recorded calls of one method. */
  callsOf(method: string): unknown[][] {
    return this.calls.filter((call) => call.method === method).map((call) => call.args);
  }

  /** Records a call and throws an injected failure if one is due. */
  record(method: string, args: unknown[]): void {
    this.calls.push({ method, args });
    const failure = this.#failures.find((candidate) => candidate.method === method && candidate.times > 0);
    if (failure !== undefined) {
      failure.times -= 1;
      throw failure.error;
    }
  }

  newId(prefix: string): string {
    this.#nextId += 1;
    return `${prefix}-${this.#nextId}`;
  }

  async create(
    params: DaytonaCreateParams,
    options?: { timeout?: number; onSnapshotCreateLogs?: (chunk: string) => void },
  ): Promise<DaytonaSandbox> {
    this.record('daytona.create', [params, options]);
    await nextTick();
    const sandbox = new FakeSandbox(this, this.newId('sandbox'), params.name, params.labels ?? {});
    this.sandboxes.set(sandbox.id, sandbox);
    for (const chunk of this.createLogs) {
      await nextTick();
      options?.onSnapshotCreateLogs?.(chunk);
    }
    if (this.createGate !== undefined) {
      const deleted = new Promise<void>((resolve) => sandbox.onDeleted.push(resolve));
      await Promise.race([this.createGate, deleted]);
    }
    if (sandbox.deleted) throw new DaytonaError(`Sandbox ${sandbox.id} was deleted while it was being created`);
    return sandbox;
  }

  /** Adds a sandbox as if an earlier, failed create had left it behind. */
  leaveSandbox(name: string, labels: Record<string, string>): FakeSandbox {
    const sandbox = new FakeSandbox(this, this.newId('sandbox'), name, labels);
    this.sandboxes.set(sandbox.id, sandbox);
    return sandbox;
  }

  async get(sandboxIdOrName: string): Promise<DaytonaSandbox> {
    this.record('daytona.get', [sandboxIdOrName]);
    await nextTick();
    for (const sandbox of this.sandboxes.values()) {
      if (sandbox.id === sandboxIdOrName || sandbox.name === sandboxIdOrName) return sandbox;
    }
    throw new DaytonaNotFoundError(`Sandbox with ID or name ${sandboxIdOrName} not found`, 404);
  }

  readonly snapshot: DaytonaSnapshotService = {
    get: async (idOrName: string): Promise<DaytonaSnapshotInfo> => {
      this.record('snapshot.get', [idOrName]);
      await nextTick();
      const info = this.snapshots.get(idOrName);
      if (info === undefined) throw new DaytonaNotFoundError(`Snapshot with name ${idOrName} not found`, 404);
      if (info.state === 'pending') {
        if (info.pendingPolls > 0) info.pendingPolls -= 1;
        else info.state = 'active';
      }
      return { name: info.name, state: info.state, errorReason: info.errorReason ?? null };
    },
    delete: async (snapshot: string): Promise<void> => {
      this.record('snapshot.delete', [snapshot]);
      await nextTick();
      if (!this.snapshots.delete(snapshot))
        throw new DaytonaNotFoundError(`Snapshot with name ${snapshot} not found`, 404);
    },
  };

  /** Kills every running command whose marker matches (what the kill script does). */
  kill(marker: string): void {
    for (const sandbox of this.sandboxes.values()) {
      for (const command of sandbox.commands.values()) {
        if (command.marker === marker && command.exitCode === undefined) {
          command.killed = true;
          command.exitCode = 137;
          for (const notify of command.onKilled) notify();
        }
      }
    }
  }
}

/** A fake sandbox; `files` and `folders` are its filesystem. */
export class FakeSandbox implements DaytonaSandbox {
  readonly files = new Map<string, FakeFile>();
  readonly folders = new Set<string>(['/']);
  readonly sessions = new Set<string>();
  readonly commands = new Map<string, FakeCommand>();
  deleted = false;
  readonly onDeleted: Array<() => void> = [];
  readonly #fake: FakeDaytona;

  constructor(
    fake: FakeDaytona,
    readonly id: string,
    readonly name: string | undefined,
    readonly labels: Record<string, string>,
  ) {
    this.#fake = fake;
  }

  async delete(timeout?: number): Promise<void> {
    this.#fake.record('sandbox.delete', [this.id, timeout]);
    await nextTick();
    if (this.deleted) throw new DaytonaNotFoundError(`Sandbox ${this.id} not found`, 404);
    this.deleted = true;
    this.#fake.sandboxes.delete(this.id);
    for (const notify of this.onDeleted.splice(0)) notify();
  }

  async getPreviewLink(port: number): Promise<{ url: string; token: string }> {
    this.#fake.record('sandbox.getPreviewLink', [this.id, port]);
    await nextTick();
    return { url: `https://${port}-${this.id}.proxy.daytona.test`, token: `token-${port}` };
  }

  async createSnapshot(name: string, timeout?: number): Promise<void> {
    this.#fake.record('sandbox.createSnapshot', [this.id, name, timeout]);
    await nextTick();
    if (this.#fake.snapshots.has(name)) throw new DaytonaConflictError(`Snapshot ${name} already exists`, 409);
    this.#fake.snapshots.set(name, { name, state: 'pending', pendingPolls: this.#fake.snapshotActivationPolls });
  }

  readonly process: DaytonaProcess = {
    createSession: async (sessionId: string): Promise<void> => {
      this.#fake.record('process.createSession', [sessionId]);
      await nextTick();
      if (this.sessions.has(sessionId)) throw new DaytonaConflictError('session already exists', 409);
      this.sessions.add(sessionId);
    },
    executeSessionCommand: async (
      sessionId: string,
      request: { command: string; runAsync?: boolean },
      timeout?: number,
    ): Promise<DaytonaSessionCommandResponse> => {
      this.#fake.record('process.executeSessionCommand', [sessionId, request, timeout]);
      await nextTick();
      if (!this.sessions.has(sessionId)) throw new DaytonaNotFoundError('session not found', 404);
      const marker = markerPattern.exec(request.command)?.[1];
      if (request.runAsync !== true) {
        // The only synchronous command the backend sends is the kill script.
        const killed = killPattern.exec(request.command)?.[1];
        if (killed !== undefined) this.#fake.kill(killed);
        return { cmdId: this.#fake.newId('cmd'), exitCode: 0, stdout: '', stderr: '' };
      }
      const command: FakeCommand = {
        id: this.#fake.newId('cmd'),
        script: request.command,
        marker,
        behaviour: this.#fake.commandHandler(request.command),
        exitCode: undefined,
        killed: false,
        polls: 0,
        onKilled: [],
      };
      this.commands.set(command.id, command);
      return { cmdId: command.id };
    },
    getSessionCommand: async (sessionId: string, commandId: string): Promise<{ exitCode?: number }> => {
      this.#fake.record('process.getSessionCommand', [sessionId, commandId]);
      await nextTick();
      const command = this.commands.get(commandId);
      if (command === undefined) throw new DaytonaNotFoundError('command not found', 404);
      command.polls += 1;
      if (command.polls <= (command.behaviour.exitCodeLatePolls ?? 0)) return {};
      return command.exitCode === undefined ? {} : { exitCode: command.exitCode };
    },
    getSessionCommandLogs: async (
      sessionId: string,
      commandId: string,
      onStdout: (chunk: string) => void,
      onStderr: (chunk: string) => void,
    ): Promise<void> => {
      this.#fake.record('process.getSessionCommandLogs', [sessionId, commandId]);
      const command = this.commands.get(commandId);
      if (command === undefined) throw new DaytonaNotFoundError('command not found', 404);
      for (const [stream, chunk] of command.behaviour.events ?? []) {
        await nextTick();
        if (command.killed) return;
        (stream === 'stdout' ? onStdout : onStderr)(chunk);
      }
      if (command.behaviour.streamError !== undefined) {
        await nextTick();
        throw command.behaviour.streamError;
      }
      if (command.behaviour.hang === true && !command.killed) {
        await new Promise<void>((resolve) => command.onKilled.push(resolve));
        return;
      }
      await nextTick();
      command.exitCode ??= command.behaviour.exitCode ?? 0;
    },
    deleteSession: async (sessionId: string): Promise<void> => {
      this.#fake.record('process.deleteSession', [sessionId]);
      await nextTick();
      if (!this.sessions.delete(sessionId)) throw new DaytonaNotFoundError('session not found', 404);
    },
  };

  readonly fs: DaytonaFileSystem = {
    uploadFiles: async (files: Array<{ source: string; destination: string }>, timeout?: number): Promise<void> => {
      this.#fake.record('fs.uploadFiles', [files, timeout]);
      for (const file of files) {
        this.files.set(file.destination, { content: new Uint8Array(await readFile(file.source)), mode: 0o644 });
        this.#addParents(file.destination);
      }
    },
    downloadFiles: async (
      files: Array<{ source: string; destination: string }>,
      timeoutSec?: number,
    ): Promise<DaytonaDownloadResponse[]> => {
      this.#fake.record('fs.downloadFiles', [files, timeoutSec]);
      const answers: DaytonaDownloadResponse[] = [];
      for (const file of files) {
        const stored = this.files.get(file.source);
        if (stored === undefined) {
          const message = `file not found or invalid: ${file.source}`;
          answers.push({ source: file.source, error: message, errorDetails: { message, statusCode: 404 } });
        } else if (stored.content.length === 0 && this.#fake.emptyDownloadQuirk) {
          answers.push({ source: file.source, error: 'No data received for this file' });
        } else {
          await mkdir(dirname(file.destination), { recursive: true });
          await writeFile(file.destination, stored.content);
          answers.push({ source: file.source, result: file.destination });
        }
      }
      return answers;
    },
    getFileDetails: async (path: string): Promise<{ isDir: boolean; permissions: string; size: number }> => {
      this.#fake.record('fs.getFileDetails', [path]);
      await nextTick();
      const file = this.files.get(path);
      if (file !== undefined) {
        return { isDir: false, permissions: file.mode.toString(8).padStart(4, '0'), size: file.content.length };
      }
      if (this.folders.has(path)) return { isDir: true, permissions: '0755', size: 4096 };
      throw new DaytonaNotFoundError(`stat ${path}: no such file or directory`, 404);
    },
    setFilePermissions: async (path: string, permissions: { mode?: string }): Promise<void> => {
      this.#fake.record('fs.setFilePermissions', [path, permissions]);
      await nextTick();
      const file = this.files.get(path);
      if (file === undefined) throw new DaytonaNotFoundError(`${path} not found`, 404);
      if (permissions.mode !== undefined) file.mode = Number.parseInt(permissions.mode, 8);
    },
    createFolder: async (path: string, mode: string): Promise<void> => {
      this.#fake.record('fs.createFolder', [path, mode]);
      await nextTick();
      this.folders.add(path);
      this.#addParents(path);
    },
  };

  #addParents(path: string): void {
    let parent = dirname(path);
    while (!this.folders.has(parent)) {
      this.folders.add(parent);
      parent = dirname(parent);
    }
  }
}
