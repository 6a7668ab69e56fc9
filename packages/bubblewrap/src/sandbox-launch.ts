import { writeFileSync } from 'node:fs';
import { BackendUnavailableError, SnapboxError } from '@snapbox/core';
import type { CgroupHandle } from './cgroup-driver.js';
import { helperEnvironment, hostBinary } from './host-binaries.js';
import { killWithChildren, pidNamespaceOf } from './process-scan.js';
import { type HostChild, type SandboxAgent, spawnHost, startAgent } from './spawner.js';
import { mapSubordinateIds, type SubordinateIds } from './subordinate-ids.js';
import { syscallNumbers } from './syscall-numbers.js';

/** How to build one container's sandbox. */
export interface SandboxSpec {
  /** The store root: the overlay mount runs there, so `lowerdirs`, `upper`, `work` may be relative to it. */
  storeRoot: string;
  /** Read-only layers, top first (relative to `storeRoot`, or absolute). */
  lowerdirs: readonly string[];
  upper: string;
  work: string;
  /** Absolute path where the overlay is mounted (in the sandbox's private mount namespace). */
  merged: string;
  hostname: string;
  /** `'none'`: a network namespace with loopback only; `'default'`: the host's network. */
  network: 'none' | 'default';
  /** `cgroup.procs` files the sandbox joins before anything in it runs. */
  cgroupProcs: readonly string[];
  /** True when this process is not root. */
  rootless: boolean;
  /**
   * How the sandbox's agent confines commands (confinement.ts), or undefined for no confinement.
   * Confined sandboxes always have an agent (the spawn relay is required).
   */
  confinement: string | undefined;
  /**
   * Rootless with subordinate ids: the sandbox maps container root to this user and 1.. to the
   * range (written by newuidmap/newgidmap while it waits). Without, a rootless sandbox maps this
   * user alone.
   */
  subordinateIds?: SubordinateIds | undefined;
}

/** A running sandbox. */
export interface Sandbox {
  /** The bwrap process on the host (its parent is this process or its spawn relay: it dies with it). */
  readonly process: HostChild;
  /** The host pid of the sandbox's init (pid 1 inside); commands join its namespaces. */
  readonly initPid: number;
  /** Its pid namespace, as `/proc/<pid>/ns/pid` names it. */
  readonly pidNamespace: string;
  /** Resolves when the bwrap process has exited. */
  readonly exited: Promise<void>;
  /** The agent that runs its commands (a pre-built sandbox's); without one, commands go through nsenter. */
  readonly agent?: SandboxAgent;
  /** Other host processes that hold the sandbox, which {@link Sandbox.kill} kills too. */
  readonly others: readonly number[];
  /** SIGKILLs every process that holds the sandbox (its processes die with its pid namespace). */
  kill(): void;
  /**
   * How many processes an idle sandbox has (none of which writes to its filesystem), counted in
   * its cgroup (`true`) or its pid namespace.
   */
  idleProcesses(inCgroup: boolean): number;
}

// The user namespace: as an ordinary user without subordinate ids, that user becomes root and
// nobody else exists (unshare maps it). As root, the first 65536 ids are identity-mapped, so the
// image's owners stay what they are; unshare would hand such a map to newuidmap, which refuses it
// without an /etc/subuid entry, so this process writes the map itself while the shell waits (see
// below); an ordinary user's subordinate range is written the same way, through newuidmap.
function userNamespaceArgs(shape: SandboxShape): string[] {
  return shape.rootless && shape.subordinateIds === undefined ? ['--user', '--map-root-user'] : ['--user'];
}

/** The id map written for root: the first 65536 ids, identity-mapped. */
export const rootIdMap = '0 0 65536';

// Says it is in the new namespaces, and waits. Then (once the id maps are written, and, for a
// pre-started sandbox, once a container takes it) it reads its container's part, one value a
// line: the `cgroup.procs` files to join (space-separated; the shell is still the sandbox's only
// process, so everything after is accounted), where to mount what; it mounts the overlay inside
// the new (private) mount namespace and becomes bwrap. One shell for all of it: each exec in the
// chain costs milliseconds.
const waitJoinMountExec =
  'echo namespaces; ' +
  'read -r go && read -r cgroups && read -r root && read -r options && read -r merged && read -r host || exit 1; ' +
  'for f in $cgroups; do echo $$ > "$f" || exit 125; done; ' +
  'cd "$root" && mount -t overlay overlay -o "$options" "$merged" || exit 1; ' +
  'b="$1"; shift; exec "$b" --bind "$merged" / --hostname "$host" "$@" </dev/null';

