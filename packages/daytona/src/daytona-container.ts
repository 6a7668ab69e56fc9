import { randomUUID } from 'node:crypto';
import { chmod, mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import {
  assertCommand,
  assertContainerOptions,
  assertExecOptions,
  assertFileTransfers,
  assertNonEmptyString,
  assertOptionalStringRecord,
  BaseContainer,
  type ContainerOptions,
  type ContainerSource,
  type ContainerState,
  currentSession,
  describeCommand,
  type ExecOptions,
  ExecOutputCollector,
  type ExecResult,
  type FileTransfer,
  ImageBuildError,
  InvalidArgumentError,
  NotASnapshotError,
  runExecWithDeadline,
  SnapboxError,
  type SnapshotableContainer,
  SnapshotNotFoundError,
  type SnapshotOptions,
  UnsupportedCapabilityError,
} from '@snapbox/core';
import type { DaytonaClient, DaytonaCreateParams, DaytonaSandbox } from './client-types.js';
import { delay, mapConcurrent } from './concurrency.js';
import type { DaytonaConnection } from './connection.js';
import { daytonaLog as log } from './debug-logs.js';
import { type ErrorContext, toSnapboxError } from './error-mapping.js';
import { buildExecScript, buildKillScript } from './exec-script.js';
import { trackForExit, untrackForExit } from './exit-cleanup.js';
import { containerLabelKey, sandboxLabels } from './labels.js';
import { deleteSandbox, deleteSnapshotByName } from './remote-cleanup.js';
import { toDaytonaResources } from './resources.js';
import { messageOf, statusOf } from './sdk-error-info.js';
import { isSnapboxSnapshotName, nextSnapshotName } from './snapshot-names.js';
import type { SyncErrorInfo } from './sync-protocol.js';
import { runSyncJob } from './sync-runner.js';

/** Where a Daytona sandbox's filesystem comes from (core's `ContainerSource`). */
export type DaytonaSource = ContainerSource;

const fileCallConcurrency = 8;
const exitCodePolls = 50;
const exitCodePollMs = 100;
const buildLogLines = 60;
const failedSnapshotStates = new Set(['error', 'build_failed', 'removing']);
let generatedNames = 0;

/**
 * Validates options and makes a container; used by the factory and by
 * {@link DaytonaContainer.fromSnapshot}. No I/O.
 * @internal
 */
export function newDaytonaContainer(
  connection: DaytonaConnection,
  source: DaytonaSource,
  options: ContainerOptions = {},
): DaytonaContainer {
  assertContainerOptions(options);
  if (source.kind === 'snapshot' && options.resources !== undefined) {
    throw new UnsupportedCapabilityError({
      capability: 'resources for a container restored from a snapshot',
      backend: 'daytona',
      detail:
        'a Daytona sandbox created from a snapshot gets the CPU, memory, disk and GPU of that snapshot (those of the sandbox it was taken from); leave resources unset',
    });
  }
  return new DaytonaContainer(connection, source, options);
}

/**
 * A container running as a Daytona sandbox. Create it with `createDaytonaFactory()`; snapshots
 * are Daytona snapshots of the running sandbox (filesystem only), restored by creating a new
 * sandbox from them.
 *
 * Commands run in Daytona session commands: a string under `bash -lc`, an array through
 * `env` as argv. Output streams as it arrives; a timeout or an abort SIGKILLs every process
 * the command started (found by a marker variable they all inherit), then rejects with the
 * output collected so far.
 */
export class DaytonaContainer extends BaseContainer implements SnapshotableContainer {
  /** Always `'daytona'`. */
  readonly backend = 'daytona';
  readonly #connection: DaytonaConnection;
  readonly #source: DaytonaSource;
  readonly #options: ContainerOptions;
  // Identifies this container's sandbox among others of the same name: cleanup of a failed
  // start deletes a sandbox only when it carries this token.
  readonly #token = randomUUID();
  #state: ContainerState = 'created';
  #sandbox: DaytonaSandbox | undefined;
  #env: Record<string, string> = {};
  #starting: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;
  #stopRequested = false;
  #removed = false;
  #snapshotQueue: Promise<unknown> = Promise.resolve();
  readonly #background = new Set<Promise<unknown>>();

  /**
   * Use `createDaytonaFactory()` (or {@link DaytonaContainer.fromSnapshot}) instead.
   * @internal
   */
  constructor(connection: DaytonaConnection, source: DaytonaSource, options: ContainerOptions) {
    super();
    this.#connection = connection;
    this.#source = source;
    this.#options = { ...options };
  }

  /** The name given at creation, else the sandbox's name once started. */
  get name(): string | undefined {
    return this.#sandbox?.name ?? this.#options.name ?? this.#sandbox?.id;
  }

  /** `created` until `start()` resolves, then `running`, then `stopped` for good. */
  get state(): ContainerState {
    return this.#state;
  }

  /** The Daytona sandbox id, once started. */
  get sandboxId(): string | undefined {
    return this.#sandbox?.id;
  }

  async start(options?: { env?: Record<string, string> }): Promise<void> {
    if (this.#state !== 'created' || this.#starting !== undefined) {
      const now = this.#starting !== undefined ? 'starting' : this.#state;
      throw new InvalidArgumentError({
        argument: 'start()',
        message: `the container is already ${now}; a container starts once (create a new one, or restore a snapshot)`,
      });
    }
    if (options !== undefined && (typeof options !== 'object' || options === null)) {
      throw new InvalidArgumentError({ argument: 'options', message: 'expected an object or undefined' });
    }
    assertOptionalStringRecord(options?.env, 'options.env');
    // The start env lives here and is added to every command: given to Daytona as sandbox env,
    // it could be baked into snapshots taken from this sandbox.
    this.#env = { ...options?.env };
    this.#starting = this.#start();
    try {
      await this.#starting;
    } finally {
      this.#starting = undefined;
    }
  }

  async #start(): Promise<void> {
    const client = await this.#connection.client();
    const settings = this.#connection.settings;
    const sandboxName = this.#options.name ?? `snapbox-${currentSession().id}-c${++generatedNames}`;
    const params: DaytonaCreateParams = {
      name: sandboxName,
      labels: {
        ...sandboxLabels(this.#options.labels, {
          parentSnapshot: this.#source.kind === 'snapshot' ? this.#source.snapshotId : undefined,
        }),
        [containerLabelKey]: this.#token,
      },
      // Delete rather than keep a sandbox that stops (auto-stop after idling, or a crash of this
      // process followed by auto-stop): snapbox never restarts a stopped sandbox.
      autoDeleteInterval: 0,
    };
    if (settings.autoStopMinutes !== undefined) params.autoStopInterval = settings.autoStopMinutes;
    const context: ErrorContext = {
      operation: 'start',
      container: sandboxName,
      timeoutSeconds: settings.createTimeoutSeconds,
    };
    const buildLog: string[] = [];
    const createOptions: { timeout: number; onSnapshotCreateLogs?: (chunk: string) => void } = {
      timeout: settings.createTimeoutSeconds,
    };
    if (this.#source.kind === 'snapshot') {
      context.snapshotId = this.#source.snapshotId;
      await this.#assertRestorable(client, this.#source.snapshotId, sandboxName);
      params.snapshot = this.#source.snapshotId;
    } else {
      const resources = toDaytonaResources(this.#options.resources);
      if (resources !== undefined) params.resources = resources;
      if (this.#source.kind === 'image') {
        context.image = this.#source.image;
        params.image = this.#source.image;
      } else {
        context.dockerfilePath = this.#source.dockerfilePath;
        params.image = await this.#dockerfileImage(this.#source.dockerfilePath);
        createOptions.onSnapshotCreateLogs = (chunk) => {
          buildLog.push(chunk);
          if (buildLog.length > buildLogLines) buildLog.shift();
        };
      }
    }

    let sandbox: DaytonaSandbox;
    const started = Date.now();
    try {
      sandbox = await this.#connection.attempt(
        false,
        () => client.create(params, createOptions),
        `create sandbox ${sandboxName}`,
      );
      log('created sandbox %s (%s) in %d ms', sandboxName, sandbox.id, Date.now() - started);
    } catch (error) {
      log('creating sandbox %s failed after %d ms: %s', sandboxName, Date.now() - started, messageOf(error));
      await this.#removeFailedSandbox(client, sandboxName, error);
      throw toSnapboxError(error, { ...context, endpoint: this.#connection.endpoint, buildLog: buildLog.join('\n') });
    }
    this.#sandbox = sandbox;
    if (settings.cleanupOnExit) trackForExit('sandbox', sandbox.id, this.#connection.syncSpec);
    try {
      const workdir = this.#options.defaultWorkdir;
      if (workdir !== undefined) {
        await this.#connection.call(
          { operation: `create the default workdir ${workdir}`, container: this.name },
          true,
          () => sandbox.fs.createFolder(workdir, '755'),
        );
      }
    } catch (error) {
      await this.#deleteQuietly(sandbox);
      this.#sandbox = undefined;
      throw error;
    }
    if (this.#stopRequested) {
      // stopAndRemoveSync() ran while the sandbox was being created.
      await this.#deleteQuietly(sandbox);
      return;
    }
    this.#state = 'running';
  }

  async #dockerfileImage(dockerfilePath: string): Promise<unknown> {
    const sdk = await this.#connection.sdk();
    try {
      return sdk.Image.fromDockerfile(resolve(dockerfilePath));
    } catch (error) {
      throw new ImageBuildError({
        dockerfilePath,
        detail: `the Daytona SDK could not read it or its build context: ${(error as Error).message}`,
        logTail: '',
        cause: error,
      });
    }
  }

  async #assertRestorable(client: DaytonaClient, snapshotId: string, container: string): Promise<void> {
    const info = await this.#connection.call({ operation: 'start', container, snapshotId }, true, () =>
      client.snapshot.get(snapshotId),
    );
    // A deleted snapshot stays visible as `removing` for a while.
    if (info.state === 'removing') throw new SnapshotNotFoundError({ snapshotId });
    if (failedSnapshotStates.has(info.state)) {
      throw new SnapboxError('SNAPSHOT_UNUSABLE', {
        message: `Snapshot ${snapshotId} cannot be restored: Daytona reports it as ${info.state}${info.errorReason ? ` (${info.errorReason})` : ''}.`,
      });
    }
  }

  /**
   * After a failed create the service may still hold a sandbox (a build that failed, a start
   * that timed out). Look it up by name and delete it, but only if it carries this container's
   * token; skip when the service refused the request outright, as nothing was created then.
   */
  async #removeFailedSandbox(client: DaytonaClient, sandboxName: string, error: unknown): Promise<void> {
    const status = statusOf(error);
    if (status !== undefined && status >= 400 && status < 500 && status !== 408) return;
    try {
      const leftover = await this.#connection.attempt(true, () => client.get(sandboxName));
      const labels = (leftover as { labels?: Record<string, string> }).labels;
      if (labels?.[containerLabelKey] === this.#token) await deleteSandbox(leftover, this.#attempt);
    } catch {
      // Best effort: the original error is what the caller needs to see.
    }
  }

  async #deleteQuietly(sandbox: DaytonaSandbox): Promise<void> {
    try {
      await deleteSandbox(sandbox, this.#attempt);
      this.#removed = true;
      untrackForExit('sandbox', sandbox.id);
    } catch {
      // Still tracked: the exit cleanup tries again.
    }
  }

  readonly #attempt = <T>(idempotent: boolean, call: () => Promise<T>): Promise<T> =>
    this.#connection.attempt(idempotent, call);

  stop(): Promise<void> {
    this.#stopping ??= this.#stop().catch((error: unknown) => {
      // A failed removal may be retried by calling stop() again.
      this.#stopping = undefined;
      throw error;
    });
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    if (this.#starting !== undefined) await this.#starting.catch(() => undefined);
    const sandbox = this.#sandbox;
    this.#state = 'stopped';
    if (sandbox === undefined || this.#removed) return;
    await Promise.allSettled([...this.#background]);
    try {
      await deleteSandbox(sandbox, this.#attempt);
    } catch (error) {
      throw toSnapboxError(error, {
        operation: 'stop and remove',
        container: this.name,
        endpoint: this.#connection.endpoint,
      });
    }
    this.#removed = true;
    untrackForExit('sandbox', sandbox.id);
  }

  stopAndRemoveSync(): void {
    if (this.#starting !== undefined) this.#stopRequested = true;
    const sandbox = this.#sandbox;
    this.#state = 'stopped';
    if (sandbox === undefined || this.#removed) return;
    const [outcome] = runSyncJob({ connection: this.#connection.syncSpec, sandboxes: [sandbox.id], snapshots: [] });
    if (outcome !== undefined && !outcome.ok) {
      throw toSnapboxError(fromSyncError(outcome.error), {
        operation: 'stop and remove',
        container: this.name,
        endpoint: this.#connection.endpoint,
      });
    }
    this.#removed = true;
    untrackForExit('sandbox', sandbox.id);
  }

  async exec(command: string | readonly string[], options?: ExecOptions): Promise<ExecResult> {
    this.assertRunning('exec');
    assertCommand(command);
    assertExecOptions(options);
    const sandbox = this.#sandbox as DaytonaSandbox;
    const collector = new ExecOutputCollector(options);
    const marker = randomUUID();
    const session = `snapbox-exec-${marker}`;
    const context: ErrorContext = { operation: `exec ${describeCommand(command)}`, container: this.name };
    let sessionMade = false;
    try {
      return await runExecWithDeadline({
        command,
        options,
        collector,
        // The kill returns once the processes are gone; the log stream adds nothing after it.
        drainMs: 0,
        run: async () => {
          const script = buildExecScript({
            command,
            workdir: options?.workdir ?? this.#options.defaultWorkdir,
            env: { ...this.#env, ...options?.env },
            marker,
          });
          await this.#connection.call(context, false, () => sandbox.process.createSession(session));
          sessionMade = true;
          const launched = await this.#connection.call(context, false, () =>
            sandbox.process.executeSessionCommand(session, { command: script, runAsync: true }),
          );
          const logs = sandbox.process.getSessionCommandLogs(
            session,
            launched.cmdId,
            (chunk) => collector.push('stdout', chunk),
            (chunk) => collector.push('stderr', chunk),
          );
          try {
            await logs;
          } catch (error) {
            // A broken log stream: the command must not outlive the call either.
            await this.#kill(sandbox, marker, context);
            throw toSnapboxError(error, { ...context, endpoint: this.#connection.endpoint });
          }
          return await this.#exitCode(sandbox, session, launched.cmdId, context);
        },
        kill: () => this.#kill(sandbox, marker, context),
      });
    } finally {
      if (sessionMade) this.#inBackground(() => sandbox.process.deleteSession(session));
    }
  }

  async #exitCode(sandbox: DaytonaSandbox, session: string, commandId: string, context: ErrorContext): Promise<number> {
    // The log stream can close a moment before the session records the exit status.
    for (let poll = 0; poll < exitCodePolls; poll += 1) {
      const status = await this.#connection.call(context, true, () =>
        sandbox.process.getSessionCommand(session, commandId),
      );
      if (typeof status.exitCode === 'number') return status.exitCode;
      await delay(exitCodePollMs);
    }
    throw new SnapboxError('EXEC_STATUS_UNKNOWN', {
      message: `The command ended but Daytona reported no exit status for it in ${(exitCodePolls * exitCodePollMs) / 1000} s: ${context.operation}`,
    });
  }

  async #kill(sandbox: DaytonaSandbox, marker: string, context: ErrorContext): Promise<void> {
    const killContext = { ...context, operation: `kill the processes of ${context.operation}` };
    const session = `snapbox-kill-${marker}`;
    await this.#connection.call(killContext, false, () => sandbox.process.createSession(session));
    try {
      // Killing twice is harmless, so this call is retried like a read.
      await this.#connection.call(killContext, true, () =>
        sandbox.process.executeSessionCommand(session, { command: buildKillScript(marker), runAsync: false }, 60),
      );
    } finally {
      this.#inBackground(() => sandbox.process.deleteSession(session));
    }
  }

  /** Runs cleanup that the caller need not wait for; `stop()` waits for it before deleting. */
  #inBackground(work: () => Promise<unknown>): void {
    const running: Promise<unknown> = work()
      .catch(() => undefined)
      .finally(() => this.#background.delete(running));
    this.#background.add(running);
  }

  async uploadFiles(files: readonly FileTransfer[]): Promise<void> {
    this.assertRunning('uploadFiles');
    assertFileTransfers(files, 'files');
    if (files.length === 0) return;
    const sandbox = this.#sandbox as DaytonaSandbox;
    const entries = await Promise.all(
      files.map(async (file, index) => {
        const localPath = resolve(file.localPath);
        const info = await stat(localPath).catch(() => undefined);
        if (!info?.isFile()) {
          throw new InvalidArgumentError({
            argument: `files[${index}].localPath`,
            message: `${localPath} is not an existing file`,
          });
        }
        return { localPath, remotePath: file.remotePath, mode: info.mode & 0o7777 };
      }),
    );
    const context = { operation: 'upload files', container: this.name };
    // The service creates parent folders and writes every file with mode 0644.
    await this.#connection.call(context, true, () =>
      sandbox.fs.uploadFiles(entries.map((entry) => ({ source: entry.localPath, destination: entry.remotePath }))),
    );
    await mapConcurrent(
      entries.filter((entry) => entry.mode !== 0o644),
      fileCallConcurrency,
      (entry) =>
        this.#connection.call({ ...context, remotePath: entry.remotePath }, true, () =>
          sandbox.fs.setFilePermissions(entry.remotePath, { mode: entry.mode.toString(8) }),
        ),
    );
  }

  async downloadFiles(files: readonly FileTransfer[]): Promise<void> {
    this.assertRunning('downloadFiles');
    assertFileTransfers(files, 'files');
    if (files.length === 0) return;
    const sandbox = this.#sandbox as DaytonaSandbox;
    const context = { operation: 'download files', container: this.name };
    // File details first: they say what is missing (before anything is written locally), what
    // is a folder, and each file's mode.
    const details = await mapConcurrent(files, fileCallConcurrency, async (file, index) => {
      const info = await this.#connection.call({ ...context, remotePath: file.remotePath }, true, () =>
        sandbox.fs.getFileDetails(file.remotePath),
      );
      if (info.isDir) {
        throw new InvalidArgumentError({
          argument: `files[${index}].remotePath`,
          message: `${file.remotePath} is a folder; use downloadDir`,
        });
      }
      return info;
    });
    const targets = files.map((file) => ({ source: file.remotePath, destination: resolve(file.localPath) }));
    const answers = await this.#connection.call(context, true, () => sandbox.fs.downloadFiles(targets));
    for (const [index, target] of targets.entries()) {
      const answer = answers.find((candidate) => candidate.source === target.source) ?? answers[index];
      const info = details[index];
      if (answer?.error !== undefined) {
        // Some SDK versions report an empty file as "no data received" instead of writing it.
        if (info?.size === 0 && /no data/i.test(answer.error)) {
          await mkdir(dirname(target.destination), { recursive: true });
          await writeFile(target.destination, '');
        } else {
          const statusCode = answer.errorDetails?.statusCode ?? (/not found/i.test(answer.error) ? 404 : undefined);
          throw toSnapboxError(
            { name: 'DaytonaError', message: answer.error, statusCode },
            { ...context, remotePath: target.source, endpoint: this.#connection.endpoint },
          );
        }
      }
      const mode = Number.parseInt(info?.permissions ?? '', 8);
      if (Number.isInteger(mode)) await chmod(target.destination, mode & 0o7777);
    }
  }

  protected override async makeRemoteDirectories(remoteDirs: readonly string[]): Promise<void> {
    const sandbox = this.#sandbox as DaytonaSandbox;
    await mapConcurrent(remoteDirs, fileCallConcurrency, (dir) =>
      this.#connection.call({ operation: `create folder ${dir}`, container: this.name }, true, () =>
        sandbox.fs.createFolder(dir, '755'),
      ),
    );
  }

  /**
   * Snapshots the sandbox's filesystem with Daytona's `createSnapshot` and waits until the
   * snapshot is active (restorable). Daytona takes one snapshot of a sandbox at a time, so
   * concurrent calls on one container are queued, not refused.
   */
  async snapshot(options?: SnapshotOptions): Promise<string> {
    this.assertRunning('snapshot');
    if (options !== undefined && (typeof options !== 'object' || options === null)) {
      throw new InvalidArgumentError({ argument: 'options', message: 'expected an object or undefined' });
    }
    const sandbox = this.#sandbox as DaytonaSandbox;
    if (typeof sandbox.createSnapshot !== 'function') {
      throw new UnsupportedCapabilityError({
        capability: 'snapshot',
        backend: 'daytona',
        detail: 'the installed @daytonaio/sdk has no Sandbox.createSnapshot; upgrade it (0.218.0 or later)',
      });
    }
    const keep = options?.keep === true;
    const taken = this.#snapshotQueue.then(() => this.#takeSnapshot(sandbox, keep));
    this.#snapshotQueue = taken.catch(() => undefined);
    return taken;
  }

  async #takeSnapshot(sandbox: DaytonaSandbox, keep: boolean): Promise<string> {
    this.assertRunning('snapshot');
    const name = nextSnapshotName(keep);
    const settings = this.#connection.settings;
    const context: ErrorContext = {
      operation: `snapshot to ${name}`,
      container: this.name,
      timeoutSeconds: settings.snapshotTimeoutSeconds,
    };
    // Tracked before it exists: if the call fails half-way, nobody has the name to delete it.
    if (settings.cleanupOnExit) trackForExit('snapshot', name, this.#connection.syncSpec);
    await this.#connection.call(context, false, () =>
      (sandbox.createSnapshot as NonNullable<DaytonaSandbox['createSnapshot']>)(name, settings.snapshotTimeoutSeconds),
    );
    await this.#waitUntilActive(name, context);
    if (keep) untrackForExit('snapshot', name);
    return name;
  }

  async #waitUntilActive(name: string, context: ErrorContext): Promise<void> {
    const client = await this.#connection.client();
    const { snapshotTimeoutSeconds, pollIntervalMs } = this.#connection.settings;
    const deadline = Date.now() + snapshotTimeoutSeconds * 1000;
    for (;;) {
      const info = await this.#connection.call({ ...context, snapshotId: name }, true, () => client.snapshot.get(name));
      if (info.state === 'active') return;
      if (failedSnapshotStates.has(info.state)) {
        throw new SnapboxError('SNAPSHOT_FAILED', {
          message: `Daytona could not complete snapshot ${name} of container ${this.name}: it is ${info.state}${info.errorReason ? ` (${info.errorReason})` : ''}.`,
        });
      }
      if (Date.now() >= deadline) {
        throw new SnapboxError('DAYTONA_TIMEOUT', {
          message: `Snapshot ${name} of container ${this.name} was still ${info.state} after ${snapshotTimeoutSeconds} s; raise snapshotTimeoutSeconds in createDaytonaFactory.`,
        });
      }
      await delay(pollIntervalMs);
    }
  }

  fromSnapshot(snapshotId: string, options?: ContainerOptions): DaytonaContainer {
    assertNonEmptyString(snapshotId, 'snapshotId');
    return newDaytonaContainer(this.#connection, { kind: 'snapshot', snapshotId }, options);
  }

  async deleteSnapshot(snapshotId: string): Promise<void> {
    assertOwnSnapshot(snapshotId);
    const client = await this.#connection.client();
    try {
      await deleteSnapshotByName(client, snapshotId, this.#attempt);
    } catch (error) {
      throw toSnapboxError(error, { operation: `delete snapshot ${snapshotId}`, endpoint: this.#connection.endpoint });
    }
    untrackForExit('snapshot', snapshotId);
  }

  deleteSnapshotSync(snapshotId: string): void {
    assertOwnSnapshot(snapshotId);
    const [outcome] = runSyncJob({ connection: this.#connection.syncSpec, sandboxes: [], snapshots: [snapshotId] });
    if (outcome !== undefined && !outcome.ok) {
      throw toSnapboxError(fromSyncError(outcome.error), {
        operation: `delete snapshot ${snapshotId}`,
        endpoint: this.#connection.endpoint,
      });
    }
    untrackForExit('snapshot', snapshotId);
  }
}

/** Refuses to touch a snapshot this library did not name. */
function assertOwnSnapshot(snapshotId: string): void {
  assertNonEmptyString(snapshotId, 'snapshotId');
  if (!isSnapboxSnapshotName(snapshotId)) {
    throw new NotASnapshotError({
      snapshotId,
      reason: 'snapbox names its Daytona snapshots snapbox-<session>-<n> and deletes no others',
    });
  }
}

/** Rebuilds an error-like value from what the worker reported, for the error mapping. */
function fromSyncError(info: SyncErrorInfo | undefined): Record<string, unknown> {
  return {
    name: info?.name ?? 'Error',
    message: info?.message ?? 'unknown error',
    statusCode: info?.statusCode,
    code: info?.code,
  };
}
