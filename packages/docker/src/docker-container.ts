import {
  assertAbsoluteRemotePath,
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
  type ExecResult,
  type FileTransfer,
  InvalidArgumentError,
  NotASnapshotError,
  ownerLabels,
  SnapboxError,
  type SnapshotableContainer,
  SnapshotNotFoundError,
  type SnapshotOptions,
  snapboxLabels,
  UnsupportedCapabilityError,
} from '@snapbox/core';
import type Docker from 'dockerode';
import { removeContainer } from './cleanup-actions.js';
import { brief, dockerLog as log } from './debug-logs.js';
import { type DockerBackendOptions, type ResolvedBackend, resolveBackend } from './docker-backend.js';
import { describeEndpoint, engineMessage, statusOf, wrapEngineError } from './docker-connection.js';
import { runExec } from './exec-runner.js';
import { buildDockerfile, describeImage, ensureImage, type ResolvedImage } from './image-source.js';
import type { SessionTracker } from './session-tracker.js';
import {
  commitSnapshot,
  deleteSnapshotImage,
  flattenSnapshot,
  isSnapshotReference,
  newSnapshotReference,
  reclaimDanglingSnapshots,
  snapshotLabels,
} from './snapshot-images.js';
import { downloadDirectory, downloadFile, uploadDirectory, uploadFiles } from './tar-transfer.js';

/** Where a Docker container's filesystem comes from (core's `ContainerSource`). */
export type DockerSource = ContainerSource;

/** Options of a Docker container: the contract's, plus how to reach the engine. */
export type DockerContainerOptions = ContainerOptions & DockerBackendOptions;

// Keeps the container alive between commands, as ARES does; needs only sh and sleep. The
// container is always removed with force, so how it reacts to SIGTERM does not matter.
const keepAlive = ['/bin/sh', '-c', 'while :; do sleep 3600; done'];

/**
 * A container on a Docker Engine API (Docker, Podman, local or remote), with snapshots by
 * `docker commit`. Create one with {@link DockerContainer.fromImage},
 * {@link DockerContainer.fromDockerfile}, {@link DockerContainer.fromSnapshot} or a factory
 * from `createDockerFactory()`; nothing talks to the engine until `start()`.
 */
export class DockerContainer extends BaseContainer implements SnapshotableContainer {
  readonly backend = 'docker';
  readonly #source: DockerSource;
  readonly #options: ContainerOptions;
  readonly #backend: ResolvedBackend;
  #state: ContainerState = 'created';
  #starting: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;
  #id: string | undefined;
  #engineName: string | undefined;
  #env: Record<string, string> = {};
  #image: ResolvedImage | undefined;
  #baseImage = '';
  #snapshotQueue: Promise<unknown> = Promise.resolve();

  /** Prefer the static constructors or a factory; this one takes already validated parts. */
  constructor(source: DockerSource, options: ContainerOptions, backend: ResolvedBackend) {
    super();
    this.#source = source;
    this.#options = options;
    this.#backend = backend;
  }

  /** A container that starts from an image on the engine (pulled when missing, if a registry answers). */
  static fromImage<T extends typeof DockerContainer>(
    this: T,
    options: { image: string } & DockerContainerOptions,
  ): InstanceType<T> {
    assertNonEmptyString(options?.image, 'image');
    const { backendOptions, containerOptions } = splitOptions(options);
    return new this(
      { kind: 'image', image: options.image },
      containerOptions,
      resolveBackend(backendOptions),
    ) as InstanceType<T>;
  }

  /** A container from the image built from a Dockerfile (context: its folder, `.dockerignore` honoured). */
  static fromDockerfile<T extends typeof DockerContainer>(
    this: T,
    options: { dockerfilePath: string } & DockerContainerOptions,
  ): InstanceType<T> {
    assertNonEmptyString(options?.dockerfilePath, 'dockerfilePath');
    const { backendOptions, containerOptions } = splitOptions(options);
    return new this(
      { kind: 'dockerfile', dockerfilePath: options.dockerfilePath },
      containerOptions,
      resolveBackend(backendOptions),
    ) as InstanceType<T>;
  }