/** The overlay mount options, with `userxattr` (required for an overlay mounted in a user namespace). */
export function overlayOptions(spec: Pick<SandboxSpec, 'lowerdirs' | 'upper' | 'work'>): string {
  return `lowerdir=${spec.lowerdirs.join(':')},upperdir=${spec.upper},workdir=${spec.work},userxattr`;
}

// Keeps the sandbox alive between commands, as the Docker backend does; needs only sh and sleep.
const keepAlive = 'echo ready; while :; do sleep 3600; done';

/** What a sandbox is before it knows its container: its namespaces and network. */
export type SandboxShape = Pick<SandboxSpec, 'network' | 'rootless' | 'confinement' | 'subordinateIds'>;

/** The full argv that starts a sandbox of `shape` (exported for the tests and the README). */
export function sandboxArgv(shape: SandboxShape): string[] {
  return [
    hostBinary('unshare'),
    ...userNamespaceArgs(shape),
    '--mount',
    '--propagation',
    'private',
    '--',
    '/bin/sh',
    '-c',
    waitJoinMountExec,
    'snapbox-sandbox',
    hostBinary('bwrap'),
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-cgroup-try',
    ...(shape.network === 'none' ? ['--unshare-net'] : []),
    '--die-with-parent',
    '--info-fd',
    '3',
    '--',
    '/bin/sh',
    '-c',
    keepAlive,
  ];
}

/**
 * A sandbox process a start or restore takes (from the pool, or started on demand), waiting for
 * its container's cgroups and layers.
 */
export interface SandboxSlot {
  /** Whether the process still runs (a pooled sandbox may have died unused). */
  readonly alive: boolean;
  /**
   * The cgroup its processes are already in, which its container takes over (setting its
   * limits); undefined when the container makes its own and the sandbox joins it at completion.
   */
  readonly cgroup?: CgroupHandle;
  /** Whether this slot can take `placement` (a pre-built sandbox needs the layers in its store). */
  accepts(placement: SandboxPlacement): boolean;
  /** Lets a pooled sandbox not keep this process alive. */
  unref(): void;
  /** Gives it the container; resolves once commands can run in it. */
  complete(placement: SandboxPlacement): Promise<Sandbox>;
  /** Kills it (a pooled sandbox nobody took, or a failed start). */
  discard(): void;
}

/** The error for a sandbox whose user namespace could not be given its id maps. */
export function idMapFailure(error: unknown): SnapboxError {
  return new SnapboxError('SANDBOX_START_FAILED', {
    message: `Could not map the sandbox's user ids: ${error instanceof Error ? error.message : String(error)}`,
    cause: error,
  });
}

/** The error for a sandbox helper that could not be started at all. */
export function startFailure(program: string, error: NodeJS.ErrnoException): Error {
  return new BackendUnavailableError({
    backend: 'bubblewrap',
    detail: `could not run ${program} (${error.code ?? error.message}); install util-linux and bubblewrap (scripts/ensure-bubblewrap.sh)`,
    cause: error,
  });
}

type Stream = { destroy(): void; removeAllListeners(event: string): void; ref?(): void; unref?(): void };

/**
 * A sandbox process started ahead of its container: its user and mount namespaces exist, and it
 * waits to be told which cgroups to join and what to mount. {@link PendingSandbox.complete} gives it
 * a container. Starting these ahead (a pool) takes process creation off a restore's path.
 */
export class PendingSandbox implements SandboxSlot {
  readonly process: HostChild;
  readonly #waiting: Promise<void>;
  readonly #exited: Promise<void>;
  #out = '';
  #info = '';
  #err = '';
  #onOutput: () => void = () => undefined;
  #failure: Error | undefined;
  readonly #confinement: string | undefined;

