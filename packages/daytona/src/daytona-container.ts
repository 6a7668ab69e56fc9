import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import {
  assertCommand,
  assertContainerOptions,
  assertExecOptions,
  assertFileTransfers,
  assertNonEmptyString,
  assertStartOptions,
  BaseContainer,
  type ContainerEndpoint,
  type ContainerOptions,
  type ContainerSource,
  type ContainerState,
  currentSession,
  type ExecOptions,
  type ExecResult,
  type FileTransfer,
  ImageBuildError,
  InvalidArgumentError,
  runStartWithDeadline,
  SnapboxError,
  type SnapshotableContainer,
  SnapshotNotFoundError,
  type SnapshotOptions,
  type StartContext,
  type StartOptions,
  type SupportedOptions,
  UnsupportedCapabilityError,
} from '@snapbox/core';
import type { DaytonaClient, DaytonaCreateParams, DaytonaSandbox } from './client-types.js';
import type { DaytonaConnection } from './connection.js';
import { daytonaLog as log } from './debug-logs.js';
import { type ErrorContext, toSnapboxError } from './error-mapping.js';
import { runSandboxExec } from './exec-runner.js';
import { trackForExit, untrackForExit } from './exit-cleanup.js';
import { downloadFromSandbox, makeSandboxFolders, uploadToSandbox } from './file-transfer.js';
import { containerLabelKey, sandboxLabels } from './labels.js';
import { deleteSandbox } from './remote-cleanup.js';
import { toDaytonaResources } from './resources.js';
import { messageOf, statusOf } from './sdk-error-info.js';
import { deleteSnapshot, deleteSnapshotSync, takeSnapshot } from './snapshots.js';
import { fromSyncError } from './sync-protocol.js';
import { runSyncJob } from './sync-runner.js';

/** Where a Daytona sandbox's filesystem comes from (core's `ContainerSource`). */
export type DaytonaSource = ContainerSource;

/**
 * What Daytona enforces of the options a backend may lack: `network: 'none'` (its network
 * blocking) and `ports` (its preview links). `user` and `resources.pids` are refused: a
 * sandbox runs every command as its image's user, and Daytona sets no process limit.
 */
export const daytonaSupportedOptions: SupportedOptions = { backend: 'daytona', network: true, ports: true };

/** What a Daytona container takes beyond the contract's options. */
export interface DaytonaContainerExtras {
  /**
   * CIDR blocks (`'10.0.0.0/8'`, `'203.0.113.7/32'`) the sandbox may reach; everything else is
   * blocked (Daytona's network allow-list). Not together with `network: 'none'`.
   */
  networkAllowList?: readonly string[];
}

/** Where this machine reaches a sandbox port: a Daytona preview link. */
export interface DaytonaEndpoint extends ContainerEndpoint {
  /** The preview URL (`https://<port>-<sandbox id>.proxy.daytona.works`). */
  url: string;
  /** For a private sandbox, the token to send in the `x-daytona-preview-token` header. */
  token: string;
}

type DaytonaContainerSettings = ContainerOptions & DaytonaContainerExtras;