  /** A container that starts from a snapshot; a subclass's static returns the subclass. */
  static fromSnapshot<T extends typeof DockerContainer>(
    this: T,
    options: { snapshotId: string } & DockerContainerOptions,
  ): InstanceType<T> {
    assertNonEmptyString(options?.snapshotId, 'snapshotId');
    const { backendOptions, containerOptions } = splitOptions(options);
    return new this(
      { kind: 'snapshot', snapshotId: options.snapshotId },
      containerOptions,
      resolveBackend(backendOptions),
    ) as InstanceType<T>;
  }

  /** @internal Used by the factory, which shares one resolved backend between its containers. */
  static create<T extends typeof DockerContainer>(
    this: T,
    source: DockerSource,
    options: ContainerOptions,
    backend: ResolvedBackend,
  ): InstanceType<T> {
    assertContainerOptions(options);
    return new this(source, { ...options }, backend) as InstanceType<T>;
  }

  get name(): string | undefined {
    return this.#engineName ?? this.#options.name;
  }

  get state(): ContainerState {
    return this.#state;
  }

  /** The engine's container id once started. */
  get id(): string | undefined {
    return this.#id;
  }

  /** The dockerode client this container talks through. */
  get docker(): Docker {
    return this.#backend.docker;
  }

  async start(options?: { env?: Record<string, string> }): Promise<void> {
    if (this.#state !== 'created' || this.#starting !== undefined) {
      throw new InvalidArgumentError({
        argument: 'start()',
        message: 'start() was already called on this container; create a new one',
      });
    }
    assertOptionalStringRecord(options?.env, 'options.env');
    this.#starting = this.#start(options?.env ?? {});
    try {
      await this.#starting;
    } catch (error) {
      // Nothing is left behind (#start removes what it created): back to `created`, so that
      // start() may be retried (a stop() waiting for this start still wins: it runs after).
      this.#starting = undefined;
      this.#id = undefined;
      this.#state = 'created';
      throw error;
    }
  }