  private constructor(shape: SandboxShape) {
    this.#confinement = shape.confinement;
    const argv = sandboxArgv(shape);
    // Only PATH: the keep-alive is a process of the sandbox, and its environment is readable there.
    const child = spawnHost({ argv, stdio: ['pipe', 'pipe', 'pipe', 'pipe'], env: helperEnvironment() });
    this.process = child;
    this.#exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    this.#waiting = new Promise<void>((resolve, reject) => {
      let mapped = false;
      child.stdout?.on('data', (chunk: Buffer) => {
        this.#out += chunk.toString('utf8');
        if (!mapped && this.#out.includes('namespaces')) {
          mapped = true;
          const failed = (error: unknown) => reject(idMapFailure(error));
          try {
            if (!shape.rootless) writeIdMaps(child.pid as number);
            if (shape.subordinateIds === undefined) resolve();
            else mapSubordinateIds(shape.subordinateIds, child.pid as number).then(resolve, failed);
          } catch (error) {
            failed(error);
          }
        }
        this.#onOutput();
      });
      child.stdio[3]?.on('data', (chunk: Buffer) => {
        this.#info += chunk.toString('utf8');
        this.#onOutput();
      });
      child.stderr?.on('data', (chunk: Buffer) => {
        this.#err += chunk.toString('utf8');
      });
      child.once('error', (error: NodeJS.ErrnoException) => {
        this.#failure = startFailure(argv[0] as string, error);
        reject(this.#failure);
        this.#onOutput();
      });
      child.once('exit', (code, signal) => {
        this.#failure ??= exitFailure(this.#err, code, signal);
        reject(this.#failure);
        this.#onOutput();
      });
    });
    // Unhandled until someone completes it; a pooled one may die unused.
    this.#waiting.catch(() => undefined);
  }

  /** Starts a sandbox process for `shape`; it waits for {@link PendingSandbox.complete}. */
  static spawn(shape: SandboxShape): PendingSandbox {
    return new PendingSandbox(shape);
  }

  /** Whether the process still runs (a pooled sandbox may have died unused). */
  get alive(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null && this.#failure === undefined;
  }

  /** It starts bwrap on the host paths it is given: it takes any placement. */
  accepts(): boolean {
    return true;
  }