const cidrPattern = /^[0-9a-fA-F:.]+\/\d{1,3}$/;

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
  options: DaytonaContainerSettings = {},
): DaytonaContainer {
  assertContainerOptions(options, daytonaSupportedOptions);
  const allow = options.networkAllowList;
  if (allow !== undefined) {
    if (!Array.isArray(allow) || allow.length === 0) {
      throw new InvalidArgumentError({
        argument: 'networkAllowList',
        message: 'expected a non-empty array of CIDR blocks such as "10.0.0.0/8"',
      });
    }
    allow.forEach((entry: unknown, index) => {
      if (typeof entry !== 'string' || !cidrPattern.test(entry)) {
        throw new InvalidArgumentError({
          argument: `networkAllowList[${index}]`,
          message: `expected a CIDR block such as "10.0.0.0/8", got ${JSON.stringify(entry)}`,
        });
      }
    });
    if (options.network === 'none') {
      throw new InvalidArgumentError({
        argument: 'networkAllowList',
        message: "network: 'none' blocks everything; drop it to allow only the listed blocks",
      });
    }
  }
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
  readonly #options: DaytonaContainerSettings;
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
  constructor(connection: DaytonaConnection, source: DaytonaSource, options: DaytonaContainerSettings) {
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

  /**
   * Creates the sandbox (building its image first for `fromDockerfile`). The build log reaches
   * `onProgress` line by line (phase `'build'`), with `'start'` events around the create. The
   * SDK's create cannot be interrupted: an abort or `timeoutMs` deletes the sandbox being made
   * (found by its name and this container's token), which ends the create, then rejects.
   */
  async start(options?: StartOptions): Promise<void> {
    if (this.#state !== 'created' || this.#starting !== undefined) {
      const now = this.#starting !== undefined ? 'starting' : this.#state;
      throw new InvalidArgumentError({
        argument: 'start()',
        message: `the container is already ${now}; a container starts once (create a new one, or restore a snapshot)`,
      });
    }
    assertStartOptions(options);
    // The start env lives here and is added to every command: given to Daytona as sandbox env,
    // it could be baked into snapshots taken from this sandbox.
    this.#env = { ...options?.env };
    let watch: StartContext | undefined;
    this.#starting = runStartWithDeadline({
      options,
      container: this.#options.name,
      run: (context) => {
        watch = context;
        return this.#start(context, options?.timeoutMs);
      },
      undo: async () => {
        const sandbox = this.#sandbox;
        this.#state = 'stopped';
        if (sandbox !== undefined) await this.#deleteQuietly(sandbox);
      },
    }).catch((error: unknown) => {
      // A cancelled start is over for good; a failed one may be tried again (the service was
      // busy, say), as nothing of it is left.
      if (watch === undefined || watch.signal.aborted) this.#state = 'stopped';
      throw error;
    });
    try {
      await this.#starting;
    } finally {
      this.#starting = undefined;
    }
  }

  async #start(watch: StartContext, timeoutMs: number | undefined): Promise<void> {
    const client = await this.#connection.client();
    watch.signal.throwIfAborted();
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
    if (this.#options.network === 'none') params.networkBlockAll = true;
    if (this.#options.networkAllowList !== undefined)
      params.networkAllowList = this.#options.networkAllowList.join(',');
    // The SDK stops waiting at its own timeout: no later than the start's.
    const timeoutSeconds =
      timeoutMs === undefined
        ? settings.createTimeoutSeconds
        : Math.min(settings.createTimeoutSeconds, Math.max(1, Math.ceil(timeoutMs / 1000)));
    const context: ErrorContext = {
      operation: 'start',
      container: sandboxName,
      timeoutSeconds,
    };
    const buildLog: string[] = [];
    const createOptions: { timeout: number; onSnapshotCreateLogs?: (chunk: string) => void } = {
      timeout: timeoutSeconds,
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
        let pending = '';
        createOptions.onSnapshotCreateLogs = (chunk) => {
          buildLog.push(chunk);
          if (buildLog.length > buildLogLines) buildLog.shift();
          // Chunks are not lines: a line reaches onProgress once it is whole.
          const parts = (pending + chunk).split(/\r?\n/);
          pending = parts.pop() ?? '';
          for (const line of parts) if (line.trim() !== '') watch.progress({ phase: 'build', message: line });
        };
      }
    }
    watch.signal.throwIfAborted();
    watch.progress({ phase: 'start', message: `creating sandbox ${sandboxName}` });
    watch.signal.throwIfAborted();
    // A cancelled start deletes the sandbox being made at once; the create then fails.
    const onAbort = () => void this.#removeFailedSandbox(client, sandboxName, undefined);
    watch.signal.addEventListener('abort', onAbort, { once: true });

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
      watch.signal.removeEventListener('abort', onAbort);
      log('creating sandbox %s failed after %d ms: %s', sandboxName, Date.now() - started, messageOf(error));
      await this.#removeFailedSandbox(client, sandboxName, watch.signal.aborted ? undefined : error);
      throw toSnapboxError(error, { ...context, endpoint: this.#connection.endpoint, buildLog: buildLog.join('\n') });
    }
    watch.signal.removeEventListener('abort', onAbort);
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
    if (this.#stopRequested || watch.signal.aborted) {
      // stopAndRemoveSync() ran, or the start was cancelled, while the sandbox was being created.
      await this.#deleteQuietly(sandbox);
      this.#sandbox = undefined;
      watch.signal.throwIfAborted();
      return;
    }
    this.#state = 'running';
    watch.progress({ phase: 'start', message: `sandbox ${sandbox.name ?? sandbox.id} is running` });
  }

  /**
   * Where this machine reaches a port listed in `ports`: the sandbox's preview link (Daytona
   * opens the port on demand). A private sandbox's preview wants `token` in the
   * `x-daytona-preview-token` header.
   */
  override async endpoint(port: number): Promise<DaytonaEndpoint> {
    this.assertExposedPort(port, this.#options.ports);
    const sandbox = this.#sandbox as DaytonaSandbox;
    const getPreviewLink = sandbox.getPreviewLink;
    if (typeof getPreviewLink !== 'function') {
      throw new UnsupportedCapabilityError({
        capability: 'ports',
        backend: 'daytona',
        detail: 'the installed @daytonaio/sdk has no Sandbox.getPreviewLink; upgrade it',
      });
    }
    const link = await this.#connection.call({ operation: `open port ${port}`, container: this.name }, true, () =>
      getPreviewLink.call(sandbox, port),
    );
    const url = new URL(link.url);
    const defaultPort = url.protocol === 'https:' ? 443 : 80;
    return {
      host: url.hostname,
      port: url.port === '' ? defaultPort : Number(url.port),
      url: link.url,
      token: link.token,
    };
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
    assertExecOptions(options, daytonaSupportedOptions);
    return runSandboxExec({
      connection: this.#connection,
      sandbox: this.#sandbox as DaytonaSandbox,
      containerName: this.name,
      command,
      options,
      env: { ...this.#env, ...options?.env },
      workdir: options?.workdir ?? this.#options.defaultWorkdir,
      inBackground: (work) => this.#inBackground(work),
    });
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
    await uploadToSandbox(this.#connection, this.#sandbox as DaytonaSandbox, this.name, files);
  }

  async downloadFiles(files: readonly FileTransfer[]): Promise<void> {
    this.assertRunning('downloadFiles');
    assertFileTransfers(files, 'files');
    await downloadFromSandbox(this.#connection, this.#sandbox as DaytonaSandbox, this.name, files);
  }

  protected override async makeRemoteDirectories(remoteDirs: readonly string[]): Promise<void> {
    await makeSandboxFolders(this.#connection, this.#sandbox as DaytonaSandbox, this.name, remoteDirs);
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
    const taken = this.#snapshotQueue.then(() => {
      this.assertRunning('snapshot');
      return takeSnapshot(this.#connection, sandbox, this.name, keep);
    });
    this.#snapshotQueue = taken.catch(() => undefined);
    return taken;
  }

  fromSnapshot(snapshotId: string, options?: ContainerOptions & DaytonaContainerExtras): DaytonaContainer {
    assertNonEmptyString(snapshotId, 'snapshotId');
    return newDaytonaContainer(this.#connection, { kind: 'snapshot', snapshotId }, options);
  }

  async deleteSnapshot(snapshotId: string): Promise<void> {
    await deleteSnapshot(this.#connection, snapshotId);
  }

  deleteSnapshotSync(snapshotId: string): void {
    deleteSnapshotSync(this.#connection, snapshotId);
  }
}
