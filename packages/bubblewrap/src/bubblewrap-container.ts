import { chmodSync, chownSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  assertCommand,
  assertContainerOptions,
  assertExecOptions,
  assertFileTransfers,
  assertNonEmptyString,
  assertStartOptions,
  BackendUnavailableError,
  BaseContainer,
  type ContainerEndpoint,
  ContainerNotStartedError,
  type ContainerOptions,
  type ContainerSource,
  type ContainerState,
  currentSession,
  type ExecOptions,
  type ExecResult,
  type FileTransfer,
  InvalidArgumentError,
  NotASnapshotError,
  processStartTime,
  runStartWithDeadline,
  SnapboxError,
  type SnapshotableContainer,
  type SnapshotOptions,
  type StartContext,
  type StartOptions,
  type SupportedOptions,
  UnsupportedCapabilityError,
} from '@snapbox/core';
import type { ResolvedBackend } from './bubblewrap-backend.js';
import {
  type CgroupHandle,
  type CgroupLimits,
  readCgroupLimits,
  removeCgroupDirsSync,
  sleepSync,
} from './cgroup-driver.js';
import { removeContainer, removeContainerSync } from './cleanup.js';
import { buildDockerfile } from './dockerfile-build.js';
import { type ExecTarget, runExec } from './exec-runner.js';
import { downloadFiles, makeDirectory, type TransferHelper, uploadFiles } from './file-transfer.js';
import { hostBinary } from './host-binaries.js';
import { mustRun } from './host-tools.js';
import { containerHolder, snapshotHolder } from './layer-store.js';
import { PortRelay } from './port-relay.js';
import { prebuiltSupported } from './prebuilt-sandbox.js';
import { continueAll, isGoneOrZombie, processesIn, stopAll } from './process-scan.js';
import { type ContainerRecord, currentOwner, type RootImage, type SnapshotRecord, writeJsonAtomic } from './records.js';
import type { Sandbox, SandboxPlacement, SandboxSlot } from './sandbox-launch.js';
import { isSnapshotId, newSnapshotId } from './snapshot-ids.js';
import { type HostChild, spawnerKind } from './spawner.js';
import { randomId, sessionPrefix } from './store-layout.js';
import type { IdMapping } from './subordinate-ids.js';

/**
 * What a bubblewrap container enforces of the options a backend may lack: `resources.pids` (in
 * its cgroup), `network` (each container chooses; the factory's `network` is the default),
 * `user` (commands start as that uid/gid from the agent, or through nsenter's
 * `--setuid`/`--setgid`) and `ports` (the host's own with network `'default'`, relayed into the
 * sandbox with `'none'`). A rootless backend without subordinate ids validates `user` here and
 * refuses it afterwards, with its reason ({@link refuseRootlessUser}).
 */
function supportedBy(_backend: ResolvedBackend): SupportedOptions {
  return { backend: 'bubblewrap', network: true, pids: true, user: true, ports: true };
}

/**
 * As an ordinary user without subordinate ids (or without newuidmap to map them), the sandbox's
 * user namespace maps that user's own uid (to root inside) and nothing else: no other uid exists
 * in it, so `user` cannot be honoured. The message says what is missing and how to add it.
 */
function refuseRootlessUser(backend: ResolvedBackend, user: string | undefined, argument: string): void {
  if (backend.idMapping.kind !== 'single' || user === undefined) return;
  throw new UnsupportedCapabilityError({
    capability: 'user',
    backend: 'bubblewrap',
    detail: `${argument} needs uids other than root's inside the sandbox, which an ordinary user's sandbox maps from its subordinate ids, but ${backend.idMapping.missing}; or run as root, or remove ${argument}`,
  });
}

/** Where a bubblewrap container's filesystem comes from (core's `ContainerSource`). */
export type BubblewrapSource = ContainerSource;

/**
 * A container as a bubblewrap sandbox over an overlayfs root, with snapshots as overlay layers.
 * Create one through `createBubblewrapFactory()`; nothing happens on disk until `start()`.
 */
