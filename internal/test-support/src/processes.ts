import { readFileSync } from 'node:fs';

/**
 * Whether process `pid` is running or sleeping. A killed child that its parent has not reaped
 * yet is a zombie (state Z): it counts as gone, since it can do nothing more.
 */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name, in parentheses, may hold spaces: the state follows the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}
