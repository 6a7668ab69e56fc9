import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

function pss(pid: number): number {
  try {
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    return Number(/^Pss:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

/**
 * Proportional set size (shared pages split between their users) of every process of the given
 * sandboxes: the processes outside the sandbox's pid namespace that hold it (the bwrap monitor,
 * and the agent, which runs commands from the host's pid namespace) plus everything in it.
 */
export function sandboxMemoryBytes(sandboxes: readonly { holders: readonly number[]; pidNamespace: string }[]): number {
  const namespaces = new Set(sandboxes.map((sandbox) => sandbox.pidNamespace));
  const pids = new Set(sandboxes.flatMap((sandbox) => sandbox.holders));
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (namespaces.has(readlinkSync(`/proc/${name}/ns/pid`))) pids.add(Number(name));
    } catch {
      // Gone.
    }
  }
  let total = 0;
  for (const pid of pids) total += pss(pid);
  return total;
}