export class BubblewrapContainer extends BaseContainer implements SnapshotableContainer {
  readonly backend = 'bubblewrap';
  readonly #source: BubblewrapSource;
  readonly #options: ContainerOptions;
  readonly #backend: ResolvedBackend;
  /** The container's own network, else its factory's. */
  readonly #network: 'none' | 'default';
  #state: ContainerState = 'created';
  #starting: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;
  #id: string | undefined;
  #sandbox: Sandbox | undefined;
  /** The sandbox process while the start is still making the container's folders. */
  #pending: SandboxSlot | undefined;
  #cgroup: CgroupHandle | undefined;
  #layers: string[] = [];
  #image: RootImage | undefined;
  #parentSnapshot: string | undefined;
  #env: Record<string, string> = {};
  /** Who commands run as (the `user` option, else the image's `USER`); undefined for root. */
  #user: readonly [number, number] | undefined;
  /** `ExecOptions.user` values already resolved (a name costs a lookup in the sandbox). */
  readonly #execUsers = new Map<string, Promise<readonly [number, number] | undefined>>();
  #snapshotQueue: Promise<unknown> = Promise.resolve();
  /** How many processes an idle sandbox has (measured once it is ready). */
  #baselineProcesses = 0;
  readonly #helpers = new Set<HostChild>();
  /** Relays the `ports` of a container with network `'none'`, from its first `endpoint()` on. */
  #relay: PortRelay | undefined;

  /** @internal Use a factory from `createBubblewrapFactory()`. */
  constructor(source: BubblewrapSource, options: ContainerOptions, backend: ResolvedBackend) {
    super();
    this.#source = source;
    this.#options = options;
    this.#backend = backend;
    this.#network = options.network ?? backend.network;
  }

  /** @internal Used by the factory, which shares one resolved backend between its containers. */
  static create(source: BubblewrapSource, options: ContainerOptions, backend: ResolvedBackend): BubblewrapContainer {
    assertContainerOptions(options, supportedBy(backend));
    refuseRootlessUser(backend, options.user, 'the user option');
    return new BubblewrapContainer(source, { ...options }, backend);
  }

  get name(): string | undefined {
    return this.#options.name ?? (this.#id === undefined ? undefined : `snapbox-${this.#id}`);
  }

  get state(): ContainerState {
    return this.#state;
  }

  /** The container's id in the state folder, once started. */
  get id(): string | undefined {
    return this.#id;
  }

  /**
   * The limits the kernel enforces on this container (CPUs, MiB of memory, processes), read back
   * from its cgroup: what its processes are really bound by. Empty before `start()`, after
   * `stop()`, and where the machine offers no usable cgroups.
   */
  limits(): CgroupLimits {
    return this.#cgroup === undefined || this.#state !== 'running' ? {} : readCgroupLimits(this.#cgroup.dirs);
  }

