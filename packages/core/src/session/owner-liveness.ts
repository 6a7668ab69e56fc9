import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

/** What the labels of a resource say about its owner. */
export interface OwnerRecord {
  /** The owner process id. */
  pid: number;
  /** The host name of the machine the owner process runs on. */
  host: string;
  /** ms since the epoch; used to tell a reused pid from the original owner. */
  processStartedAt: number;
}

/**
 * Whether the owner process of a resource still runs.
 *
 * - `'alive'` / `'dead'`: decided on this host, from the pid and (on Linux) its start time, so a
 *   pid reused by an unrelated process counts as dead.
 * - `'unknown'`: the owner is on another host; only age or an explicit choice may prune it.
 */
export function ownerLiveness(owner: OwnerRecord): 'alive' | 'dead' | 'unknown' {
  if (owner.host !== hostname()) return 'unknown';
  if (!Number.isInteger(owner.pid) || owner.pid <= 0) return 'dead';
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return 'dead';
  }
  const started = processStartTime(owner.pid);
  if (started === undefined || !Number.isFinite(owner.processStartedAt)) return 'alive';
  // Start times derive from clock ticks and uptime; allow a few seconds of rounding.
  return Math.abs(started - owner.processStartedAt) <= 5_000 ? 'alive' : 'dead';
}

/** What `/proc/<pid>/stat` says of a process that the callers here need. */
export interface ProcessStat {
  /** One letter: `R` running, `S` sleeping, `T` stopped, `Z` zombie, `X` dead, … */
  state: string;
  /** The parent's pid. */
  parent: number;
  /** When it started, in clock ticks since boot. */
  startTicks: number;
}

/**
 * A process's state, parent and start from /proc (Linux); undefined once it is gone, or where
 * there is no /proc.
 */
export function readProcessStat(pid: number): ProcessStat | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // `pid (comm) state ppid …`: the command name may hold spaces and parentheses, so the fields
  // are counted from the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0] ?? '', parent: Number(fields[1]), startTicks: Number(fields[19]) };
}

let bootTimeMs: number | undefined;

/** The start time of `pid` in ms since the epoch, from /proc (Linux); undefined elsewhere. */
export function processStartTime(pid: number): number | undefined {
  const stat = readProcessStat(pid);
  if (stat === undefined) return undefined;
  if (bootTimeMs === undefined) {
    try {
      const btime = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
      if (btime === null) return undefined;
      bootTimeMs = Number(btime[1]) * 1000;
    } catch {
      return undefined;
    }
  }
  // USER_HZ is 100 on every Linux architecture Node supports.
  return bootTimeMs + (stat.startTicks / 100) * 1000;
}
