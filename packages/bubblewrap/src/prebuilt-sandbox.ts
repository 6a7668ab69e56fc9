import { readFileSync, writeFileSync } from 'node:fs';
import { SnapboxError } from '@snapbox/core';
import { type CgroupHandle, removeCgroupDirsSync } from './cgroup-driver.js';
import { helperEnvironment, hostBinary } from './host-binaries.js';
import { killWithChildren, pidNamespaceOf, signalQuietly } from './process-scan.js';
import {
  exitFailure,
  idMapFailure,
  overlayOptions,
  rootIdMap,
  type Sandbox,
  type SandboxPlacement,
  type SandboxShape,
  type SandboxSlot,
  startFailure,
} from './sandbox-launch.js';
import { type HostChild, type SandboxAgent, spawnerKind, spawnHost, startAgent } from './spawner.js';
import { mapSubordinateIds } from './subordinate-ids.js';
import { syscallNumbers } from './syscall-numbers.js';

/** Where the store is bound in a pre-built sandbox until it is placed (then detached). */
const storeInside = '/.snapbox-store';
/** The empty folder the container's overlay is mounted on, and which becomes the root. */
const rootInside = '/.snapbox-root';

// bwrap stays blocked on its stdin for the sandbox's life: its init holds the pid namespace and
// the agent runs the commands. It has no --die-with-parent of its own while blocked: when the
// relay dies, the stdin closes and bwrap goes on to run this, which does not exist, so that the
// sandbox ends.
const afterwards = '/.snapbox-sandbox-ended';

/**
 * Whether sandboxes can be built ahead of their containers here: that needs the spawn relay (its
 * `place` built-in does the mounts without starting a program) and a known syscall table.
 */
export function prebuiltSupported(): boolean {
  return spawnerKind() === 'relay' && syscallNumbers[process.arch] !== undefined;
}

/**
 * With subordinate ids, the user namespace is made before bwrap, by `unshare`, and a shell waits
 * in it for a line on its input (the maps are written meanwhile) before it becomes bwrap, which
 * makes the other namespaces as root there. bwrap's own `--userns-block-fd` would leave its
 * sandbox's init waiting forever (on an eventfd, not on the pipe) if this process died before
 * the maps were written, as a SIGKILL during a pool refill does: the shell sees its input close
 * and exits.
 */
const inMappedUserNamespace = 'echo userns >&3; read -r mapped || exit 1; exec "$@"';

/** The bwrap argv of a pre-built sandbox (exported for the tests and the README). */
export function prebuiltArgv(shape: SandboxShape, storeRoot: string): string[] {
  const mapped = shape.rootless && shape.subordinateIds !== undefined;
  return [
    ...(mapped
      ? [hostBinary('unshare'), '--user', '--', '/bin/sh', '-c', inMappedUserNamespace, 'snapbox-sandbox']
      : []),
    hostBinary('bwrap'),
    // As root, this process writes an identity map of the first 65536 ids (so an image's owners
    // stay what they are) while bwrap waits on its stdin; as an ordinary user without
    // subordinate ids, bwrap maps that user to root itself.
    ...(mapped ? [] : ['--unshare-user']),
    ...(shape.rootless ? (mapped ? [] : ['--uid', '0', '--gid', '0']) : ['--userns-block-fd', '0']),
    // Once set up, bwrap waits on its stdin again, before it runs anything in the sandbox.
    '--block-fd',
    '0',
    '--info-fd',
    '3',
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-cgroup-try',
    ...(shape.network === 'none' ? ['--unshare-net'] : []),
    '--die-with-parent',
    '--dir',
    rootInside,
    '--bind',
    storeRoot,
    storeInside,
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    '--',
    afterwards,
  ];
}

/**
 * A sandbox built before its container: bwrap has made its namespaces, /proc and /dev, and waits
 * (blocked on its stdin) with an empty root, and an agent (spawner.ts) waits in its namespaces.
 * {@link PrebuiltSandbox.complete} moves both into the container's cgroups and gives the sandbox
 * its overlay root in one forked relay child (no program started): a restore costs a fork and a
 * few syscalls instead of starting `bwrap`, and its first command one fork instead of `nsenter`.
 * bwrap's init stays blocked: the sandbox's processes are the agent's children (it is their
 * subreaper), and nothing runs outside its namespaces but bwrap's monitor and the agent.
 */
export class PrebuiltSandbox implements SandboxSlot {
  readonly process: HostChild;
  readonly #storeRoot: string;
  readonly #initPid: Promise<number>;
  /** Set up, with its agent: what {@link PrebuiltSandbox.complete} waits for. */
  readonly #ready: Promise<{ initPid: number; agent: SandboxAgent }>;
  #agent: SandboxAgent | undefined;
  readonly #exited: Promise<void>;
  #err = '';
  #failure: Error | undefined;

