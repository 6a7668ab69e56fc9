import { randomUUID } from 'node:crypto';
import { InvalidArgumentError } from './errors/invalid-argument-error.js';

/**
 * Killing a command inside a container, for backends whose engine has no "kill this exec" call
 * (Docker, Podman, the docker CLI, a Daytona session): ending the client's stream kills nothing
 * inside. The backend starts the command with {@link execMarkerVariable} set to a fresh marker;
 * every process the command starts inherits it (unless it scrubs its environment), background
 * jobs, `nohup` and `setsid` children included, which escape the process group. On timeout or
 * abort the backend runs {@link killMarkedCommand} in the same container.
 */

/** The environment variable that marks every process of one `exec`. */
export const execMarkerVariable = 'SNAPBOX_EXEC_ID';

// Freeze first (SIGSTOP) so nothing forks between the scan and the kill, then SIGKILL; repeat
// until a scan finds nobody. The container's init reaps what dies. Needs only sh and grep -z.
const killMarkedScript = `id="$1"
for round in 1 2 3 4 5 6 7 8; do
  found=""
  for p in /proc/[0-9]*; do
    pid="\${p#/proc/}"
    if grep -qzx "${execMarkerVariable}=$id" "$p/environ" 2>/dev/null; then
      kill -STOP "$pid" 2>/dev/null; found="$found $pid"
    fi
  done
  [ -z "$found" ] && exit 0
  kill -KILL $found 2>/dev/null
  sleep 0.05
done
exit 1`;

/** A fresh marker for one `exec`. */
export function newExecMarker(): string {
  return randomUUID();
}

/**
 * The argv, run inside the container, that SIGKILLs every process whose environment holds
 * `SNAPBOX_EXEC_ID=<marker>`. It exits 0 once a scan finds none left and 1 if some survived
 * eight rounds. It needs `sh` and a `grep` with `-z` (busybox's has it) in the image.
 */
export function killMarkedCommand(marker: string): string[] {
  if (!/^[A-Za-z0-9_-]+$/.test(marker)) {
    // The marker becomes part of a grep pattern: keep it to characters with no meaning there.
    throw new InvalidArgumentError({
      argument: 'marker',
      message: `may hold only letters, digits, '-' and '_'; got ${JSON.stringify(marker)}`,
    });
  }
  return ['sh', '-c', killMarkedScript, 'snapbox-kill', marker];
}