  /** Lets a pooled sandbox not keep this process alive. */
  unref(): void {
    this.process.unref();
    for (const stream of this.#streams()) stream.unref?.();
  }

  /**
   * Mounts the container's layers and starts bwrap on them; resolves once its init is ready for
   * commands (the keep-alive printed `ready`, so the root is pivoted and /proc mounted).
   * @throws BackendUnavailableError when bwrap or unshare is missing or user namespaces are off.
   */
  async complete(placement: SandboxPlacement): Promise<Sandbox> {
    const child = this.process;
    child.ref();
    for (const stream of this.#streams()) stream.ref?.();
    try {
      await this.#waiting;
      const values = [
        placement.cgroupProcs.join(' '),
        placement.storeRoot,
        overlayOptions(placement),
        placement.merged,
        placement.hostname,
      ];
      if (values.some((value) => value.includes('\n')) || placement.cgroupProcs.some((path) => /\s/.test(path))) {
        throw new SnapboxError('SANDBOX_START_FAILED', {
          message: 'A sandbox path may not contain a line break, nor a cgroup path a space.',
        });
      }
      child.stdin?.end(`go\n${values.join('\n')}\n`);
      const { initPid, pidNamespace } = await new Promise<{ initPid: number; pidNamespace: string }>(
        (resolve, reject) => {
          this.#onOutput = () => {
            if (this.#failure !== undefined) return reject(this.#failure);
            if (!this.#out.includes('ready')) return;
            let parsed: { 'child-pid'?: number };
            try {
              parsed = JSON.parse(this.#info) as { 'child-pid'?: number };
            } catch {
              return; // The info may still be arriving.
            }
            const pid = parsed['child-pid'];
            if (typeof pid !== 'number') return;
            const namespace = pidNamespaceOf(pid);
            if (namespace === undefined) {
              reject(
                new SnapboxError('SANDBOX_START_FAILED', {
                  message: `The sandbox's init (pid ${pid}) vanished at start.`,
                }),
              );
            } else {
              resolve({ initPid: pid, pidNamespace: namespace });
            }
          };
          this.#onOutput();
        },
      );
      // Nothing more is read from the sandbox's own pipes: closing them keeps no descriptor per
      // sandbox (hundreds run at once). A running sandbox must not keep this process alive
      // either: it is removed at exit like the Docker backend's containers.
      for (const stream of this.#streams()) {
        stream.removeAllListeners('data');
        stream.destroy();
      }
      child.unref();
      const agent = await this.#startAgent(initPid, placement.cgroupProcs);
      return {
        process: child,
        initPid,
        pidNamespace,
        exited: this.#exited,
        agent,
        others: agent === undefined ? [] : [agent.pid as number],
        kill: () => {
          child.kill('SIGKILL');
          agent?.kill();
        },
        // The keep-alive shell and its sleep and bwrap's init in the pid namespace, and, counted
        // only by the cgroup, the bwrap monitor outside it (it joined before it became bwrap) and
        // the agent.
        idleProcesses: (inCgroup) => (inCgroup ? (agent === undefined ? 4 : 5) : 3),
      };
    } catch (error) {
      this.discard();
      throw error;
    }
  }

  /**
   * A confined sandbox's agent (its commands must not go through nsenter, which cannot confine
   * them); joined once the sandbox is complete, so there is no race with its mounts.
   */
  async #startAgent(initPid: number, cgroupProcs: readonly string[]): Promise<SandboxAgent | undefined> {
    if (this.#confinement === undefined) return undefined;
    const numbers = syscallNumbers[process.arch];
    const agent =
      numbers === undefined
        ? undefined
        : startAgent({ initPid, syscallNumbers: numbers, cgroupProcs, confinement: this.#confinement });
    if (agent === undefined) {
      throw new SnapboxError('SANDBOX_START_FAILED', {
        message: 'A confined sandbox needs the spawn relay (Perl) and a known syscall table; neither is here.',
      });
    }
    this.#agent = agent;
    await agent.joined(initPid, () => this.#failure);
    agent.unref();
    return agent;
  }

  #agent: SandboxAgent | undefined;

  /** Kills the process (a pooled sandbox nobody took, or a failed start). */
  discard(): void {
    this.#agent?.kill();
    const pid = this.process.pid;
    if (pid !== undefined && this.alive) killWithChildren(pid);
    else this.process.kill('SIGKILL');
    for (const stream of this.#streams()) stream.destroy();
    this.process.unref();
  }

  #streams(): Stream[] {
    const child = this.process;
    return [child.stdin, child.stdout, child.stderr, child.stdio[3]].filter(
      (stream): stream is NonNullable<typeof stream> => stream !== null && stream !== undefined,
    ) as unknown as Stream[];
  }
}

/** The container's part of a {@link SandboxSpec}: its cgroups, and where to mount what. */
export type SandboxPlacement = Pick<
  SandboxSpec,
  'storeRoot' | 'lowerdirs' | 'upper' | 'work' | 'merged' | 'hostname' | 'cgroupProcs'
>;

/** Starts a sandbox for `spec` now (see {@link PendingSandbox}). */
export function launchSandbox(spec: SandboxSpec): Promise<Sandbox> {
  return PendingSandbox.spawn(spec).complete(spec);
}

export function exitFailure(stderr: string, code: number | null, signal: NodeJS.Signals | null): Error {
  const message = stderr.trim();
  const unavailable = /No such file|not found|Operation not permitted|Permission denied|user namespace/i.test(message);
  const detail = `the sandbox exited at start (${signal ?? `exit ${code}`}): ${message || 'no message'}`;
  return unavailable
    ? new BackendUnavailableError({
        backend: 'bubblewrap',
        detail: `${detail}. It needs bubblewrap, util-linux's unshare and nsenter, overlayfs, and unprivileged user namespaces (or root)`,
      })
    : new SnapboxError('SANDBOX_START_FAILED', { message: `Could not start the sandbox: ${detail}` });
}

/** Writes root's identity id maps for the user namespace of `pid` (allowed to root only). */
function writeIdMaps(pid: number): void {
  writeFileSync(`/proc/${pid}/uid_map`, rootIdMap);
  writeFileSync(`/proc/${pid}/gid_map`, rootIdMap);
}