  readonly cgroup: CgroupHandle | undefined;

  /**
   * Starts bwrap, in `cgroup` when given: the sandbox's processes (bwrap and, later, the agent)
   * join it as they start, so that a container taking this sandbox only sets its limits.
   */
  constructor(shape: SandboxShape, storeRoot: string, cgroup?: CgroupHandle) {
    this.#storeRoot = storeRoot;
    this.cgroup = cgroup;
    const argv = prebuiltArgv(shape, storeRoot);
    // Only PATH: bwrap's environment is its init's, readable in the sandbox.
    const child = spawnHost({
      argv,
      stdio: ['pipe', 'ignore', 'pipe', 'pipe'],
      env: helperEnvironment(),
      cgroupProcs: cgroup?.procsFiles,
    });
    this.process = child;
    this.#exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    this.#initPid = new Promise<number>((resolve, reject) => {
      let info = '';
      let mapping = false;
      let found = false;
      const failed = (error: unknown) => reject(idMapFailure(error));
      child.stdio[3]?.on('data', (chunk: Buffer) => {
        info += chunk.toString('utf8');
        const ids = shape.subordinateIds;
        if (shape.rootless && ids !== undefined && !mapping && info.startsWith('userns\n')) {
          // The shell waits in its new user namespace (see inMappedUserNamespace).
          mapping = true;
          mapSubordinateIds(ids, child.pid as number).then(() => child.stdin?.write('mapped\n'), failed);
        }
        const pid = /"child-pid":\s*(\d+)/.exec(info)?.[1];
        if (pid === undefined || found) return;
        found = true;
        // Known at once, so that a discard (at exit, too) can kill it without waiting.
        this.#knownInitPid = Number(pid);
        try {
          if (!shape.rootless) {
            writeFileSync(`/proc/${pid}/uid_map`, rootIdMap);
            writeFileSync(`/proc/${pid}/gid_map`, rootIdMap);
            child.stdin?.write('u');
          }
          resolve(Number(pid));
        } catch (error) {
          failed(error);
        }
      });
      child.stderr?.on('data', (chunk: Buffer) => {
        this.#err += chunk.toString('utf8');
      });
      child.once('error', (error: NodeJS.ErrnoException) => {
        this.#failure = startFailure(argv[0] as string, error);
        reject(this.#failure);
      });
      child.once('exit', (code, signal) => {
        this.#failure ??= exitFailure(this.#err, code, signal);
        reject(this.#failure);
      });
    });
    this.#ready = this.#initPid.then(async (initPid) => {
      await this.#setUp(initPid);
      if (this.#discarded) throw new SnapboxError('SANDBOX_START_FAILED', { message: 'The sandbox was discarded.' });
      const agent = startAgent({
        initPid,
        syscallNumbers: syscallNumbers[process.arch] as string,
        cgroupProcs: this.cgroup?.procsFiles ?? [],
        confinement: shape.confinement,
      });
      if (agent === undefined) throw new SnapboxError('SANDBOX_START_FAILED', { message: 'The spawn relay is gone.' });
      this.#agent = agent;
      if (!this.#refd) agent.unref();
      // Before place runs: joined between its pivot_root and its detaching of the old root, the
      // agent would take the old root (stacked on top of the new one until then) for its own,
      // and every command would run in bwrap's empty tmpfs instead of the container's root (seen
      // as commands that failed with 127 and writes that never reached the upper layer).
      await agent.joined(initPid, () => this.#failure);
      return { initPid, agent };
    });
    // Unhandled until someone completes it; a pooled one may die unused.
    this.#ready.catch(() => undefined);
  }

  #refd = true;
  #discarded = false;
  #knownInitPid: number | undefined;
  #completed = false;

  get alive(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null && this.#failure === undefined;
  }

  /** Whether it can take `placement`: its layers must be in the store bound into the sandbox. */
  accepts(placement: SandboxPlacement): boolean {
    return (
      placement.storeRoot === this.#storeRoot &&
      [...placement.lowerdirs, placement.upper, placement.work].every((path) => !path.startsWith('/'))
    );
  }

  unref(): void {
    this.#refd = false;
    this.process.unref();
    this.#agent?.unref();
  }

  async complete(placement: SandboxPlacement): Promise<Sandbox> {
    const child = this.process;
    child.ref();
    this.#refd = true;
    this.#agent?.process.ref();
    try {
      const { initPid, agent } = await this.#ready;
      agent.process.ref();
      // Made without a cgroup of its own (none were usable then) while the container has one:
      // its processes join it now, before anything runs.
      if (this.cgroup === undefined) {
        for (const procs of placement.cgroupProcs) {
          for (const pid of [child.pid, initPid, agent.pid]) if (pid !== undefined) writeFileSync(procs, String(pid));
        }
      }
      const numbers = syscallNumbers[process.arch] as string;
      await runPlace([
        String(initPid),
        numbers,
        storeInside,
        rootInside,
        overlayOptions(placement),
        placement.hostname,
      ]);
      const pidNamespace = pidNamespaceOf(initPid);
      if (pidNamespace === undefined || this.#failure !== undefined) {
        throw (
          this.#failure ??
          new SnapboxError('SANDBOX_START_FAILED', {
            message: `The sandbox's init (pid ${initPid}) vanished at start.`,
          })
        );
      }
      this.#completed = true;
      // bwrap's stdin stays open (its init stays blocked); its other pipes are of no more use.
      for (const stream of [child.stderr, child.stdio[3]]) {
        stream?.removeAllListeners('data');
        stream?.destroy();
      }
      child.unref();
      agent.unref();
      return {
        process: child,
        initPid,
        pidNamespace,
        exited: this.#exited,
        agent,
        others: [initPid, agent.pid as number],
        kill: () => {
          child.kill('SIGKILL');
          agent.kill();
          try {
            process.kill(initPid, 'SIGKILL');
          } catch {
            // Gone already.
          }
        },
        // bwrap's init in the pid namespace, and, in the cgroup, bwrap's monitor and the agent too.
        idleProcesses: (inCgroup) => (inCgroup ? 3 : 1),
      };
    } catch (error) {
      this.discard();
      throw error;
    }
  }

  discard(): void {
    this.#discarded = true;
    this.#agent?.kill();
    const monitor = this.process.pid;
    if (monitor !== undefined && this.#knownInitPid === undefined) killWithChildren(monitor);
    else this.process.kill('SIGKILL');
    const kill = (pid: number) => signalQuietly([pid], 'SIGKILL');
    if (this.#knownInitPid !== undefined) kill(this.#knownInitPid);
    else this.#initPid.then(kill, () => undefined);
    for (const stream of [this.process.stdin, this.process.stderr, this.process.stdio[3]]) stream?.destroy();
    this.process.unref();
    // Its cgroup, unless a container took it over (that container removes it).
    if (this.cgroup !== undefined && !this.#completed) {
      try {
        removeCgroupDirsSync(this.cgroup.dirs);
      } catch {
        // Left to the session's cleanup at exit, which removes its cgroups by name.
      }
    }
  }

  /**
   * Resolves once bwrap has finished setting the sandbox up and waits on its stdin: its mount
   * namespace then holds only what it made (the store bound in, /proc, /dev), none of the host's
   * mounts it started from, nor its temporary /newroot and /oldroot. A pooled sandbox is
   * normally long past this.
   */
  async #setUp(initPid: number): Promise<void> {
    for (let waited = 0; ; waited++) {
      if (this.#failure !== undefined) throw this.#failure;
      let mounts: string[] = [];
      try {
        mounts = readFileSync(`/proc/${initPid}/mountinfo`, 'utf8')
          .split('\n')
          .map((line) => line.split(' ')[4] ?? '');
      } catch {
        // Gone: the exit handler reports why.
      }
      // bwrap ends its setup with pivot_root(".", ".") on /newroot and then detaches the old
      // root, which sits on top of the new one until then: a namespace joined in between (by
      // the agent, or by place) would take that old root for its root. Two mounts on "/" mean
      // it is not detached yet.
      if (
        mounts.includes(storeInside) &&
        mounts.includes('/dev') &&
        mounts.filter((mount) => mount === '/').length === 1 &&
        !mounts.some((mount) => mount.startsWith('/oldroot') || mount.startsWith('/newroot'))
      ) {
        return;
      }
      if (waited > 10_000) {
        throw new SnapboxError('SANDBOX_START_FAILED', { message: 'The sandbox did not finish its setup in 10 s.' });
      }
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }
}

/** Runs the relay's `place` built-in (see spawn-relay-script.ts); rejects with its message. */
function runPlace(args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const placer = spawnHost({ argv: ['', 'place', ...args], env: {}, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    placer.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    placer.once('error', (error) => reject(error));
    placer.once('close', (code, signal) => {
      if (code === 0) resolve();
      else {
        reject(
          new SnapboxError('SANDBOX_START_FAILED', {
            message: `Could not give the sandbox its root filesystem (${signal ?? `exit ${code}`}): ${stderr.trim() || 'no message'}`,
          }),
        );
      }
    });
  });
}
