import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { execMarkerVariable, readProcessStat } from '@snapbox/core';

/**
 * Finding a sandbox's processes from the host, by their pid namespace (`/proc/<pid>/ns/pid`).
 * Killing from the host needs nothing from the image, and sees every process of the sandbox,
 * including those that left the command's process group or session.
 */

/** The pid namespace of a process, as the kernel names it (`pid:[4026532183]`); undefined once it is gone. */
export function pidNamespaceOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/pid`);
  } catch {
    return undefined;
  }
}

/** Host pids of every live process (zombies left out) in the pid namespace `namespace`. */
export function processesIn(namespace: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    if (pidNamespaceOf(pid) === namespace && !isGoneOrZombie(pid)) found.push(pid);
  }
  return found;
}

/** True once `pid` has exited (a zombie has released its namespaces and mounts already). */
export function isGoneOrZombie(pid: number): boolean {
  const state = readProcessStat(pid)?.state;
  return state === undefined || state === 'Z' || state === 'X';
}

function carriesMarker(pid: number, entry: Buffer): boolean {
  try {
    const environ = readFileSync(`/proc/${pid}/environ`);
    let start = 0;
    for (let index = 0; index <= environ.length; index++) {
      if (index === environ.length || environ[index] === 0) {
        if (index - start === entry.length && environ.subarray(start, index).equals(entry)) return true;
        start = index + 1;
      }
    }
    return false;
  } catch {
    return false;
  }
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends `name` to each of `pids`, skipping those already gone. */
export function signalQuietly(pids: readonly number[], name: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, name);
    } catch {
      // Gone already.
    }
  }
}

/**
 * SIGKILLs every process of the namespace whose environment holds `SNAPBOX_EXEC_ID=<marker>`:
 * each round freezes the matches with SIGSTOP (so none forks between the scan and the kill), then
 * kills them, until a scan finds none. Returns false if some survived every round.
 */
export async function killMarkedProcesses(namespace: string, marker: string): Promise<boolean> {
  const entry = Buffer.from(`${execMarkerVariable}=${marker}`);
  for (let round = 0; round < 20; round++) {
    const found = processesIn(namespace).filter((pid) => carriesMarker(pid, entry));
    if (found.length === 0) return true;
    signalQuietly(found, 'SIGSTOP');
    signalQuietly(found, 'SIGKILL');
    await delay(round < 3 ? 5 : 25);
  }
  return false;
}

/**
 * Stops every process of the namespace but its init with SIGSTOP (the fallback freeze where no
 * freezer cgroup is available), repeating until a scan finds nothing new. Returns the stopped pids.
 */
export function stopAll(namespace: string, init: number): number[] {
  const stopped = new Set<number>();
  for (let round = 0; round < 20; round++) {
    const fresh = processesIn(namespace).filter((pid) => pid !== init && !stopped.has(pid));
    if (fresh.length === 0) break;
    signalQuietly(fresh, 'SIGSTOP');
    for (const pid of fresh) stopped.add(pid);
  }
  return [...stopped];
}

/** Continues what {@link stopAll} stopped. */
export function continueAll(pids: readonly number[]): void {
  signalQuietly(pids, 'SIGCONT');
}

/**
 * SIGKILLs sandbox processes of the store at `storeRoot` that lost their bwrap parent while
 * bwrap was setting them up. bwrap's first child waits (on an eventfd, with no parent-death
 * signal yet) for its parent to finish the namespaces; when the owner dies in that moment (a
 * SIGKILL while the pool refills), its relay kills that parent and the child waits forever, in
 * a pid namespace of its own, holding the store's bind mount. It is recognised by its command
 * line (bwrap's, naming a folder of this store), by being pid 1 of its own pid namespace (a
 * sandbox's init, not a monitor), and by a parent that is not the same bwrap: a live sandbox's
 * init is its monitor's child. A completed sandbox whose monitor and agent are gone but whose
 * init still waits for a process left inside is ended the same way. Returns the pids killed.
 */
export function killOrphanedSandboxes(storeRoot: string): number[] {
  const killed: number[] = [];
  const inStore = (arg: string) => arg === storeRoot || arg.startsWith(`${storeRoot}/`);
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    const argv = commandLine(pid);
    if (argv === undefined || !(argv[0] ?? '').endsWith('bwrap') || !argv.some(inStore)) continue;
    if (!isNamespaceInit(pid)) continue;
    const parent = parentOf(pid);
    const parentArgv = parent === undefined ? undefined : commandLine(parent);
    if (parentArgv !== undefined && parentArgv.join('\0') === argv.join('\0')) continue;
    if (isGoneOrZombie(pid)) continue;
    try {
      process.kill(pid, 'SIGKILL');
      killed.push(pid);
    } catch {
      // Gone meanwhile, or not ours.
    }
  }
  return killed;
}

/** The argv of `pid`; undefined once it is gone (or for a kernel thread, which has none). */
export function commandLine(pid: number): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return text === '' ? undefined : text.replace(/\0$/, '').split('\0');
  } catch {
    return undefined;
  }
}

/** Whether `pid` is pid 1 of a pid namespace below this one (`NSpid:` ends in 1). */
function isNamespaceInit(pid: number): boolean {
  try {
    const line = /^NSpid:\s*(.*)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '';
    const ids = line.trim().split(/\s+/);
    return ids.length > 1 && ids.at(-1) === '1';
  } catch {
    return false;
  }
}

function parentOf(pid: number): number | undefined {
  return readProcessStat(pid)?.parent;
}

/**
 * SIGKILLs a bwrap monitor and the children it made: stopped first, so that it makes none
 * meanwhile. A monitor killed while it sets its sandbox up would leave its first child waiting
 * for it forever (see {@link killOrphanedSandboxes}); this ends that child with it.
 */
export function killWithChildren(pid: number): void {
  signalQuietly([pid], 'SIGSTOP');
  // None when it is gone, or the kernel does not list children: the sweeps end what is left.
  signalQuietly([...childrenOf(pid), pid], 'SIGKILL');
}

/** The pids of `pid`'s children (its main thread's); empty once it is gone. */
export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .split(' ')
      .filter((entry) => /^\d+$/.test(entry))
      .map(Number);
  } catch {
    return [];
  }
}
