import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { rmdir } from 'node:fs/promises';
import { join } from 'node:path';

/** The limits a container's cgroup enforces; undefined means no limit. */
export interface CgroupLimits {
  /** CPU cores (fractions allowed). */
  cpu?: number;
  /** Memory in MiB (swap is not allowed on top of it where the kernel lets us say so). */
  memoryMiB?: number;
  /** Most processes and threads at once. */
  pids?: number;
}

/** One container's cgroup: a folder per hierarchy (one on v2, one per controller on v1). */
export interface CgroupHandle {
  /** The folders, to remove at the end (and to record, so another process can remove them). */
  readonly dirs: string[];
  /** The `cgroup.procs` files a process writes its pid to, to join. */
  readonly procsFiles: string[];
}

/**
 * A small driver over the kernel's cgroup filesystem, for the two layouts in use: v1 (one
 * hierarchy per controller, /sys/fs/cgroup/<controller>/...) and v2 (one unified hierarchy).
 * It creates a container's cgroup with its limits, freezes and thaws it (for consistent
 * snapshots), and removes it. It never touches a cgroup outside its own parent folder.
 */
export interface CgroupDriver {
  readonly version: 1 | 2;
  /** Where this driver makes container cgroups (a folder per hierarchy), for messages. */
  readonly parents: readonly string[];
  create(name: string, limits: CgroupLimits): CgroupHandle;
  /** Sets (or changes) the limits of an existing cgroup; processes already in it are bound at once. */
  setLimits(handle: CgroupHandle, limits: CgroupLimits): void;
  /** Stops every process of the cgroup (and its children) until {@link CgroupDriver.thaw}. */
  freeze(handle: CgroupHandle): Promise<void>;
  thaw(handle: CgroupHandle): void;
  /** SIGKILLs what is left in the cgroup and removes its folders; blocking, bounded. */
  removeSync(dirs: readonly string[]): void;
}

/**
 * Reads back the limits the kernel enforces on a container's cgroup folders (either version):
 * what the container's processes are really bound by, which they cannot see from inside the
 * sandbox. A limit that is not set is left out.
 */
