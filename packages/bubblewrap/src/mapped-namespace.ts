import { type ChildProcess, spawn } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { SnapboxError } from '@snapbox/core';
import { sleepSync } from './cgroup-driver.js';
import { helperEnvironment, hostBinary } from './host-binaries.js';
import { mapSubordinateIdsSync, type SubordinateIds } from './subordinate-ids.js';

/**
 * A user namespace with the sandboxes' own id map (root is this user, 1.. its subordinate ids),
 * held open by one idle process for the life of this process, which the helpers that work on
 * container files on the host (`cp` for snapshots, `rm` for removals, `tar` for images) join with
 * `nsenter`. Inside it those files' owners are mapped and this user is root over them: it can
 * read a container user's 0600 file and unlink entries of its folders, and keep their owners
 * when it copies them. Joining costs what the single-uid `unshare --map-root-user` cost before
 * (one program), where a fresh namespace per helper would add `newuidmap` and `newgidmap` (two
 * setuid programs, about 3.5 ms) to every snapshot.
 */
export class MappedNamespace {
  readonly #ids: SubordinateIds;
  #holder: ChildProcess | undefined;

  constructor(ids: SubordinateIds) {
    this.#ids = ids;
  }

  /**
   * The argv prefix that runs a program in the namespace, as root there. Starts the holder on
   * first use (blocking, a few milliseconds), and again if it died.
   */
  prefix(): string[] {
    return [hostBinary('nsenter'), '--target', String(this.#pid()), '--user', '--preserve-credentials', '--'];
  }

  #pid(): number {
    const current = this.#holder;
    // Its namespace link, not only its exit status: in an exit handler the event loop no longer
    // reports exits, and a dead holder (a zombie too) has no namespaces left.
    if (current?.pid !== undefined && current.exitCode === null && holdsNamespace(current.pid)) return current.pid;
    // It waits on its input, which closes when this process ends (however it ends). Its own
    // process group: a Ctrl-C meant for this process must not end it before the exit cleanup,
    // which needs it.
    const holder = spawn(hostBinary('unshare'), ['--user', '--', hostBinary('cat')], {
      stdio: ['pipe', 'ignore', 'ignore'],
      env: helperEnvironment(),
      detached: true,
    });
    holder.on('error', () => undefined);
    holder.stdin?.on('error', () => undefined);
    const pid = holder.pid;
    try {
      if (pid === undefined) throw new Error(`could not start ${hostBinary('unshare')}`);
      const own = readlinkSync('/proc/self/ns/user');
      for (let waited = 0; ; waited++) {
        let theirs: string | undefined;
        try {
          theirs = readlinkSync(`/proc/${pid}/ns/user`);
        } catch {
          theirs = undefined;
        }
        if (theirs !== undefined && theirs !== own) break;
        if (theirs === undefined || waited > 5000) {
          throw new Error(theirs === undefined ? 'it ended at start' : 'it made no user namespace in 5 s');
        }
        sleepSync(1);
      }
      mapSubordinateIdsSync(this.#ids, pid);
    } catch (error) {
      holder.kill('SIGKILL');
      throw new SnapboxError('HOST_TOOL_FAILED', {
        message: `Could not make a user namespace with this user's subordinate ids (to work on container files): ${error instanceof Error ? error.message : String(error)}`,
        cause: error,
      });
    }
    holder.unref();
    (holder.stdin as unknown as { unref?(): void } | null)?.unref?.();
    this.#holder = holder;
    return pid;
  }
}

function holdsNamespace(pid: number): boolean {
  try {
    readlinkSync(`/proc/${pid}/ns/user`);
    return true;
  } catch {
    return false;
  }
}

let shared: MappedNamespace | undefined;

/** The namespace of this process (the map is the user's, the same for every state folder). */
export function sharedMappedNamespace(ids: SubordinateIds): MappedNamespace {
  shared ??= new MappedNamespace(ids);
  return shared;
}