  async #start(env: Record<string, string>): Promise<void> {
    const { docker, tracker } = this.#backend;
    const started = Date.now();
    const image = await this.#resolveSource();
    this.#image = image;
    log(
      'start: %s resolved to %s (%d layers) in %d ms',
      this.#describeSource(),
      image.id,
      image.layers,
      Date.now() - started,
    );
    const labels: Record<string, string> = {
      ...this.#options.labels,
      ...ownerLabels(),
      [snapboxLabels.kind]: 'container',
      [snapboxLabels.baseImage]: this.#baseImage,
      [snapboxLabels.parentSnapshot]: this.#source.kind === 'snapshot' ? this.#source.snapshotId : '',
    };
    let container: Docker.Container;
    tracker.beginCreate();
    try {
      container = await docker.createContainer({
        Image: image.id,
        Entrypoint: keepAlive,
        Cmd: [],
        Labels: labels,
        ...(this.#options.name === undefined ? {} : { name: this.#options.name }),
        AttachStdin: false,
        AttachStdout: false,
        AttachStderr: false,
        Tty: false,
        HostConfig: { Init: true, ...this.#hostResources() },
      });
      this.#id = container.id;
      tracker.trackContainer(container.id);
    } catch (error) {
      throw this.#engineFailure(error, 'create a container');
    } finally {
      tracker.endCreate();
    }
    try {
      await container.start();
      const info = await container.inspect();
      if ((this.#options.resources?.gpu ?? 0) > 0 && !info.HostConfig.DeviceRequests?.length) {
        throw new UnsupportedCapabilityError({
          capability: 'resources.gpu',
          backend: 'docker',
          detail:
            "the engine ignored the GPU request (Podman's Docker-compatible API does); remove gpu, or use Docker with a GPU device driver",
        });
      }
      this.#engineName = info.Name.replace(/^\//, '');
      this.#env = { ...env };
      this.#state = 'running';
      log(
        'start: container %s (%s) running on %s after %d ms',
        container.id.slice(0, 12),
        this.#engineName,
        describeEndpoint(docker),
        Date.now() - started,
      );
      if (this.#options.defaultWorkdir !== undefined) {
        const made = await this.exec(['mkdir', '-p', this.#options.defaultWorkdir], { workdir: '/' });
        if (made.exitCode !== 0) {
          throw new InvalidArgumentError({
            argument: 'defaultWorkdir',
            message: `could not create ${this.#options.defaultWorkdir}: ${made.stderr.trim()}`,
          });
        }
      }
    } catch (error) {
      this.#state = 'stopped';
      log('start: container %s failed (%s); removing it', container.id.slice(0, 12), (error as Error).message);
      await removeContainer(docker, container.id).catch(() => undefined);
      tracker.untrackContainer(container.id);
      throw this.#engineFailure(error, `start container ${container.id}`);
    }
  }

  async #resolveSource(): Promise<ResolvedImage> {
    const { docker, pull } = this.#backend;
    const source = this.#source;
    if (source.kind === 'image') {
      this.#baseImage = source.image;
      return ensureImage(docker, source.image, pull);
    }
    if (source.kind === 'dockerfile') {
      this.#baseImage = source.dockerfilePath;
      return buildDockerfile(docker, source.dockerfilePath, ownerLabels());
    }
    let info: Docker.ImageInspectInfo;
    try {
      info = await docker.getImage(source.snapshotId).inspect();
    } catch (error) {
      if (statusOf(error) === 404) throw new SnapshotNotFoundError({ snapshotId: source.snapshotId, cause: error });
      throw wrapEngineError(error, docker, `inspect snapshot ${source.snapshotId}`);
    }
    const labels = info.Config?.Labels ?? {};
    if (labels[snapboxLabels.managed] !== 'true' || labels[snapboxLabels.kind] !== 'snapshot') {
      throw new NotASnapshotError({
        snapshotId: source.snapshotId,
        reason: 'restoring needs a snapshot made by snapbox',
      });
    }
    this.#baseImage = labels[snapboxLabels.baseImage] ?? '';
    return describeImage(info);
  }

  #describeSource(): string {
    const source = this.#source;
    if (source.kind === 'image') return `image ${source.image}`;
    if (source.kind === 'dockerfile') return `Dockerfile ${source.dockerfilePath}`;
    return `snapshot ${source.snapshotId}`;
  }

  #hostResources(): Docker.HostConfig {
    const resources = this.#options.resources ?? {};
    const host: Docker.HostConfig = {};
    if (resources.cpu !== undefined) host.NanoCpus = Math.round(resources.cpu * 1e9);
    if (resources.memoryMiB !== undefined) host.Memory = Math.round(resources.memoryMiB * 1024 * 1024);
    if (resources.gpu !== undefined && resources.gpu > 0) {
      host.DeviceRequests = [{ Driver: '', Count: resources.gpu, Capabilities: [['gpu']] }];
    }
    if (resources.diskGiB !== undefined) host.StorageOpt = { size: `${resources.diskGiB}G` };
    return host;
  }

  /** Engine refusals that mean "this engine cannot do what the options ask" get typed errors. */
  #engineFailure(error: unknown, action: string): Error {
    if (SnapboxError.isInstance(error)) return error;
    const message = engineMessage(error);
    const { docker } = this.#backend;
    if (/storage-opt|storage opt|quota/i.test(message)) {
      return new UnsupportedCapabilityError({
        capability: 'resources.diskGiB',
        backend: 'docker',
        detail: `this engine's storage driver cannot enforce a disk size (${message}); remove diskGiB, or use overlay2 on xfs with pquota`,
        cause: error,
      });
    }
    if (/device driver|gpu|nvidia/i.test(message)) {
      return new UnsupportedCapabilityError({
        capability: 'resources.gpu',
        backend: 'docker',
        detail: `the engine has no GPU device driver (${message})`,
        cause: error,
      });
    }
    if (statusOf(error) === 409 && action === 'create a container') {
      return new InvalidArgumentError({
        argument: 'name',
        message: `${this.#options.name} is already in use on the engine (${message})`,
        cause: error,
      });
    }
    return wrapEngineError(error, docker, action);
  }

  async stop(): Promise<void> {
    // Concurrent calls share one removal, so every caller returns once the container is gone.
    this.#stopping ??= this.#stop();
    try {
      await this.#stopping;
    } catch (error) {
      this.#stopping = undefined;
      throw error;
    }
  }

