import {
  assertAbsoluteRemotePath,
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
  describeCommand,
  type ExecOptions,
  type FileTransfer,
  InvalidArgumentError,
  NotASnapshotError,
  ownerLabels,
  runStartWithDeadline,
  SnapboxError,
  type SnapshotableContainer,
  SnapshotNotFoundError,
  type SnapshotOptions,
  type StartContext,
  type StartOptions,
  type SupportedOptions,
  snapboxLabels,
  UnsupportedCapabilityError,
} from '@snapbox/core';
import type Docker from 'dockerode';
import { removeContainer } from './cleanup-actions.js';
import { brief, dockerLog as log } from './debug-logs.js';
import { type DockerBackendOptions, type ResolvedBackend, resolveBackend } from './docker-backend.js';
import { describeEndpoint, engineMessage, isLocalEngine, statusOf, wrapEngineError } from './docker-connection.js';
import { type DockerExecResult, readOomKills, runExec } from './exec-runner.js';
import { assertHostConfig, buildHostConfig, exposedPorts } from './host-config.js';
import { buildDockerfile, describeImage, ensureImage, type ResolvedImage, type StartWatch } from './image-source.js';
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
import { downloadDirectory, downloadFile, makeDirectory, uploadDirectory, uploadFiles } from './tar-transfer.js';

/** Where a Docker container's filesystem comes from (core's `ContainerSource`). */
export type DockerSource = ContainerSource;

/** Options of a Docker container: the contract's, plus how to reach the engine. */
export type DockerContainerOptions = ContainerOptions & DockerBackendOptions;

/** What a Docker container takes beyond the contract's options, per container (from a factory). */
export interface DockerContainerExtras {
  /**
   * Engine API `HostConfig` fields for this container, merged over the factory's `hostConfig`
   * (see `DockerBackendOptions.hostConfig` for what wins over what).
   */
  hostConfig?: Docker.HostConfig;
}

/** Settings a container keeps: the contract's options and its own `hostConfig`. */
type ContainerSettings = ContainerOptions & DockerContainerExtras;

/** Everything the contract lets a backend lack, the Docker backend enforces. */
export const dockerSupportedOptions: SupportedOptions = {
  backend: 'docker',
  network: true,
  user: true,
  ports: true,
  pids: true,
};

