import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { BackendUnavailableError, SnapboxError } from '@snapbox/core';
import { helperEnvironment, hostBinary } from './host-binaries.js';
import { pidNamespaceOf } from './process-scan.js';

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
  /** True when this process is not root (a single-uid user namespace). */
  rootless: boolean;
}

/** A running sandbox. */
export interface Sandbox {
  /** The bwrap process on the host (its parent is this process: it dies with it). */
  readonly process: ChildProcess;
  /** The host pid of the sandbox's init (pid 1 inside); commands join its namespaces. */
  readonly initPid: number;
  /** Its pid namespace, as `/proc/<pid>/ns/pid` names it. */
  readonly pidNamespace: string;
  /** Resolves when the bwrap process has exited. */
  readonly exited: Promise<void>;
}

// The user namespace: as an ordinary user, that user becomes root and nobody else exists
// (unshare maps it). As root, the first 65536 ids are identity-mapped, so the image's owners stay
// what they are; unshare would hand such a map to newuidmap, which refuses it without an
// /etc/subuid entry, so this process writes the map itself while the shell waits (see below).
function userNamespaceArgs(rootless: boolean): string[] {
  return rootless ? ['--user', '--map-root-user'] : ['--user'];
}

/** The id map written for root: the first 65536 ids, identity-mapped. */
export const rootIdMap = '0 0 65536';

// Joins the cgroups (one `cgroup.procs` file per hierarchy, up to `--`) before anything else runs,
// says it is in the new namespaces, waits for the go (the id maps are written then), mounts the
// overlay inside the new (private) mount namespace, then becomes bwrap. One shell for all of it:
// each exec in the chain costs milliseconds.
const joinMountThenExec =
  'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; ' +
  'echo namespaces; read -r go || exit 1; cd "$1" && mount -t overlay overlay -o "$2" "$3" && shift 3 && exec "$@" </dev/null';

// Joins the cgroups (one file per hierarchy) before exec, so everything after is accounted.
const joinCgroupsThenExec = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"';

/** Prefixes an argv with the cgroup join, when there are cgroups to join. */
export function inCgroups(procsFiles: readonly string[], argv: readonly string[]): string[] {
  if (procsFiles.length === 0) return [...argv];
  return ['/bin/sh', '-c', joinCgroupsThenExec, 'snapbox-cgroup', ...procsFiles, '--', ...argv];
}

/** The overlay mount options, with `userxattr` (required for an overlay mounted in a user namespace). */
export function overlayOptions(spec: Pick<SandboxSpec, 'lowerdirs' | 'upper' | 'work'>): string {
  return `lowerdir=${spec.lowerdirs.join(':')},upperdir=${spec.upper},workdir=${spec.work},userxattr`;
}

// Keeps the sandbox alive between commands, as the Docker backend does; needs only sh and sleep.
const keepAlive = 'echo ready; while :; do sleep 3600; done';

/** The full argv that starts a sandbox (exported for the tests and the README). */
export function sandboxArgv(spec: SandboxSpec): string[] {
  const bwrap = [
    hostBinary('bwrap'),
    '--bind',
    spec.merged,
    '/',
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-cgroup-try',
    ...(spec.network === 'none' ? ['--unshare-net'] : []),
    '--hostname',
    spec.hostname,
    '--die-with-parent',
    '--info-fd',
    '3',
    '--',
    '/bin/sh',
    '-c',
    keepAlive,
  ];
  return [
    hostBinary('unshare'),
    ...userNamespaceArgs(spec.rootless),
    '--mount',
    '--propagation',
    'private',
    '--',
    '/bin/sh',
    '-c',
    joinMountThenExec,
    'snapbox-sandbox',
    ...spec.cgroupProcs,
    '--',
    spec.storeRoot,
    overlayOptions(spec),
    spec.merged,
    ...bwrap,
  ];
}

/**
 * Starts a sandbox and resolves once its init is ready for commands (the keep-alive printed
 * `ready`, so the root is pivoted and /proc mounted).
 * @throws BackendUnavailableError when bwrap or unshare is missing or user namespaces are off.
 */
export function launchSandbox(spec: SandboxSpec): Promise<Sandbox> {
  const argv = sandboxArgv(spec);
  // Only PATH: the keep-alive is a process of the sandbox, and its environment is readable there.
  const child = spawn(argv[0] as string, argv.slice(1), {
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    env: helperEnvironment(),
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise<Sandbox>((resolve, reject) => {
    let info = '';
    let out = '';
    let err = '';
    let settled = false;
    let mapped = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      child.kill('SIGKILL');
      reject(error);
    };
    const check = () => {
      if (settled || !out.includes('ready')) return;
      let parsed: { 'child-pid'?: number };
      try {
        parsed = JSON.parse(info) as { 'child-pid'?: number };
      } catch {
        return; // The info may still be arriving.
      }
      const initPid = parsed['child-pid'];
      if (typeof initPid !== 'number') return;
      const pidNamespace = pidNamespaceOf(initPid);
      if (pidNamespace === undefined) {
        fail(
          new SnapboxError('SANDBOX_START_FAILED', {
            message: `The sandbox's init (pid ${initPid}) vanished at start.`,
          }),
        );
        return;
      }
      settled = true;
      // Nothing more is read from the sandbox's own pipes: closing them keeps no descriptor per
      // sandbox (hundreds run at once). A running sandbox must not keep this process alive
      // either: it is removed at exit like the Docker backend's containers.
      for (const stream of [child.stdin, child.stdout, child.stderr, child.stdio[3]]) {
        stream?.removeAllListeners('data');
        stream?.destroy();
      }
      child.unref();
      resolve({ process: child, initPid, pidNamespace, exited });
    };
    child.stdio[3]?.on('data', (chunk: Buffer) => {
      info += chunk.toString('utf8');
      check();
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      if (!mapped && out.includes('namespaces')) {
        mapped = true;
        try {
          if (!spec.rootless) writeIdMaps(child.pid as number);
          child.stdin?.end('go\n');
        } catch (error) {
          fail(
            new SnapboxError('SANDBOX_START_FAILED', {
              message: `Could not map the sandbox's user ids: ${String(error)}`,
              cause: error,
            }),
          );
          return;
        }
      }
      check();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      err += chunk.toString('utf8');
    });
    child.once('error', (error: NodeJS.ErrnoException) => {
      fail(
        new BackendUnavailableError({
          backend: 'bubblewrap',
          detail: `could not run ${argv[0]} (${error.code ?? error.message}); install util-linux and bubblewrap (scripts/ensure-bubblewrap.sh)`,
          cause: error,
        }),
      );
    });
    child.once('exit', (code, signal) => {
      if (settled) return;
      const message = err.trim();
      const unavailable = /No such file|not found|Operation not permitted|Permission denied|user namespace/i.test(
        message,
      );
      const detail = `the sandbox exited at start (${signal ?? `exit ${code}`}): ${message || 'no message'}`;
      fail(
        unavailable
          ? new BackendUnavailableError({
              backend: 'bubblewrap',
              detail: `${detail}. It needs bubblewrap, util-linux's unshare and nsenter, overlayfs, and unprivileged user namespaces (or root)`,
            })
          : new SnapboxError('SANDBOX_START_FAILED', { message: `Could not start the sandbox: ${detail}` }),
      );
    });
  });
}

/** Writes root's identity id maps for the user namespace of `pid` (allowed to root only). */
function writeIdMaps(pid: number): void {
  writeFileSync(`/proc/${pid}/uid_map`, rootIdMap);
  writeFileSync(`/proc/${pid}/gid_map`, rootIdMap);
}