  async #stop(): Promise<void> {
    if (this.#starting !== undefined) await this.#starting.catch(() => undefined);
    this.#state = 'stopped';
    if (this.#id === undefined) return;
    const { docker, tracker } = this.#backend;
    const started = Date.now();
    try {
      await removeContainer(docker, this.#id);
      log('stop: removed container %s in %d ms', this.#id.slice(0, 12), Date.now() - started);
    } catch (error) {
      // Still tracked: the exit cleanup will try again.
      throw wrapEngineError(error, docker, `remove container ${this.#id}`);
    }
    tracker.untrackContainer(this.#id);
    if (tracker.reclaimPending) {
      await reclaimDanglingSnapshots(docker, currentSession().id).catch(() => undefined);
    }
  }

  stopAndRemoveSync(): void {
    DockerContainer.stopAndRemoveAllSync([this]);
  }

  /**
   * {@link stopAndRemoveSync} for many containers at once: one blocking child process per
   * engine instead of one per container (each costs a Node.js start), for an exit handler that
   * removes a whole pool.
   */
  static stopAndRemoveAllSync(containers: readonly DockerContainer[]): void {
    const byTracker = new Map<SessionTracker, DockerContainer[]>();
    for (const container of containers) {
      container.#state = 'stopped';
      if (container.#id === undefined || container.#stopping !== undefined) continue;
      container.#stopping = Promise.resolve();
      const { tracker } = container.#backend;
      byTracker.set(tracker, [...(byTracker.get(tracker) ?? []), container]);
    }
    let failure: { error: unknown } | undefined;
    for (const [tracker, group] of byTracker) {
      const ids = group.map((container) => container.#id as string);
      try {
        tracker.runSync({ containers: ids });
        for (const id of ids) tracker.untrackContainer(id);
      } catch (error) {
        // Still tracked, so the exit cleanup tries again; and so may an async stop().
        for (const container of group) container.#stopping = undefined;
        failure ??= { error };
      }
    }
    if (failure !== undefined) throw failure.error;
  }

  async exec(command: string | readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    assertCommand(command);
    assertExecOptions(options);
    this.assertRunning('exec');
    const argv = typeof command === 'string' ? ['bash', '-lc', command] : command;
    await this.#snapshotsSettled();
    const started = Date.now();
    const request = runExec({
      docker: this.#backend.docker,
      containerId: this.#id as string,
      argv,
      env: { ...this.#env, ...options.env },
      workdir: options.workdir ?? this.#options.defaultWorkdir,
      options,
      command,
    });
    if (!log.enabled) return request;
    const id = (this.#id as string).slice(0, 12);
    return request.then(
      (result) => {
        log(
          'exec in %s: %s: exit %d in %d ms',
          id,
          brief(describeCommand(command)),
          result.exitCode,
          Date.now() - started,
        );
        return result;
      },
      (error: unknown) => {
        const reason = SnapboxError.isInstance(error) ? error.code : String(error);
        log('exec in %s: %s: %s after %d ms', id, brief(describeCommand(command)), reason, Date.now() - started);
        throw error;
      },
    );
  }

  async uploadFiles(files: readonly FileTransfer[]): Promise<void> {
    this.assertRunning('uploadFiles');
    assertFileTransfers(files, 'files');
    await this.#snapshotsSettled();
    await uploadFiles(this.#backend.docker, this.#id as string, files);
  }

  async downloadFiles(files: readonly FileTransfer[]): Promise<void> {
    this.assertRunning('downloadFiles');
    assertFileTransfers(files, 'files');
    await this.#snapshotsSettled();
    for (const file of files) {
      await downloadFile(this.#backend.docker, this.#id as string, file.remotePath, file.localPath, this.name);
    }
  }

  override async uploadDir(localDir: string, remoteDir: string): Promise<void> {
    this.assertRunning('uploadDir');
    assertNonEmptyString(localDir, 'localDir');
    assertAbsoluteRemotePath(remoteDir, 'remoteDir');
    await this.#snapshotsSettled();
    await uploadDirectory(this.#backend.docker, this.#id as string, localDir, remoteDir);
  }

  override async downloadDir(remoteDir: string, localDir: string): Promise<void> {
    this.assertRunning('downloadDir');
    assertAbsoluteRemotePath(remoteDir, 'remoteDir');
    assertNonEmptyString(localDir, 'localDir');
    await this.#snapshotsSettled();
    await downloadDirectory(this.#backend.docker, this.#id as string, remoteDir, localDir, this.name);
  }

  /**
   * Waits for the snapshots already asked for. The engine pauses the container while it
   * commits, and refuses an exec into a paused container; an operation called after
   * `snapshot()` also belongs after it, not inside the snapshot.
   */
  #snapshotsSettled(): Promise<unknown> {
    return this.#snapshotQueue;
  }

  async snapshot(options: SnapshotOptions = {}): Promise<string> {
    this.assertRunning('snapshot');
    if (
      typeof options !== 'object' ||
      options === null ||
      (options.keep !== undefined && typeof options.keep !== 'boolean')
    ) {
      throw new InvalidArgumentError({ argument: 'options.keep', message: 'expected a boolean' });
    }
    // The engine pauses the container during a commit; two at once on one container would clash.
    const next = this.#snapshotQueue.then(() => this.#snapshot(options.keep === true));
    this.#snapshotQueue = next.catch(() => undefined);
    return next;
  }

  async #snapshot(keep: boolean): Promise<string> {
    const { docker, repository, tracker, flattenAtLayers } = this.#backend;
    const image = this.#image as ResolvedImage;
    const reference = newSnapshotReference(repository);
    // The caller's labels go with the snapshot (a run's id, say), so that `listSnapshots` and
    // `snapbox ls` can show what a snapshot belongs to after its process is gone.
    const labels = {
      ...this.#options.labels,
      ...snapshotLabels(
        {
          keep,
          baseImage: this.#baseImage,
          parentSnapshot: this.#source.kind === 'snapshot' ? this.#source.snapshotId : undefined,
        },
        ownerLabels(),
      ),
    };
    if (!keep) tracker.trackSnapshot(reference);
    const started = Date.now();
    const flatten = image.layers + 1 >= flattenAtLayers;
    try {
      if (flatten) {
        await flattenSnapshot(docker, this.#id as string, reference, image.config, labels);
      } else {
        await commitSnapshot(docker, this.#id as string, reference, image.config, labels);
      }
    } catch (error) {
      tracker.untrackSnapshot(reference);
      log(
        'snapshot of %s failed after %d ms: %s',
        (this.#id as string).slice(0, 12),
        Date.now() - started,
        (error as Error).message,
      );
      throw error;
    }
    log(
      'snapshot of %s: %s (%s%s) in %d ms',
      (this.#id as string).slice(0, 12),
      reference,
      flatten ? 'flattened into one layer' : 'committed',
      keep ? ', kept' : '',
      Date.now() - started,
    );
    tracker.committedHere.add(reference);
    return reference;
  }

  fromSnapshot(snapshotId: string, options: ContainerOptions = {}): DockerContainer {
    assertNonEmptyString(snapshotId, 'snapshotId');
    const Class = this.constructor as typeof DockerContainer;
    return Class.create({ kind: 'snapshot', snapshotId }, options, this.#backend);
  }

  async deleteSnapshot(snapshotId: string): Promise<void> {
    assertNonEmptyString(snapshotId, 'snapshotId');
    const { docker, repository, tracker } = this.#backend;
    const outcome = await deleteSnapshotImage(docker, snapshotId, repository, {
      committedHere: tracker.committedHere.has(snapshotId),
    });
    tracker.untrackSnapshot(snapshotId);
    tracker.committedHere.delete(snapshotId);
    log('deleteSnapshot %s: %s', snapshotId, outcome.outcome);
    if (outcome.outcome === 'deferred') tracker.reclaimPending = true;
  }

  deleteSnapshotSync(snapshotId: string): void {
    assertNonEmptyString(snapshotId, 'snapshotId');
    const { repository, tracker } = this.#backend;
    if (!isSnapshotReference(snapshotId, repository)) {
      throw new NotASnapshotError({ snapshotId, reason: `snapbox snapshot ids look like ${repository}:<tag>` });
    }
    const report = tracker.runSync({ snapshots: [snapshotId] });
    if (report.notASnapshot.length > 0) {
      throw new NotASnapshotError({ snapshotId, reason: `the image has no ${snapboxLabels.managed} label` });
    }
    tracker.untrackSnapshot(snapshotId);
    tracker.committedHere.delete(snapshotId);
  }
}

const backendKeys = ['docker', 'snapshotRepository', 'pull', 'flattenAtLayers', 'watchdog'] as const;

function splitOptions(options: object): {
  backendOptions: DockerBackendOptions;
  containerOptions: ContainerOptions;
} {
  const backendOptions: Record<string, unknown> = {};
  const containerOptions: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options as Record<string, unknown>)) {
    if ((backendKeys as readonly string[]).includes(key)) backendOptions[key] = value;
    else if (key !== 'image' && key !== 'dockerfilePath' && key !== 'snapshotId') containerOptions[key] = value;
  }
  assertContainerOptions(containerOptions);
  return {
    backendOptions: backendOptions as DockerBackendOptions,
    containerOptions: containerOptions as ContainerOptions,
  };
}
