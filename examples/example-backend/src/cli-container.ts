import { lstat, mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import {
  assertCommand,
  assertContainerOptions,
  assertExecOptions,
  assertFileTransfers,
  assertNonEmptyString,
  assertStartOptions,
  BaseContainer,
  type ContainerOptions,
  type ContainerState,
  currentSession,
  type ExecOptions,
  type ExecResult,
  type FileTransfer,
  ImageBuildError,
  ImageNotFoundError,
  InvalidArgumentError,
  NotASnapshotError,
  ownerLabels,
  RemotePathNotFoundError,
  runStartWithDeadline,
  type SnapshotableContainer,
  SnapshotNotFoundError,
  type SnapshotOptions,
  type StartContext,
  type StartOptions,
  type SupportedOptions,
  snapboxLabels,
  UnsupportedCapabilityError,
} from '@snapbox/core';
import { runExec } from './cli-exec.js';
import type { DockerCli } from './docker-cli.js';
import type { SessionCleanup } from './session-cleanup.js';
import {
  deleteSnapshot,
  deleteSnapshotSync,
  type ImageInfo,
  inspectImage,
  newSnapshotId,
  reclaimArgs,
  takeSnapshot,
} from './snapshot-images.js';

/** Where a container's filesystem comes from. */
export type CliSource =
  | { kind: 'image'; image: string }
  | { kind: 'dockerfile'; dockerfilePath: string }
  | { kind: 'snapshot'; snapshotId: string };

/** What every container of one factory shares: the CLI, the snapshot repository, the cleanup. */
export interface CliBackend {
  cli: DockerCli;
  repository: string;
  flattenAtLayers: number;
  session: SessionCleanup;
}

/**
 * What this backend enforces beyond the basics: `network: 'none'` and `resources.pids` are one
 * `docker create` flag each. `user` and `ports` are left out to keep the example short (a user
 * needs uploads owned by it, which `docker cp` cannot do); the factory refuses them.
 */
export const cliSupportedOptions: SupportedOptions = { backend: 'docker-cli', network: true, pids: true };

// Keeps the container alive between commands; needs only sh and sleep. The image's own
// ENTRYPOINT is cleared so that it cannot swallow this command.
const keepAlive = ['/bin/sh', '-c', 'while :; do sleep 3600; done'];

// Exit 0 for a file (links followed), 2 for a folder, 1 when nothing is there.
const probeScript = 'if [ -d "$1" ]; then exit 2; elif [ -e "$1" ]; then exit 0; else exit 1; fi';

/**
 * A container driven through the `docker` command line. It implements the primitives of
 * {@link BaseContainer} (start, stop, exec, uploadFiles, downloadFiles) and the four snapshot
 * methods; the folder and single-file helpers come from the base class.
 *
 * Create it with `createCliDockerFactory()`; nothing runs until `start()`.
 */
export class CliDockerContainer extends BaseContainer implements SnapshotableContainer {
  /** Always `'docker-cli'`. */
  readonly backend = 'docker-cli';
  readonly #source: CliSource;
  readonly #options: ContainerOptions;
  readonly #backend: CliBackend;
  #state: ContainerState = 'created';
  #starting: Promise<void> | undefined;
  #id: string | undefined;
  #engineName: string | undefined;
  #env: Record<string, string> = {};
  #image: ImageInfo | undefined;
  #baseImage = '';
  #snapshots: Promise<unknown> = Promise.resolve();

  /** @internal Use the factory: it validates the options. */
  constructor(source: CliSource, options: ContainerOptions, backend: CliBackend) {
    super();
    this.#source = source;
    this.#options = options;
    this.#backend = backend;
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

  async start(options?: StartOptions): Promise<void> {
    if (this.#starting !== undefined || this.#state !== 'created') {
      throw new InvalidArgumentError({
        argument: 'start()',
        message: 'start() was already called; create a new container',
      });
    }
    assertStartOptions(options);
    // Core's race turns an abort, a timeout or a throwing onProgress into the contract's errors;
    // #start watches the one signal it gets and removes what it made.
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
        this.#state = 'stopped'; // a cancelled start is over for good
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
    const { cli, session } = this.#backend;
    const { signal } = context;
    this.#image = await this.#resolveSource(context);
    signal.throwIfAborted();
    const labels: Record<string, string> = {
      ...this.#options.labels,
      ...ownerLabels(),
      [snapboxLabels.kind]: 'container',
      [snapboxLabels.baseImage]: this.#baseImage,
      [snapboxLabels.parentSnapshot]: this.#source.kind === 'snapshot' ? this.#source.snapshotId : '',
    };
    context.progress({ phase: 'start', message: 'creating the container' });
    signal.throwIfAborted();
    // Not interrupted: a killed `docker create` may still create a container we would not know.
    const created = await cli.run([
      'create',
      '--init',
      '--entrypoint',
      '',
      ...Object.entries(labels).flatMap(([key, value]) => ['--label', `${key}=${value}`]),
      ...(this.#options.name === undefined ? [] : ['--name', this.#options.name]),
      ...(this.#options.network === 'none' ? ['--network', 'none'] : []),
      ...this.#resourceFlags(),
      this.#image.Id,
      ...keepAlive,
    ]);
    if (created.exitCode !== 0) throw this.#createFailure(created.stderr, cli.failure(created, 'create a container'));
    const id = created.stdout.trim();
    this.#id = id;
    session.trackContainer(id);
    try {
      signal.throwIfAborted();
      const startedResult = await cli.run(['start', id]);
      // The engine checks some options (a GPU request) only here.
      if (startedResult.exitCode !== 0) {
        throw this.#createFailure(startedResult.stderr, cli.failure(startedResult, `start container ${id}`));
      }
      const name = await cli.run(['inspect', '--format', '{{.Name}}', id]);
      this.#engineName = name.stdout.trim().replace(/^\//, '') || undefined;
      // The start env lives here and is passed to every `docker exec`, never to `docker create`:
      // a commit copies the container's config, and the env must not end up in a snapshot.
      this.#env = { ...env };
      this.#state = 'running';
      if (this.#options.defaultWorkdir !== undefined) {
        const made = await this.exec(['mkdir', '-p', this.#options.defaultWorkdir], { workdir: '/' });
        if (made.exitCode !== 0) {
          throw new InvalidArgumentError({
            argument: 'defaultWorkdir',
            message: `could not create ${this.#options.defaultWorkdir}: ${made.stderr.trim()}`,
          });
        }
      }
      signal.throwIfAborted();
      context.progress({ phase: 'start', message: `container ${this.#engineName ?? id} is running` });
    } catch (error) {
      await this.#removeCreated();
      throw error;
    }
  }

  /** Removes the container of a start that failed or was cancelled, if it got that far. */
  async #removeCreated(): Promise<void> {
    this.#state = 'stopped';
    if (this.#id !== undefined) await this.#remove().catch(() => undefined);
  }

  async #resolveSource(context: StartContext): Promise<ImageInfo> {
    const { cli } = this.#backend;
    const source = this.#source;
    if (source.kind === 'snapshot') {
      const info = await inspectImage(cli, source.snapshotId);
      if (info === undefined) throw new SnapshotNotFoundError({ snapshotId: source.snapshotId });
      const labels = info.Config?.Labels ?? {};
      if (labels[snapboxLabels.managed] !== 'true' || labels[snapboxLabels.kind] !== 'snapshot') {
        throw new NotASnapshotError({ snapshotId: source.snapshotId, reason: 'restoring needs a snapbox snapshot' });
      }
      this.#baseImage = labels[snapboxLabels.baseImage] ?? '';
      return info;
    }
    if (source.kind === 'dockerfile') {
      this.#baseImage = source.dockerfilePath;
      return this.#build(source.dockerfilePath, context);
    }
    this.#baseImage = source.image;
    const present = await inspectImage(cli, source.image);
    if (present !== undefined) return present;
    context.progress({ phase: 'pull', message: `pulling ${source.image}` });
    const pulled = await cli.run(['pull', source.image], {
      signal: context.signal,
      onLine: (line) => context.progress({ phase: 'pull', message: line }),
    });
    context.signal.throwIfAborted();
    if (pulled.exitCode !== 0) {
      const failure = cli.failure(pulled, `pull ${source.image}`);
      if (failure.code === 'BACKEND_UNAVAILABLE') throw failure;
      throw new ImageNotFoundError({ image: source.image, detail: `pulling it failed: ${pulled.stderr.trim()}` });
    }
    const info = await inspectImage(cli, source.image);
    if (info === undefined) throw new ImageNotFoundError({ image: source.image, detail: 'absent after a pull' });
    return info;
  }

  async #build(dockerfilePath: string, context: StartContext): Promise<ImageInfo> {
    const { cli } = this.#backend;
    const absolute = resolve(dockerfilePath);
    const info = await lstat(absolute).catch(() => undefined);
    if (!info?.isFile()) throw new ImageBuildError({ dockerfilePath: absolute, detail: 'no such file', logTail: '' });
    const labels = { ...ownerLabels(), [snapboxLabels.kind]: 'build' };
    const idFile = join(await mkdtemp(join(tmpdir(), 'snapbox-cli-build-')), 'id');
    context.progress({ phase: 'build', message: `building ${absolute}` });
    const built = await cli.run(
      [
        'build',
        '--iidfile',
        idFile,
        // A cancelled build must not leave its step's container behind.
        '--force-rm',
        ...Object.entries(labels).flatMap(([key, value]) => ['--label', `${key}=${value}`]),
        '--file',
        absolute,
        dirname(absolute),
      ],
      {
        signal: context.signal,
        // BuildKit prefixes a step's output with "#<step> <seconds> "; the classic builder prints it as is.
        onLine: (line) => context.progress({ phase: 'build', message: line.replace(/^#\d+ \d+\.\d+ /, '') }),
      },
    );
    const builtId = (await readFile(idFile, 'utf8').catch(() => '')).trim();
    await rm(dirname(idFile), { recursive: true, force: true });
    context.signal.throwIfAborted();
    if (built.exitCode !== 0) {
      const failure = cli.failure(built, `build ${absolute}`);
      if (failure.code === 'BACKEND_UNAVAILABLE') throw failure;
      const log = built.stderr.trim().split('\n');
      throw new ImageBuildError({
        dockerfilePath: absolute,
        detail: log.at(-1) ?? 'docker build failed',
        logTail: log.slice(-30).join('\n'),
      });
    }
    const image = await inspectImage(cli, builtId);
    if (image === undefined) throw cli.failure(built, `find the image built from ${absolute}`);
    return image;
  }

  #resourceFlags(): string[] {
    const resources = this.#options.resources ?? {};
    const flags: string[] = [];
    if (resources.cpu !== undefined) flags.push('--cpus', String(resources.cpu));
    if (resources.memoryMiB !== undefined) flags.push('--memory', `${Math.round(resources.memoryMiB)}m`);
    if (resources.gpu !== undefined && resources.gpu > 0) flags.push('--gpus', String(resources.gpu));
    if (resources.diskGiB !== undefined) flags.push('--storage-opt', `size=${resources.diskGiB}G`);
    if (resources.pids !== undefined) flags.push('--pids-limit', String(resources.pids));
    return flags;
  }

  /** The engine's refusals that mean "cannot do what the options ask" get typed errors. */
  #createFailure(stderr: string, fallback: Error): Error {
    if (/storage-opt|storage opt|quota/i.test(stderr)) {
      return new UnsupportedCapabilityError({
        capability: 'resources.diskGiB',
        backend: this.backend,
        detail: `the engine's storage driver cannot enforce a disk size: ${stderr.trim()}`,
      });
    }
    if (/gpu|device driver/i.test(stderr)) {
      return new UnsupportedCapabilityError({
        capability: 'resources.gpu',
        backend: this.backend,
        detail: stderr.trim(),
      });
    }
    if (/already in use/i.test(stderr)) {
      return new InvalidArgumentError({ argument: 'name', message: stderr.trim() });
    }
    return fallback;
  }

  async stop(): Promise<void> {
    // A stop during start() waits for it, so that the container it creates is removed too.
    await this.#starting?.catch(() => undefined);
    const wasRunning = this.#state === 'running';
    this.#state = 'stopped';
    if (wasRunning) await this.#remove();
  }

  async #remove(): Promise<void> {
    const { cli, session } = this.#backend;
    const id = this.#id as string;
    const removed = await cli.run(['rm', '--force', '--volumes', id]);
    if (removed.exitCode !== 0 && !/no such container|already in progress/i.test(removed.stderr)) {
      throw cli.failure(removed, `remove container ${id}`); // still tracked: the exit hook retries
    }
    session.untrackContainer(id);
    if (session.reclaimPending) await cli.run(reclaimArgs(currentSession().id));
  }

  stopAndRemoveSync(): void {
    const wasRunning = this.#state === 'running';
    this.#state = 'stopped';
    if (!wasRunning) return;
    const { cli, session } = this.#backend;
    cli.runSync(['rm', '--force', '--volumes', this.#id as string]);
    session.untrackContainer(this.#id as string);
  }

  async exec(command: string | readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    assertCommand(command);
    assertExecOptions(options, cliSupportedOptions);
    this.assertRunning('exec');
    return runExec({
      cli: this.#backend.cli,
      containerId: this.#id as string,
      // A string runs in a login shell, as the contract says; an array is argv as is.
      argv: typeof command === 'string' ? ['bash', '-lc', command] : command,
      env: { ...this.#env, ...options.env },
      workdir: options.workdir ?? this.#options.defaultWorkdir,
      options,
      command,
    });
  }

  async uploadFiles(files: readonly FileTransfer[]): Promise<void> {
    this.assertRunning('uploadFiles');
    assertFileTransfers(files, 'files');
    for (const [index, file] of files.entries()) {
      const info = await stat(file.localPath).catch(() => undefined);
      if (!info?.isFile()) {
        throw new InvalidArgumentError({
          argument: `files[${index}].localPath`,
          message: `${resolve(file.localPath)} is not an existing file`,
        });
      }
    }
    if (files.length === 0) return;
    // `docker cp` needs the parent folder to exist; one exec creates them all.
    const parents = [...new Set(files.map((file) => file.remotePath.replace(/\/[^/]*$/, '') || '/'))];
    const made = await this.exec(['mkdir', '-p', '--', ...parents], { workdir: '/' });
    if (made.exitCode !== 0) {
      throw new InvalidArgumentError({
        argument: 'files',
        message: `cannot create ${parents.join(', ')}: ${made.stderr}`,
      });
    }
    const { cli } = this.#backend;
    for (const file of files) {
      // `docker cp` keeps the file's mode; it streams, so file size does not matter.
      const copied = await cli.run(['cp', '--follow-link', resolve(file.localPath), `${this.#id}:${file.remotePath}`]);
      if (copied.exitCode !== 0) throw cli.failure(copied, `upload ${file.localPath} to ${file.remotePath}`);
    }
  }

  async downloadFiles(files: readonly FileTransfer[]): Promise<void> {
    this.assertRunning('downloadFiles');
    assertFileTransfers(files, 'files');
    const { cli } = this.#backend;
    for (const file of files) {
      const target = resolve(file.localPath);
      if ((await lstat(target).catch(() => undefined))?.isDirectory()) {
        throw new InvalidArgumentError({ argument: 'localPath', message: `${target} is a folder` });
      }
      const probe = await this.exec(['sh', '-c', probeScript, 'probe', file.remotePath], { workdir: '/' });
      if (probe.exitCode === 2) {
        throw new InvalidArgumentError({
          argument: 'remotePath',
          message: `${file.remotePath} is a folder; use downloadDir to copy a folder`,
        });
      }
      if (probe.exitCode !== 0) {
        throw new RemotePathNotFoundError({ remotePath: file.remotePath, container: this.name });
      }
      await mkdir(dirname(target), { recursive: true });
      // -L: a link is followed, so the file it points to is what arrives.
      const copied = await cli.run(['cp', '--follow-link', `${this.#id}:${file.remotePath}`, target]);
      if (copied.exitCode !== 0) {
        if (/could not find the file|no such/i.test(copied.stderr)) {
          throw new RemotePathNotFoundError({ remotePath: file.remotePath, container: this.name });
        }
        throw cli.failure(copied, `download ${file.remotePath}`);
      }
    }
  }

  async snapshot(options: SnapshotOptions = {}): Promise<string> {
    this.assertRunning('snapshot');
    if (options.keep !== undefined && typeof options.keep !== 'boolean') {
      throw new InvalidArgumentError({ argument: 'options.keep', message: 'expected a boolean' });
    }
    // A commit pauses the container: two at once on one container would clash, so queue them.
    const next = this.#snapshots.then(() => this.#snapshot(options.keep === true));
    this.#snapshots = next.catch(() => undefined);
    return next;
  }

  async #snapshot(keep: boolean): Promise<string> {
    const { cli, repository, flattenAtLayers, session } = this.#backend;
    const snapshotId = newSnapshotId(repository);
    const labels = {
      ...ownerLabels(),
      [snapboxLabels.kind]: 'snapshot',
      [snapboxLabels.keep]: String(keep),
      [snapboxLabels.baseImage]: this.#baseImage,
      [snapboxLabels.parentSnapshot]: this.#source.kind === 'snapshot' ? this.#source.snapshotId : '',
    };
    // Tracked before it exists, so an exit during the commit still removes it.
    if (!keep) session.trackSnapshot(snapshotId);
    try {
      const source = this.#image as ImageInfo;
      await takeSnapshot(cli, { containerId: this.#id as string, snapshotId, source, labels }, flattenAtLayers);
    } catch (error) {
      session.untrackSnapshot(snapshotId);
      throw error;
    }
    return snapshotId;
  }

  fromSnapshot(snapshotId: string, options: ContainerOptions = {}): CliDockerContainer {
    assertNonEmptyString(snapshotId, 'snapshotId');
    assertContainerOptions(options, cliSupportedOptions);
    return new CliDockerContainer({ kind: 'snapshot', snapshotId }, { ...options }, this.#backend);
  }

  async deleteSnapshot(snapshotId: string): Promise<void> {
    assertNonEmptyString(snapshotId, 'snapshotId');
    const { cli, repository, session } = this.#backend;
    const outcome = await deleteSnapshot(cli, snapshotId, repository);
    session.untrackSnapshot(snapshotId);
    if (outcome === 'untagged') session.reclaimPending = true;
  }

  deleteSnapshotSync(snapshotId: string): void {
    assertNonEmptyString(snapshotId, 'snapshotId');
    const { cli, repository, session } = this.#backend;
    const outcome = deleteSnapshotSync(cli, snapshotId, repository);
    session.untrackSnapshot(snapshotId);
    if (outcome === 'untagged') session.reclaimPending = true;
  }
}