/** The contract's checks, plus what only makes sense together on Docker. */
function assertDockerContainerOptions(options: ContainerSettings): void {
  assertContainerOptions(options, dockerSupportedOptions);
  assertHostConfig(options.hostConfig, 'hostConfig');
  if (options.network === 'none' && (options.ports?.length ?? 0) > 0) {
    throw new InvalidArgumentError({
      argument: 'ports',
      message: "a container with network: 'none' has no network to publish ports on; drop one of the two",
    });
  }
}

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
  readonly #options: ContainerSettings;
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
  /** Host addresses of the published `ports`, read once the container runs. */
  #endpoints = new Map<number, ContainerEndpoint>();
  /** The numeric owner of uploaded files, when the container has a `user`. */
  #owner: { uid: number; gid: number } | undefined;
  /** Out-of-memory kills seen so far in the container's cgroup (to tell a new one from an old). */
  #oomKills = 0;

  /** Prefer the static constructors or a factory; this one takes already validated parts. */
  constructor(source: DockerSource, options: ContainerSettings, backend: ResolvedBackend) {
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
    options: ContainerSettings,
    backend: ResolvedBackend,
  ): InstanceType<T> {
    assertDockerContainerOptions(options);
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

  /**
   * Pulls or builds the image when needed, then creates and starts the container. Progress
   * (pull bytes, build log lines, start steps) goes to `onProgress`; an abort or `timeoutMs`
   * cancels the pull or build and removes whatever the start had made.
   */
  async start(options?: StartOptions): Promise<void> {
    if (this.#state !== 'created' || this.#starting !== undefined) {
      throw new InvalidArgumentError({
        argument: 'start()',
        message: 'start() was already called on this container; create a new one',
      });
    }
    assertStartOptions(options);
    let watch: StartContext | undefined;
    this.#starting = runStartWithDeadline({
      options,
      container: this.#options.name,
      run: (context) => {
        watch = context;
        return this.#start(options?.env ?? {}, context);
      },
      undo: () => this.#removeCreated(),
    });
    try {
      await this.#starting;
    } catch (error) {
      if (watch === undefined || watch.signal.aborted) {
        // A cancelled start is over for good.
        this.#state = 'stopped';
      } else {
        // Nothing is left behind (#start removes what it created): back to `created`, so that
        // start() may be retried (a stop() waiting for this start still wins: it runs after).
        this.#starting = undefined;
        this.#id = undefined;
        this.#state = 'created';
      }
      throw error;
    }
  }

  async #start(env: Record<string, string>, context: StartContext): Promise<void> {
    const { docker, tracker } = this.#backend;
    const { signal } = context;
    const started = Date.now();
    const image = await this.#resolveSource({ signal, progress: (event) => context.progress(event) });
    signal.throwIfAborted();
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
    context.progress({ phase: 'start', message: `creating a container from ${this.#describeSource()}` });
    signal.throwIfAborted();
    const portBindAddress = this.#backend.portBindAddress ?? (isLocalEngine(docker) ? '127.0.0.1' : '0.0.0.0');
    let container: Docker.Container;
    tracker.beginCreate();
    try {
      // Not cancelled mid-request: the engine could create the container after we stopped
      // listening, and we would not know its id to remove it. The signal is checked right after.
      container = await docker.createContainer({
        Image: image.id,
        Entrypoint: keepAlive,
        Cmd: [],
        Labels: labels,
        ...(this.#options.name === undefined ? {} : { name: this.#options.name }),
        ...(this.#options.user === undefined ? {} : { User: this.#options.user }),
        ...(exposedPorts(this.#options.ports) === undefined ? {} : { ExposedPorts: exposedPorts(this.#options.ports) }),
        AttachStdin: false,
        AttachStdout: false,
        AttachStderr: false,
        Tty: false,
        HostConfig: buildHostConfig(
          this.#options,
          { factory: this.#backend.hostConfig, container: this.#options.hostConfig },
          portBindAddress,
        ),
      });
      this.#id = container.id;
      tracker.trackContainer(container.id);
    } catch (error) {
      throw this.#engineFailure(error, 'create a container');
    } finally {
      tracker.endCreate();
    }
    try {
      signal.throwIfAborted();
      context.progress({ phase: 'start', message: `starting container ${container.id.slice(0, 12)}` });
      await container.start();
      signal.throwIfAborted();
      const info = await container.inspect();
      if ((this.#options.resources?.gpu ?? 0) > 0 && !info.HostConfig.DeviceRequests?.length) {
        throw new UnsupportedCapabilityError({
          capability: 'resources.gpu',
          backend: 'docker',
          detail:
            "the engine ignored the GPU request (Podman's Docker-compatible API does); remove gpu, or use Docker with a GPU device driver",
        });
      }
      this.#checkEnforced(info);
      this.#engineName = info.Name.replace(/^\//, '');
      this.#endpoints = publishedEndpoints(info, this.#options.ports, docker, portBindAddress);
      this.#env = { ...env };
      this.#state = 'running';
      await this.#prepareUser();
      await this.#prepareWorkdir();
      signal.throwIfAborted();
      context.progress({ phase: 'start', message: `container ${this.#engineName} is running` });
      log(
        'start: container %s (%s) running on %s after %d ms',
        container.id.slice(0, 12),
        this.#engineName,
        describeEndpoint(docker),
        Date.now() - started,
      );
    } catch (error) {
      this.#state = 'stopped';
      log('start: container %s failed (%s); removing it', container.id.slice(0, 12), (error as Error).message);
      await this.#removeCreated();
      if (signal.aborted) throw error;
      throw this.#engineFailure(error, `start container ${container.id}`);
    }
  }

  /** Removes the container a cancelled or failed start created, if it got that far. */
  async #removeCreated(): Promise<void> {
    this.#state = 'stopped';
    const id = this.#id;
    if (id === undefined) return;
    const { docker, tracker } = this.#backend;
    await removeContainer(docker, id).catch(() => undefined);
    tracker.untrackContainer(id);
  }

  /**
   * Options an engine may accept and not apply (Podman's compatible API ignores some fields):
   * refuse the container rather than run it without the limit that was asked for.
   */
  #checkEnforced(info: Docker.ContainerInspectInfo): void {
    const pids = this.#options.resources?.pids;
    const applied = info.HostConfig.PidsLimit;
    if (pids !== undefined && applied !== pids) {
      throw new UnsupportedCapabilityError({
        capability: 'resources.pids',
        backend: 'docker',
        detail: `the engine set a process limit of ${String(applied)} instead of ${pids} (a cgroup without the pids controller, or an engine that ignores PidsLimit)`,
      });
    }
    if (this.#options.network === 'none' && info.HostConfig.NetworkMode !== 'none') {
      throw new UnsupportedCapabilityError({
        capability: 'network',
        backend: 'docker',
        detail: `the engine gave the container network ${JSON.stringify(info.HostConfig.NetworkMode)} instead of "none"`,
      });
    }
  }

  /**
   * With a `user`, uploads must belong to it: resolve its numeric ids once (a name means
   * nothing inside a tar header), as the user itself.
   */
  async #prepareUser(): Promise<void> {
    const user = this.#options.user;
    if (user === undefined) return;
    const numeric = /^(\d+)(?::(\d+))?$/.exec(user);
    if (numeric?.[1] !== undefined && numeric[2] !== undefined) {
      this.#owner = { uid: Number(numeric[1]), gid: Number(numeric[2]) };
      return;
    }
    const ids = await this.exec(['id', '-u'], { workdir: '/' });
    const gids = await this.exec(['id', '-g'], { workdir: '/' });
    const uid = Number.parseInt(ids.stdout.trim(), 10);
    const gid = Number.parseInt(gids.stdout.trim(), 10);
    if (ids.exitCode !== 0 || gids.exitCode !== 0 || !Number.isInteger(uid) || !Number.isInteger(gid)) {
      throw new InvalidArgumentError({
        argument: 'user',
        message: `could not find the ids of user ${JSON.stringify(user)} with \`id\` in the image: ${ids.output.trim() || gids.output.trim()}`,
      });
    }
    this.#owner = { uid, gid };
  }

  /**
   * Creates `defaultWorkdir` when missing. Through the archive endpoint, not `mkdir`: with a
   * `user`, the folder must belong to it, and no command in the container (not even one as
   * root, which holds no capabilities in a container of another user) could chown it.
   */
  async #prepareWorkdir(): Promise<void> {
    const dir = this.#options.defaultWorkdir;
    if (dir === undefined) return;
    const probe = await this.exec(['test', '-d', dir], { workdir: '/' });
    if (probe.exitCode === 0) return;
    try {
      await makeDirectory(this.#backend.docker, this.#id as string, dir, this.#owner);
    } catch (error) {
      throw new InvalidArgumentError({
        argument: 'defaultWorkdir',
        message: `could not create ${dir}: ${error instanceof Error ? error.message : String(error)}`,
        cause: error,
      });
    }
  }

  /**
   * Where this machine reaches a container port listed in `ports`: the engine's host (loopback
   * for a local engine) and the port the engine published it on.
   */
  override async endpoint(port: number): Promise<ContainerEndpoint> {
    this.assertExposedPort(port, this.#options.ports);
    const found = this.#endpoints.get(port);
    if (found === undefined) {
      throw new UnsupportedCapabilityError({
        capability: 'ports',
        backend: 'docker',
        detail: `the engine at ${describeEndpoint(this.#backend.docker)} did not publish port ${port} (a rootless or remote engine without port forwarding?)`,
      });
    }
    return { ...found };
  }

  async #resolveSource(watch: StartWatch): Promise<ResolvedImage> {
    const { docker, pull } = this.#backend;
    const source = this.#source;
    if (source.kind === 'image') {
      this.#baseImage = source.image;
      return ensureImage(docker, source.image, pull, watch);
    }
    if (source.kind === 'dockerfile') {
      this.#baseImage = source.dockerfilePath;
      return buildDockerfile(docker, source.dockerfilePath, ownerLabels(), watch);
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
    if (this.#options.user !== undefined && /unable to find user|no matching entries in passwd/i.test(message)) {
      return new InvalidArgumentError({
        argument: 'user',
        message: `the image has no user ${JSON.stringify(this.#options.user)} (${message}); use a name from its /etc/passwd or a numeric uid[:gid]`,
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

  /**
   * Runs a command (see `Container.exec`). The result's `oomKilled` says when the kernel's
   * out-of-memory killer ended it (exit code 137 with a new OOM kill in the container's cgroup).
   */
  async exec(command: string | readonly string[], options: ExecOptions = {}): Promise<DockerExecResult> {
    assertCommand(command);
    assertExecOptions(options, dockerSupportedOptions);
    this.assertRunning('exec');
    const argv = typeof command === 'string' ? ['bash', '-lc', command] : command;
    await this.#snapshotsSettled();
    const started = Date.now();
    const docker = this.#backend.docker;
    const id = this.#id as string;
    const request = runExec({
      docker,
      containerId: id,
      argv,
      env: { ...this.#env, ...options.env },
      workdir: options.workdir ?? this.#options.defaultWorkdir,
      user: options.user,
      options,
      command,
    }).then(async (result): Promise<DockerExecResult> => {
      if (result.exitCode !== 137) return result;
      // SIGKILL: from the OOM killer when the cgroup counted a new kill since the last look.
      const kills = await readOomKills(docker, id).catch(() => undefined);
      if (kills === undefined || kills <= this.#oomKills) return result;
      this.#oomKills = kills;
      return { ...result, oomKilled: true };
    });
    if (!log.enabled) return request;
    const shortId = id.slice(0, 12);
    return request.then(
      (result) => {
        log(
          'exec in %s: %s: exit %d%s in %d ms',
          shortId,
          brief(describeCommand(command)),
          result.exitCode,
          result.oomKilled ? ' (out of memory)' : '',
          Date.now() - started,
        );
        return result;
      },
      (error: unknown) => {
        const reason = SnapboxError.isInstance(error) ? error.code : String(error);
        log('exec in %s: %s: %s after %d ms', shortId, brief(describeCommand(command)), reason, Date.now() - started);
        throw error;
      },
    );
  }

  async uploadFiles(files: readonly FileTransfer[]): Promise<void> {
    this.assertRunning('uploadFiles');
    assertFileTransfers(files, 'files');
    await this.#snapshotsSettled();
    await uploadFiles(this.#backend.docker, this.#id as string, files, this.#owner);
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
    await uploadDirectory(this.#backend.docker, this.#id as string, localDir, remoteDir, this.#owner);
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

  fromSnapshot(snapshotId: string, options: ContainerOptions & DockerContainerExtras = {}): DockerContainer {
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

const backendKeys = [
  'docker',
  'snapshotRepository',
  'pull',
  'flattenAtLayers',
  'watchdog',
  'hostConfig',
  'requests',
  'portBindAddress',
] as const;

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
  assertDockerContainerOptions(containerOptions);
  return {
    backendOptions: backendOptions as DockerBackendOptions,
    containerOptions: containerOptions as ContainerOptions,
  };
}

/**
 * The host address and port of each published container port. A wildcard binding is reached
 * on the engine's host: loopback for a local engine, else the host this client talks to.
 */
function publishedEndpoints(
  info: Docker.ContainerInspectInfo,
  ports: readonly number[] | undefined,
  docker: Docker,
  bindAddress: string,
): Map<number, ContainerEndpoint> {
  const endpoints = new Map<number, ContainerEndpoint>();
  const published = (info.NetworkSettings?.Ports ?? {}) as Record<
    string,
    Array<{ HostIp?: string; HostPort?: string }> | null | undefined
  >;
  const engineHost = engineHostOf(docker);
  for (const port of ports ?? []) {
    const bindings = published[`${port}/tcp`] ?? [];
    // An engine listing both families gives an IPv4 binding first; take the first with a port.
    const binding = bindings.find((entry) => entry.HostPort !== undefined && entry.HostPort !== '');
    if (binding === undefined) continue;
    const ip = binding.HostIp ?? '';
    const wildcard = ip === '' || ip === '0.0.0.0' || ip === '::';
    const host = isLocalEngine(docker)
      ? wildcard
        ? '127.0.0.1'
        : ip
      : wildcard || ip === bindAddress
        ? engineHost
        : ip;
    endpoints.set(port, { host, port: Number(binding.HostPort) });
  }
  return endpoints;
}

/** The host name this client reaches a remote engine by (its tcp or ssh address). */
function engineHostOf(docker: Docker): string {
  const host = (docker as unknown as { modem: { host?: string } }).modem.host;
  return host === undefined || host === '' ? '127.0.0.1' : host;
}