  /**
   * Makes the container's folders and mounts its root in a sandbox. An abort or `timeoutMs`
   * interrupts a `fromDockerfile` build and tears down what the start made; progress goes to
   * `onProgress` (the build's lines, then `'start'` events).
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
      undo: async () => {
        this.#state = 'stopped';
        this.#teardownSync();
      },
    });
    try {
      await this.#starting;
    } catch (error) {
      if (watch === undefined || watch.signal.aborted) {
        // A cancelled start is over for good.
        this.#state = 'stopped';
      } else {
        // Nothing is left behind (#start tears down what it made): back to `created`, so that
        // start() may be retried (a stop() waiting for this start still wins: it runs after).
        this.#starting = undefined;
        this.#state = 'created';
      }
      throw error;
    }
  }

  #limits(): CgroupLimits {
    const resources = this.#options.resources ?? {};
    if (resources.gpu !== undefined && resources.gpu > 0) {
      throw new UnsupportedCapabilityError({
        capability: 'resources.gpu',
        backend: 'bubblewrap',
        detail: 'the sandbox has no device access; use the Docker backend for GPUs',
      });
    }
    if (resources.diskGiB !== undefined) {
      throw new UnsupportedCapabilityError({
        capability: 'resources.diskGiB',
        backend: 'bubblewrap',
        detail: 'overlayfs upper layers share the state folder’s filesystem and have no quota here',
      });
    }
    const limits: CgroupLimits = {};
    if (resources.cpu !== undefined) limits.cpu = resources.cpu;
    if (resources.memoryMiB !== undefined) limits.memoryMiB = resources.memoryMiB;
    const pids = resources.pids ?? this.#backend.pidsLimit;
    if (pids > 0) limits.pids = pids;
    return limits;
  }

  async #start(env: Record<string, string>, context: StartContext): Promise<void> {
    const backend = this.#backend;
    const { store, tracker } = backend;
    const { signal } = context;
    const limits = this.#limits();
    const explicit =
      limits.cpu !== undefined || limits.memoryMiB !== undefined || this.#options.resources?.pids !== undefined;
    const detection = backend.cgroups();
    if (detection.driver === undefined && explicit) {
      // Named after the first limit asked for, as callers branch on `capability`.
      throw new UnsupportedCapabilityError({
        capability:
          limits.cpu !== undefined
            ? 'resources.cpu'
            : limits.memoryMiB !== undefined
              ? 'resources.memoryMiB'
              : 'resources.pids',
        backend: 'bubblewrap',
        detail: `limits need cgroups, and ${detection.reason ?? 'none are usable'}`,
      });
    }
    if (backend.security === 'default' && (backend.confinement === undefined || !prebuiltSupported())) {
      throw new BackendUnavailableError({
        backend: 'bubblewrap',
        detail:
          spawnerKind() === 'node'
            ? `commands are confined (security 'default': Docker's default capabilities and seccomp deny list) by the spawn relay's agent, which needs Perl (perl-base)${process.env.SNAPBOX_BWRAP_SPAWNER === 'node' ? ', and SNAPBOX_BWRAP_SPAWNER=node turns the relay off' : ', not found here'}. Install Perl, or create the factory with security: 'unconfined' to run commands with every capability of the sandbox's user namespace and no seccomp filter`
            : `commands are confined (security 'default') with a seccomp filter, and this backend has no system call table for ${process.arch}; create the factory with security: 'unconfined' to run without one`,
      });
    }
    store.ensure();
    const id = randomId();
    const dir = join(store.layout.containers, id);
    const record: ContainerRecord = {
      id,
      name: this.#options.name,
      layers: [],
      image: { rootfs: undefined, config: { env: [], workdir: '', user: '' }, baseImage: '' },
      parentSnapshot: undefined,
      labels: { ...this.#options.labels },
      createdAt: Date.now(),
      owner: currentOwner(),
      cgroups: [],
    };
    this.#id = id;
    tracker.trackContainer(id);
    // A sandbox from the pool comes with its cgroup (its processes joined it when they started,
    // off this path): the container takes it over with its limits. Others get one made here.
    const adoptCgroup = (slot: SandboxSlot) => {
      if (detection.driver === undefined) return;
      if (slot.cgroup !== undefined) {
        detection.driver.setLimits(slot.cgroup, limits);
        this.#cgroup = slot.cgroup;
      } else {
        this.#cgroup = detection.driver.create(`${sessionPrefix()}-${id}`, limits);
      }
      record.cgroups = this.#cgroup.dirs;
    };
    // The sandbox process (from the pool when one is ready) boots while the layers are pinned and
    // the folders made: it only needs them when it mounts.
    const takeSandbox = () => {
      this.#pending = backend.poolFor(this.#network).take();
      adoptCgroup(this.#pending);
    };
    try {
      const source = this.#source;
      if (source.kind === 'snapshot') takeSandbox();
      if (source.kind === 'snapshot') {
        if (!isSnapshotId(source.snapshotId)) {
          throw new NotASnapshotError({
            snapshotId: source.snapshotId,
            reason: 'restoring needs a snapshot made by the bubblewrap backend',
          });
        }
        mkdirSync(dir);
        writeJsonAtomic(join(dir, 'record.json'), record);
        const snapshot = store.pinSnapshot(source.snapshotId, containerHolder(id));
        record.layers = snapshot.layers;
        record.image = snapshot.image;
        record.parentSnapshot = snapshot.id;
      } else {
        const image =
          source.kind === 'image'
            ? await backend.images.resolve(source.image)
            : await buildDockerfile(backend, source.dockerfilePath, {
                signal,
                progress: (event) => context.progress(event),
              });
        signal.throwIfAborted();
        mkdirSync(dir);
        record.image = image;
        takeSandbox();
      }
      signal.throwIfAborted();
      context.progress({ phase: 'start', message: `mounting container ${id}` });
      signal.throwIfAborted();
      for (const part of ['upper', 'work', 'merged']) mkdirSync(join(dir, part));
      const top = record.layers[0] === undefined ? record.image.rootfs : store.layerPath(record.layers[0]);
      if (top !== undefined) await takeRootAttributes(backend, top, join(dir, 'upper'));
      writeJsonAtomic(join(dir, 'record.json'), record);
      this.#layers = record.layers;
      this.#image = record.image;
      this.#parentSnapshot = record.parentSnapshot;
      const root = store.layout.root;
      const lowerdirs = [
        ...record.layers.map((layer) => relative(root, store.layerPath(layer))),
        ...(record.image.rootfs === undefined ? [] : [relativeIfInside(root, record.image.rootfs)]),
      ];
      const placement: SandboxPlacement = {
        storeRoot: root,
        lowerdirs,
        upper: relative(root, join(dir, 'upper')),
        work: relative(root, join(dir, 'work')),
        merged: join(dir, 'merged'),
        hostname: (this.#options.name ?? `snapbox-${id}`).replace(/[^A-Za-z0-9.-]/g, '-').slice(0, 63),
        cgroupProcs: this.#cgroup?.procsFiles ?? [],
      };
      let pending = this.#pending as SandboxSlot;
      if (!pending.accepts(placement)) {
        // A root filesystem folder outside the store: a pre-built sandbox cannot see it.
        pending.discard();
        this.#cgroup = undefined;
        pending = backend.pool.takeForHostPaths();
        this.#pending = pending;
        adoptCgroup(pending);
        placement.cgroupProcs = (this.#cgroup as CgroupHandle | undefined)?.procsFiles ?? [];
      }
      this.#sandbox = await pending.complete(placement);
      this.#pending = undefined;
      record.sandbox = {
        pid: this.#sandbox.process.pid as number,
        startedAt: processStartTime(this.#sandbox.process.pid as number),
        others: this.#sandbox.others.map((pid) => ({ pid, startedAt: processStartTime(pid) })),
      };
      writeJsonAtomic(join(dir, 'record.json'), record);
      this.#baselineProcesses = this.#sandbox.idleProcesses(this.#cgroup !== undefined);
      this.#env = { ...env };
      this.#state = 'running';
      this.#user =
        this.#options.user === undefined
          ? await this.#resolveUser(record.image.config.user)
          : await this.#resolveUser(this.#options.user, 'user');
      if (this.#options.defaultWorkdir !== undefined) {
        // Made as root (the user may not write its parent) and given to the container's user.
        const made = await makeDirectory(this.#helper(), this.#options.defaultWorkdir);
        if (made.code !== 0) {
          throw new InvalidArgumentError({
            argument: 'defaultWorkdir',
            message: `could not create ${this.#options.defaultWorkdir}: ${made.stderr.trim()}`,
          });
        }
      }
      signal.throwIfAborted();
      context.progress({ phase: 'start', message: `container ${this.name ?? id} is running` });
    } catch (error) {
      this.#state = 'stopped';
      this.#teardownSync();
      throw error;
    }
  }

  /**
   * A user (the image's `USER`, or the `user` option named by `argument`) as numbers inside the
   * sandbox; names are looked up in its /etc/passwd.
   */
  async #resolveUser(user: string, argument?: string): Promise<readonly [number, number] | undefined> {
    if (user === '' || user === 'root' || user === '0' || user === '0:0') return undefined;
    const [name, group] = user.split(':') as [string, string | undefined];
    const numeric = (value: string | undefined) =>
      value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
    let uid = numeric(name);
    let gid = numeric(group);
    if (uid === undefined || (gid === undefined && group !== undefined) || gid === undefined) {
      const lookup = await this.#lookUp(
        'id -u "$1"; id -g "$1"; [ -n "$2" ] && getent group "$2" | cut -d: -f3',
        [name, group ?? ''],
        `look up user ${user}`,
      );
      const [foundUid, foundGid, foundGroup] = lookup.stdout.split('\n');
      uid ??= numeric(foundUid);
      gid ??= numeric(group === undefined ? foundGid : foundGroup);
    }
    if (uid === undefined && argument !== undefined) {
      throw new InvalidArgumentError({
        argument,
        message: `the image has no user ${JSON.stringify(name)} in its /etc/passwd; use a name from it or a numeric uid[:gid]`,
      });
    }
    if (uid === undefined) {
      throw new SnapboxError('IMAGE_USER_UNKNOWN', {
        message: `The image's user ${user} does not exist in its /etc/passwd.`,
      });
    }
    await this.#lookUpHome(uid);
    return [uid, gid ?? uid];
  }

  /** Home folders by uid, from the image's /etc/passwd (`/` for a uid it lacks): HOME, as Docker sets it. */
  readonly #homes = new Map<number, string>();

  async #lookUpHome(uid: number): Promise<void> {
    if (this.#homes.has(uid)) return;
    const found = await this.#lookUp(
      'while IFS=: read -r n _ u _ _ h _ || [ -n "$n" ]; do [ "$u" = "$1" ] && { printf %s "$h"; exit 0; }; done < /etc/passwd',
      [String(uid)],
      `look up the home of uid ${uid}`,
    );
    this.#homes.set(uid, found.stdout === '' ? '/' : found.stdout);
  }

  /** Runs one of the backend's own lookups (a shell `script` with `args`) as root in the sandbox. */
  #lookUp(script: string, args: readonly string[], display: string): Promise<ExecResult> {
    return runExec({
      target: { ...this.#target(), user: undefined },
      argv: ['/bin/sh', '-c', script, 'sh', ...args],
      env: this.#baseEnv(undefined),
      workdir: '/',
      options: {},
      display,
      track: () => undefined,
    });
  }

  #target(): ExecTarget {
    return this.#targetAs(this.#user);
  }

  /** The sandbox's target for a command run as `user` (undefined: root). */
  #targetAs(user: readonly [number, number] | undefined): ExecTarget {
    const sandbox = this.#sandbox as Sandbox;
    return {
      initPid: sandbox.initPid,
      pidNamespace: sandbox.pidNamespace,
      cgroupProcs: this.#cgroup?.procsFiles ?? [],
      user,
      agent: sandbox.agent,
      hostNetwork: this.#network === 'default',
    };
  }

  /** The ids of one call's `ExecOptions.user`, resolved once per container. */
  #execUser(user: string): Promise<readonly [number, number] | undefined> {
    let resolved = this.#execUsers.get(user);
    if (resolved === undefined) {
      resolved = this.#resolveUser(user, 'options.user');
      // A failed lookup (the sandbox stopping, say) is not remembered.
      resolved.catch(() => this.#execUsers.delete(user));
      this.#execUsers.set(user, resolved);
    }
    return resolved;
  }

  /** The image's environment, with HOSTNAME and the HOME of `user` (root by default) unless it sets them. */
  #baseEnv(user: readonly [number, number] | undefined): Record<string, string> {
    const env: Record<string, string> = {};
    for (const entry of this.#image?.config.env ?? []) {
      const at = entry.indexOf('=');
      if (at > 0) env[entry.slice(0, at)] = entry.slice(at + 1);
    }
    env.HOSTNAME ??= (this.#options.name ?? `snapbox-${this.#id}`).slice(0, 63);
    env.HOME ??= user === undefined ? '/root' : (this.#homes.get(user[0]) ?? '/');
    return env;
  }

  async stop(): Promise<void> {
    // Concurrent calls share one removal, so every caller returns once the container is gone.
    this.#stopping ??= this.#stop();
    await this.#stopping;
  }

  async #stop(): Promise<void> {
    if (this.#starting !== undefined) await this.#starting.catch(() => undefined);
    await this.#snapshotQueue;
    this.#state = 'stopped';
    const sandbox = this.#sandbox;
    if (sandbox !== undefined) {
      // The sandbox is unref'd (it must not keep the process alive); while we wait for its end, it must.
      sandbox.process.ref();
      sandbox.kill();
      await sandbox.exited;
    }
    // Gone before stop() returns: its ports refuse connections from then on.
    await this.#relay?.close();
    this.#relay = undefined;
    this.#teardownInBackground();
  }

  /**
   * Hands the removal of what is left of a killed container (its last processes' exits, its
   * cgroup, its pins, its folder) to the background: `stop()` need not wait for the disk. The
   * container stays tracked until it is done, so an exit meanwhile removes it as before.
   */
  #teardownInBackground(): void {
    const id = this.#id;
    if (id === undefined) return;
    const sandbox = this.#sandbox;
    const cgroup = this.#cgroup;
    this.#sandbox = undefined;
    this.#cgroup = undefined;
    this.#id = undefined;
    for (const helper of this.#helpers) helper.kill('SIGKILL');
    this.#pending?.discard();
    this.#pending = undefined;
    const backend = this.#backend;
    backend.removals.add(async () => {
      try {
        // Everything in the pid namespace dies with its init; the kernel needs a moment for the last exits.
        for (let waited = 0; sandbox !== undefined && waited < 2000; waited += 5) {
          if (sandboxProcessCount(sandbox, cgroup) === 0) break;
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        await removeContainer(backend, id);
      } finally {
        backend.tracker.untrackContainer(id);
      }
    });
  }

  /** Whether no process of the sandbox is left. */
  #sandboxEmpty(sandbox: Sandbox): boolean {
    return this.#sandboxProcessCount(sandbox) === 0;
  }

  #sandboxProcessCount(sandbox: Sandbox): number {
    return sandboxProcessCount(sandbox, this.#cgroup);
  }

  /** Kills the sandbox and removes everything of the container, blocking. Idempotent. */
  #teardownSync(): void {
    const id = this.#id;
    if (id === undefined) return;
    const sandbox = this.#sandbox;
    this.#sandbox = undefined;
    if (sandbox !== undefined) {
      try {
        sandbox.kill();
      } catch {
        // Gone.
      }
      for (let waited = 0; waited < 2000 && !isGoneOrZombie(sandbox.process.pid as number); waited += 2) sleepSync(2);
      for (let waited = 0; waited < 2000 && !this.#sandboxEmpty(sandbox); waited += 2) sleepSync(2);
    }
    for (const helper of this.#helpers) helper.kill('SIGKILL');
    void this.#relay?.close();
    this.#relay = undefined;
    // A start that failed before its sandbox was complete: the waiting process and its cgroup.
    this.#pending?.discard();
    this.#pending = undefined;
    if (this.#cgroup !== undefined) removeCgroupDirsSync(this.#cgroup.dirs);
    removeContainerSync(this.#backend, id);
    this.#backend.tracker.untrackContainer(id);
    this.#id = undefined;
  }

  stopAndRemoveSync(): void {
    if (this.#state === 'stopped' && this.#id === undefined) return;
    this.#state = 'stopped';
    this.#stopping ??= Promise.resolve();
    this.#teardownSync();
  }

  async exec(command: string | readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    assertCommand(command);
    assertExecOptions(options, supportedBy(this.#backend));
    refuseRootlessUser(this.#backend, options.user, 'options.user');
    this.assertRunning('exec');
    await this.#snapshotQueue;
    this.assertRunning('exec');
    const user = options.user === undefined ? this.#user : await this.#execUser(options.user);
    this.assertRunning('exec');
    const argv = typeof command === 'string' ? ['bash', '-lc', command] : command;
    const stoppedMeanwhile = () =>
      new ContainerNotStartedError({ operation: 'exec', state: 'stopped', container: this.name });
    const result = await runExec({
      target: this.#targetAs(user),
      argv,
      env: { ...this.#baseEnv(user), ...this.#env, ...options.env },
      workdir: options.workdir ?? this.#options.defaultWorkdir ?? (this.#image?.config.workdir || '/'),
      options,
      display: typeof command === 'string' ? command : JSON.stringify(command),
      track: (child, running) => (running ? this.#helpers.add(child) : this.#helpers.delete(child)),
    }).catch((error: unknown) => {
      // The agent ended with the sandbox before the command started.
      throw this.#state === 'running' ? error : stoppedMeanwhile();
    });
    // Stopped while the command was joining: nsenter found no sandbox to enter, or the command
    // was killed with the sandbox.
    if (this.#state !== 'running' && result.exitCode !== 0) throw stoppedMeanwhile();
    return result;
  }

  /**
   * Where this machine reaches a container port listed in `ports`. With network `'default'` the
   * sandbox shares the host's network, so the port is the host's own on loopback. With `'none'`
   * it is a port on 127.0.0.1 relayed into the sandbox's network namespace (a relay
   * started by the first call).
   */
  override async endpoint(port: number): Promise<ContainerEndpoint> {
    this.assertExposedPort(port, this.#options.ports);
    if (this.#network === 'default') return { host: '127.0.0.1', port };
    if (this.#relay === undefined || !this.#relay.alive) {
      void this.#relay?.close();
      this.#relay = new PortRelay(
        (this.#sandbox as Sandbox).initPid,
        this.#backend.rootless,
        this.#options.ports ?? [],
      );
    }
    const relay = this.#relay;
    try {
      await relay.ready;
    } catch (error) {
      // Stopped meanwhile: the relay was closed with the sandbox.
      this.assertRunning('endpoint');
      throw error;
    }
    this.assertRunning('endpoint');
    return { host: '127.0.0.1', port: relay.hostPort(port) as number };
  }

  /**
   * File transfers run as root inside (they may write where the container's user cannot, as the
   * Docker backend's archive uploads do) and give what they create to the container's user.
   */
  #helper(): TransferHelper {
    return {
      target: this.#targetAs(undefined),
      env: this.#baseEnv(undefined),
      container: this.name,
      owner: this.#user,
    };
  }

  async uploadFiles(files: readonly FileTransfer[]): Promise<void> {
    this.assertRunning('uploadFiles');
    assertFileTransfers(files, 'files');
    await this.#snapshotQueue;
    await uploadFiles(this.#helper(), files);
  }

  async downloadFiles(files: readonly FileTransfer[]): Promise<void> {
    this.assertRunning('downloadFiles');
    assertFileTransfers(files, 'files');
    await this.#snapshotQueue;
    await downloadFiles(this.#helper(), files);
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
    const next = this.#snapshotQueue.then(() => this.#snapshot(options.keep === true));
    this.#snapshotQueue = next.catch(() => undefined);
    return next;
  }

  async #snapshot(keep: boolean): Promise<string> {
    this.assertRunning('snapshot');
    const { store, tools, tracker, flattenAtLayers } = this.#backend;
    const id = this.#id as string;
    const snapshotId = newSnapshotId(currentSession().id);
    const flatten = this.#layers.length + 1 >= flattenAtLayers;
    const { layer, path } = store.newLayerFolder(sessionPrefix());
    if (!keep) tracker.trackSnapshot(snapshotId);
    try {
      await this.#frozen(async () => {
        const dir = join(store.layout.containers, id);
        if (flatten) await this.#copyMerged(path);
        else await tools.copyContents(join(dir, 'upper'), path);
      });
      const image = this.#image as RootImage;
      const record: SnapshotRecord = {
        id: snapshotId,
        layers: flatten ? [layer] : [layer, ...this.#layers],
        image: flatten ? { ...image, rootfs: undefined } : image,
        parentSnapshot: this.#parentSnapshot,
        keep,
        createdAt: Date.now(),
        owner: currentOwner(),
        labels: { ...this.#options.labels },
      };
      store.commitSnapshot(record, path);
    } catch (error) {
      tracker.untrackSnapshot(snapshotId);
      await tools.remove(path, store.layout.trash).catch(() => undefined);
      throw error;
    }
    return snapshotId;
  }

  /** Runs `body` with every process of the container stopped, so the upper layer holds still. */
  async #frozen(body: () => Promise<void>): Promise<void> {
    const driver = this.#backend.cgroups().driver;
    const sandbox = this.#sandbox as Sandbox;
    // Only the sandbox's own processes (bwrap, the keep-alive and its sleep), none of which
    // writes, and no command on its way in: nothing to freeze, and the freeze is most of the
    // cost of a small snapshot.
    if (this.#helpers.size === 0 && this.#sandboxProcessCount(sandbox) <= this.#baselineProcesses) {
      await body();
      return;
    }
    if (driver !== undefined && this.#cgroup !== undefined) {
      await driver.freeze(this.#cgroup);
      try {
        await body();
      } finally {
        driver.thaw(this.#cgroup);
      }
      return;
    }
    // No freezer: stop them with signals. nsenter helpers stop themselves when their child stops,
    // and resume their child when continued, so they are continued too.
    const stopped = stopAll(sandbox.pidNamespace, sandbox.initPid);
    try {
      await body();
    } finally {
      continueAll(stopped);
      continueAll([...this.#helpers].flatMap((helper) => (helper.pid === undefined ? [] : [helper.pid])));
    }
  }

  /**
   * Copies the container's whole root (for a flattened snapshot), read through its init's root
   * from the host, in its user namespace (where its files' owners are mapped). `-x`: the mounts
   * inside (/proc, /dev, and any the container made) are not part of its filesystem.
   */
  async #copyMerged(target: string): Promise<void> {
    const init = String((this.#sandbox as Sandbox).initPid);
    await mustRun(
      [
        hostBinary('nsenter'),
        '--target',
        init,
        '--user',
        '--preserve-credentials',
        '--',
        'cp',
        '-a',
        '-x',
        '--reflink=auto',
        '--no-target-directory',
        `/proc/${init}/root/.`,
        target,
      ],
      `flatten the root of ${this.name ?? 'a container'}`,
    );
  }

  fromSnapshot(snapshotId: string, options: ContainerOptions = {}): BubblewrapContainer {
    assertNonEmptyString(snapshotId, 'snapshotId');
    return BubblewrapContainer.create({ kind: 'snapshot', snapshotId }, options, this.#backend);
  }

  /**
   * Deletes the snapshot: once this resolves it is gone for every caller (a restore fails with
   * SnapshotNotFoundError). Its layers are freed in the background once nothing uses them
   * (see the factory's `settled()`).
   */
  async deleteSnapshot(snapshotId: string): Promise<void> {
    this.#checkSnapshotId(snapshotId);
    const { store, tracker, removals } = this.#backend;
    store.ensure();
    const layers = await store.deleteSnapshotRecord(snapshotId);
    tracker.untrackSnapshot(snapshotId);
    if (layers === undefined) return;
    removals.add(async () => {
      await store.deleteLayers(await store.unpinAsync(layers, snapshotHolder(snapshotId)));
    });
  }

  deleteSnapshotSync(snapshotId: string): void {
    this.#backend.store.deleteLayersSync(this.#deleteRecord(snapshotId));
  }

  #checkSnapshotId(snapshotId: string): void {
    assertNonEmptyString(snapshotId, 'snapshotId');
    if (!isSnapshotId(snapshotId)) {
      throw new NotASnapshotError({
        snapshotId,
        reason: 'bubblewrap snapshot ids look like snapbox-bwrap-<session>-<id>',
      });
    }
  }

  #deleteRecord(snapshotId: string): string[] {
    assertNonEmptyString(snapshotId, 'snapshotId');
    if (!isSnapshotId(snapshotId)) {
      throw new NotASnapshotError({
        snapshotId,
        reason: 'bubblewrap snapshot ids look like snapbox-bwrap-<session>-<id>',
      });
    }
    const { store, tracker } = this.#backend;
    store.ensure();
    const doomed = store.deleteSnapshot(snapshotId);
    tracker.untrackSnapshot(snapshotId);
    return doomed;
  }
}

/**
 * Gives a fresh upper layer the owner and mode of the layer below's root: overlayfs shows the
 * upper layer's own root as the container's `/`, so a snapshot of a container that changed its
 * `/` would otherwise restore it as a fresh folder's. Nearly always they are the same already
 * (root's, 0755): one `stat` of each.
 */
async function takeRootAttributes(backend: ResolvedBackend, below: string, upper: string): Promise<void> {
  const wanted = statSync(below);
  const made = statSync(upper);
  const mode = wanted.mode & 0o7777;
  if (wanted.uid === made.uid && wanted.gid === made.gid && mode === (made.mode & 0o7777)) return;
  const prefix = backend.tools.prefix();
  if (prefix.length === 0) {
    chownSync(upper, wanted.uid, wanted.gid);
    chmodSync(upper, mode);
    return;
  }
  // A root filesystem folder of another host user (root's, say) shows as nobody's inside: its
  // owner cannot be given, and the fresh folder (container root's) serves better.
  if (!mappedOnHost(backend.idMapping, wanted.uid, wanted.gid)) return;
  // Owners as the namespace sees them (the host's numbers of subordinate ids are not its own).
  await mustRun(
    [...prefix, 'sh', '-c', 'chown --reference="$1" "$2" && chmod --reference="$1" "$2"', 'sh', below, upper],
    `give ${upper} the owner and mode of ${below}`,
  );
}

/** Whether host ids `uid`:`gid` exist in a rootless sandbox (this user's own, or its subordinate ids). */
function mappedOnHost(mapping: IdMapping, uid: number, gid: number): boolean {
  const own = uid === process.getuid?.() && gid === process.getgid?.();
  if (mapping.kind !== 'range') return own;
  const inRange = (id: number, range: { start: number; count: number }) =>
    id >= range.start && id < range.start + range.count;
  return (
    (uid === mapping.ids.uid || inRange(uid, mapping.ids.uids)) &&
    (gid === mapping.ids.gid || inRange(gid, mapping.ids.gids))
  );
}

function relativeIfInside(root: string, path: string): string {
  const inside = relative(root, path);
  return inside.startsWith('..') ? path : inside;
}

/** How many processes a sandbox has (read from its cgroup when there is one: cheaper than /proc). */
function sandboxProcessCount(sandbox: Sandbox, cgroup: CgroupHandle | undefined): number {
  const procs = cgroup?.procsFiles[0];
  if (procs !== undefined) {
    try {
      return readFileSync(procs, 'utf8')
        .split('\n')
        .filter((line) => line !== '').length;
    } catch {
      return 0;
    }
  }
  return processesIn(sandbox.pidNamespace).length;
}
