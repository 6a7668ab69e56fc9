import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { readProcessStat } from '@snapbox/core';

/** Parent of every process on this machine, from /proc (Linux) or `ps` (macOS, BSD). */
function parentMap(): Map<number, number> {
  const parents = new Map<number, number>();
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      // Undefined when the process ended while we looked.
      const parent = readProcessStat(Number(entry))?.parent;
      if (parent !== undefined) parents.set(Number(entry), parent);
    }
    if (parents.size > 0) return parents;
  } catch {
    // No /proc: not Linux.
  }
  try {
    const out = execFileSync('ps', ['-A', '-o', 'pid=,ppid='], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    for (const line of out.split('\n')) {
      const [pid, ppid] = line.trim().split(/\s+/).map(Number);
      if (pid !== undefined && ppid !== undefined && Number.isInteger(pid)) parents.set(pid, ppid);
    }
  } catch {
    // No ps either: only the root process can be killed.
  }
  return parents;
}

/**
 * Kills `pid` and every process it started. git runs its transports as child processes
 * (`git-remote-https`, `ssh`) that outlive a killed git and keep waiting on a stalled server, so
 * killing git alone would leave them behind. The whole tree is read before anything is killed: a
 * child whose parent died is re-parented and could no longer be found.
 */
export function killProcessTree(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  const parents = parentMap();
  const tree = [pid];
  for (let index = 0; index < tree.length; index++) {
    for (const [child, parent] of parents) if (parent === tree[index] && !tree.includes(child)) tree.push(child);
  }
  for (const member of tree) {
    try {
      process.kill(member, signal);
    } catch {
      // Already gone.
    }
  }
}
