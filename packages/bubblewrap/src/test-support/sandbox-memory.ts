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
 * sandboxes: the bwrap monitor on the host side plus everything in each sandbox's pid namespace.
 */
export function sandboxMemoryBytes(sandboxes: readonly { monitorPid: number; pidNamespace: string }[]): number {
  const namespaces = new Set(sandboxes.map((sandbox) => sandbox.pidNamespace));
  let total = sandboxes.reduce((sum, sandbox) => sum + pss(sandbox.monitorPid), 0);
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (namespaces.has(readlinkSync(`/proc/${name}/ns/pid`))) total += pss(Number(name));
    } catch {
      // Gone.
    }
  }
  return total;
}
