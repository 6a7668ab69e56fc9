import { readFileSync, writeFileSync } from 'node:fs';
import { SnapboxError } from '@snapbox/core';
import { helperEnvironment, hostBinary } from './host-binaries.js';
import { pidNamespaceOf } from './process-scan.js';
import {
  exitFailure,
  overlayOptions,
  rootIdMap,
  type Sandbox,
  type SandboxPlacement,
  type SandboxShape,
  type SandboxSlot,
  startFailure,
} from './sandbox-launch.js';
import { type HostChild, spawnerKind, spawnHost } from './spawner.js';

/** Where the store is bound in a pre-built sandbox until it is placed (then detached). */
const storeInside = '/.snapbox-store';
/** The empty folder the container's overlay is mounted on, and which becomes the root. */
const rootInside = '/.snapbox-root';

// The image's shell keeps the sandbox alive between commands, as in the Docker backend.
const keepAlive = 'while :; do sleep 3600; done';

/**
 * Syscall numbers (setns, mount, umount2, pivot_root, sethostname) that the relay's `place`
 * built-in needs, by Node's name for the architecture: x86-64 has its own table, the newer ones
 * share the generic one.
 */
const syscallNumbers: Partial<Record<NodeJS.Architecture, string>> = {
  x64: '308,165,166,155,170',
  arm64: '268,40,39,41,161',
  riscv64: '268,40,39,41,161',
  loong64: '268,40,39,41,161',
};

/**
 * Whether sandboxes can be built ahead of their containers here: that needs the spawn relay (its
 * `place` built-in does the mounts without starting a program) and a known syscall table.
 */
export function prebuiltSupported(): boolean {
  return spawnerKind() === 'relay' && syscallNumbers[process.arch] !== undefined;
}

/** The bwrap argv of a pre-built sandbox (exported for the tests and the README). */
export function prebuiltArgv(shape: SandboxShape, storeRoot: string): string[] {
  return [
    hostBinary('bwrap'),
    '--unshare-user',
    // As root, this process writes an identity map of the first 65536 ids (so an image's owners
    // stay what they are) while bwrap waits on its stdin; as an ordinary user, bwrap maps that
    // user to root itself.
    ...(shape.rootless ? ['--uid', '0', '--gid', '0'] : ['--userns-block-fd', '0']),
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
    '/bin/sh',
    '-c',
    keepAlive,
  ];
}

/**
 * A sandbox built before its container: bwrap has made its namespaces, /proc and /dev, and waits
 * (blocked on its stdin) with an empty root. {@link PrebuiltSandbox.complete} gives it the
 * container's cgroups and overlay root in one forked relay child (no program started), then lets
 * bwrap run the keep-alive: a restore costs a fork and a few syscalls instead of starting `bwrap`.
 * Its namespaces are all bwrap's own, so nothing runs outside them but bwrap's monitor.
 */
export class PrebuiltSandbox implements SandboxSlot {
  readonly process: HostChild;
  readonly #storeRoot: string;
  readonly #initPid: Promise<number>;
  readonly #exited: Promise<void>;
  #err = '';
  #failure: Error | undefined;

  constructor(shape: SandboxShape, storeRoot: string) {
    this.#storeRoot = storeRoot;
    const argv = prebuiltArgv(shape, storeRoot);
    // Only PATH: the keep-alive is a process of the sandbox, and its environment is readable there.
    const child = spawnHost({ argv, stdio: ['pipe', 'ignore', 'pipe', 'pipe'], env: helperEnvironment() });
    this.process = child;
    this.#exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    this.#initPid = new Promise<number>((resolve, reject) => {
      let info = '';
      child.stdio[3]?.on('data', (chunk: Buffer) => {
        info += chunk.toString('utf8');
        const pid = /"child-pid":\s*(\d+)/.exec(info)?.[1];
        if (pid === undefined) return;
        try {
          if (!shape.rootless) {
            writeFileSync(`/proc/${pid}/uid_map`, rootIdMap);
            writeFileSync(`/proc/${pid}/gid_map`, rootIdMap);
            child.stdin?.write('u');
          }
          resolve(Number(pid));
        } catch (error) {
          reject(
            new SnapboxError('SANDBOX_START_FAILED', {
              message: `Could not map the sandbox's user ids: ${String(error)}`,
              cause: error,
            }),
          );
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
    // Unhandled until someone completes it; a pooled one may die unused.
    this.#initPid.catch(() => undefined);
  }

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
    this.process.unref();
  }

  async complete(placement: SandboxPlacement): Promise<Sandbox> {
    const child = this.process;
    child.ref();
    try {
      const initPid = await this.#initPid;
      await this.#setUp(initPid);
      // Everything that runs in the sandbox from now on descends from its init: it joins the
      // container's cgroups before anything runs. (bwrap's monitor outside only waits.)
      for (const procs of placement.cgroupProcs) writeFileSync(procs, String(initPid));
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
      // Lets bwrap go on: it starts its init and the keep-alive, in the container's root.
      child.stdin?.end('g');
      for (const stream of [child.stderr, child.stdio[3]]) {
        stream?.removeAllListeners('data');
        stream?.destroy();
      }
      child.unref();
      return {
        process: child,
        initPid,
        pidNamespace,
        exited: this.#exited,
        // bwrap's init, the keep-alive shell and its sleep (the monitor stays outside the cgroup).
        idleProcesses: () => 3,
      };
    } catch (error) {
      this.discard();
      throw error;
    }
  }

  discard(): void {
    this.process.kill('SIGKILL');
    for (const stream of [this.process.stdin, this.process.stderr, this.process.stdio[3]]) stream?.destroy();
    this.process.unref();
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
      if (
        mounts.includes(storeInside) &&
        mounts.includes('/dev') &&
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