export function readCgroupLimits(dirs: readonly string[]): CgroupLimits {
  const limits: CgroupLimits = {};
  const read = (dir: string, file: string): string | undefined => {
    try {
      return readFileSync(join(dir, file), 'utf8').trim();
    } catch {
      return undefined;
    }
  };
  for (const dir of dirs) {
    const v2cpu = read(dir, 'cpu.max');
    const [quota, period] = v2cpu?.split(/\s+/) ?? [read(dir, 'cpu.cfs_quota_us'), read(dir, 'cpu.cfs_period_us')];
    if (quota !== undefined && period !== undefined && Number(quota) > 0) limits.cpu = Number(quota) / Number(period);
    const memory = read(dir, 'memory.max') ?? read(dir, 'memory.limit_in_bytes');
    // v1 says "no limit" with a huge number, v2 with "max".
    if (memory !== undefined && Number(memory) < 2 ** 50) limits.memoryMiB = Number(memory) / 2 ** 20;
    const pids = read(dir, 'pids.max');
    if (pids !== undefined && pids !== 'max') limits.pids = Number(pids);
  }
  return limits;
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));
/** Blocks the thread for `ms` (for the synchronous paths: exit handlers, `*Sync` methods). */
export function sleepSync(ms: number): void {
  Atomics.wait(sleepCell, 0, 0, ms);
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function write(path: string, value: string): void {
  writeFileSync(path, value);
}

function readProcs(dir: string): number[] {
  try {
    return readFileSync(join(dir, 'cgroup.procs'), 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map(Number);
  } catch {
    return [];
  }
}

/**
 * Removes container cgroup folders of either version: thaws them (a frozen task cannot die),
 * kills what is left (`cgroup.kill` where the kernel has it), and removes each folder, retrying
 * while the kernel finishes the exits. Blocking and bounded (about 2 s per folder); used by
 * `stop`, the exit cleanup, the watchdog and prune alike, from the folder list in a record.
 */
export function removeCgroupDirsSync(dirs: readonly string[]): void {
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    if (existsSync(join(dir, 'freezer.state'))) write(join(dir, 'freezer.state'), 'THAWED');
    if (existsSync(join(dir, 'cgroup.kill'))) write(join(dir, 'cgroup.kill'), '1');
    else if (existsSync(join(dir, 'cgroup.freeze'))) write(join(dir, 'cgroup.freeze'), '0');
    for (let attempt = 0; attempt < 200; attempt++) {
      for (const pid of readProcs(dir)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
      try {
        rmdirSync(dir);
        break;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') break;
        if (code !== 'EBUSY' || attempt === 199) throw error;
        sleepSync(10);
      }
    }
  }
}

/**
 * {@link removeCgroupDirsSync} without blocking the event loop: the folders are removed off it
 * (removing a cgroup can take milliseconds), and the retries wait with timers.
 */
export async function removeCgroupDirs(dirs: readonly string[]): Promise<void> {
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    if (existsSync(join(dir, 'freezer.state'))) write(join(dir, 'freezer.state'), 'THAWED');
    if (existsSync(join(dir, 'cgroup.kill'))) write(join(dir, 'cgroup.kill'), '1');
    else if (existsSync(join(dir, 'cgroup.freeze'))) write(join(dir, 'cgroup.freeze'), '0');
    for (let attempt = 0; attempt < 200; attempt++) {
      for (const pid of readProcs(dir)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
      try {
        await rmdir(dir);
        break;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') break;
        if (code !== 'EBUSY' || attempt === 199) throw error;
        await delay(10);
      }
    }
  }
}

type V1Controller = 'cpu' | 'memory' | 'pids' | 'freezer';

/** cgroup v1: a folder per controller (cpu, memory, pids, freezer) under `<mount>/<controller>/<prefix>`. */
export class CgroupV1Driver implements CgroupDriver {
  readonly version = 1;
  readonly parents: string[];
  readonly #byController: Record<V1Controller, string>;

  constructor(mountPoint: string, prefix: string) {
    this.#byController = {
      cpu: join(mountPoint, 'cpu', prefix),
      memory: join(mountPoint, 'memory', prefix),
      pids: join(mountPoint, 'pids', prefix),
      freezer: join(mountPoint, 'freezer', prefix),
    };
    this.parents = Object.values(this.#byController);
  }

  create(name: string, limits: CgroupLimits): CgroupHandle {
    const all = Object.values(this.#byController).map((parent) => {
      mkdirSync(join(parent, name), { recursive: true });
      return join(parent, name);
    });
    const handle = { dirs: all, procsFiles: all.map((dir) => join(dir, 'cgroup.procs')) };
    this.setLimits(handle, limits);
    return handle;
  }

  setLimits(handle: CgroupHandle, limits: CgroupLimits): void {
    const dir = (controller: V1Controller) => {
      const found = handle.dirs.find((candidate) => candidate.startsWith(`${this.#byController[controller]}/`));
      if (found === undefined) throw new Error(`this cgroup has no ${controller} folder`);
      return found;
    };
    if (limits.cpu !== undefined) {
      write(join(dir('cpu'), 'cpu.cfs_period_us'), '100000');
      write(join(dir('cpu'), 'cpu.cfs_quota_us'), String(Math.max(1000, Math.round(limits.cpu * 100_000))));
    }
    if (limits.memoryMiB !== undefined) {
      const bytes = String(Math.round(limits.memoryMiB * 1024 * 1024));
      write(join(dir('memory'), 'memory.limit_in_bytes'), bytes);
      // With swap accounting on, the same number as memory+swap means no swap on top.
      if (existsSync(join(dir('memory'), 'memory.memsw.limit_in_bytes'))) {
        write(join(dir('memory'), 'memory.memsw.limit_in_bytes'), bytes);
      }
    }
    if (limits.pids !== undefined) write(join(dir('pids'), 'pids.max'), String(limits.pids));
  }

  async freeze(handle: CgroupHandle): Promise<void> {
    const dir = this.#freezerDir(handle);
    write(join(dir, 'freezer.state'), 'FROZEN');
    for (let attempt = 0; readFileSync(join(dir, 'freezer.state'), 'utf8').trim() !== 'FROZEN'; attempt++) {
      if (attempt > 5000) throw new Error(`the freezer cgroup ${dir} did not freeze`);
      await delay(attempt < 20 ? 0 : 1);
    }
  }

  thaw(handle: CgroupHandle): void {
    write(join(this.#freezerDir(handle), 'freezer.state'), 'THAWED');
  }

  removeSync(dirs: readonly string[]): void {
    removeCgroupDirsSync(dirs);
  }

  #freezerDir(handle: CgroupHandle): string {
    const dir = handle.dirs.find((candidate) => candidate.startsWith(`${this.#byController.freezer}/`));
    if (dir === undefined) throw new Error('this cgroup has no freezer folder');
    return dir;
  }
}

/** cgroup v2: one folder under `<mount>/<parent>`, with cpu, memory and pids enabled for it. */
export class CgroupV2Driver implements CgroupDriver {
  readonly version = 2;
  readonly parents: string[];
  readonly #parent: string;
  #prepared = false;

  constructor(mountPoint: string, parent: string) {
    this.#parent = join(mountPoint, parent);
    this.parents = [this.#parent];
  }

  create(name: string, limits: CgroupLimits): CgroupHandle {
    this.#prepare();
    const dir = join(this.#parent, name);
    mkdirSync(dir);
    const handle = { dirs: [dir], procsFiles: [join(dir, 'cgroup.procs')] };
    this.setLimits(handle, limits);
    return handle;
  }

  setLimits(handle: CgroupHandle, limits: CgroupLimits): void {
    const dir = handle.dirs[0] as string;
    if (limits.cpu !== undefined) {
      write(join(dir, 'cpu.max'), `${Math.max(1000, Math.round(limits.cpu * 100_000))} 100000`);
    }
    if (limits.memoryMiB !== undefined) {
      write(join(dir, 'memory.max'), String(Math.round(limits.memoryMiB * 1024 * 1024)));
      if (existsSync(join(dir, 'memory.swap.max'))) write(join(dir, 'memory.swap.max'), '0');
    }
    if (limits.pids !== undefined) write(join(dir, 'pids.max'), String(limits.pids));
  }

  async freeze(handle: CgroupHandle): Promise<void> {
    const dir = handle.dirs[0] as string;
    write(join(dir, 'cgroup.freeze'), '1');
    for (let attempt = 0; !/^frozen 1$/m.test(readFileSync(join(dir, 'cgroup.events'), 'utf8')); attempt++) {
      if (attempt > 5000) throw new Error(`the cgroup ${dir} did not freeze`);
      await delay(attempt < 20 ? 0 : 1);
    }
  }

  thaw(handle: CgroupHandle): void {
    write(join(handle.dirs[0] as string, 'cgroup.freeze'), '0');
  }

  removeSync(dirs: readonly string[]): void {
    removeCgroupDirsSync(dirs);
  }

  /** Creates the parent and enables the controllers for its children (no-op when done). */
  #prepare(): void {
    if (this.#prepared) return;
    mkdirSync(this.#parent, { recursive: true });
    const available = readFileSync(join(this.#parent, 'cgroup.controllers'), 'utf8').split(/\s+/);
    const wanted = ['cpu', 'memory', 'pids'].filter((controller) => available.includes(controller));
    if (wanted.length > 0) write(join(this.#parent, 'cgroup.subtree_control'), wanted.map((c) => `+${c}`).join(' '));
    this.#prepared = true;
  }
}

/** Where cgroups are and whether this process may create them. */
export interface CgroupDetection {
  driver: CgroupDriver | undefined;
  /** Why there is no driver, for the message of an UnsupportedCapabilityError. */
  reason: string | undefined;
}

/**
 * Picks the driver for this machine: v2 when the unified hierarchy is mounted at `mountPoint`
 * (with the controllers enabled down to the parent), else v1 when cpu, memory, pids and freezer
 * hierarchies are. As root the parent is `/<prefix>`; as an ordinary user on v2 it is inside the
 * user's delegated systemd service (`user@<uid>.service`), and on v1 there is none.
 */
export function detectCgroups(options: { mountPoint?: string; prefix?: string; rootless: boolean }): CgroupDetection {
  const mountPoint = options.mountPoint ?? '/sys/fs/cgroup';
  const prefix = options.prefix ?? 'snapbox-bubblewrap';
  try {
    if (existsSync(join(mountPoint, 'cgroup.controllers'))) {
      let parent = prefix;
      if (options.rootless) {
        const own = /^0::(.*)$/m.exec(readFileSync('/proc/self/cgroup', 'utf8'))?.[1] ?? '';
        const service = /^(.*\/user@\d+\.service)(?:\/|$)/.exec(own)?.[1];
        if (service === undefined) {
          return {
            driver: undefined,
            reason: `no delegated cgroup (this process is in ${own || 'an unknown cgroup'})`,
          };
        }
        parent = join(service, prefix);
      }
      const driver = new CgroupV2Driver(mountPoint, parent);
      return probe(driver);
    }
    const controllers = ['cpu', 'memory', 'pids', 'freezer'];
    const missing = controllers.filter((controller) => !existsSync(join(mountPoint, controller, 'cgroup.procs')));
    if (missing.length > 0) {
      return { driver: undefined, reason: `the cgroup v1 controllers ${missing.join(', ')} are not mounted` };
    }
    if (options.rootless) {
      return { driver: undefined, reason: 'cgroup v1 gives an ordinary user no cgroup of its own' };
    }
    return probe(new CgroupV1Driver(mountPoint, prefix));
  } catch (error) {
    return { driver: undefined, reason: `cgroups are not usable here: ${String(error)}` };
  }
}

function probe(driver: CgroupDriver): CgroupDetection {
  try {
    for (const parent of driver.parents) mkdirSync(parent, { recursive: true });
    return { driver, reason: undefined };
  } catch (error) {
    return { driver: undefined, reason: `cannot create ${driver.parents.join(', ')}: ${String(error)}` };
  }
}

/** Removes the cgroup folders under `parents` whose names start with `prefix` (a session's leftovers). */
export function removeCgroupsNamedSync(parents: readonly string[], prefix: string): void {
  for (const parent of parents) {
    let names: string[];
    try {
      names = readdirSync(parent, { withFileTypes: true })
        .filter((entry) => entry.isDirectory() && entry.name.startsWith(prefix))
        .map((entry) => entry.name);
    } catch {
      continue;
    }
    removeCgroupDirsSync(names.map((name) => join(parent, name)));
  }
}
