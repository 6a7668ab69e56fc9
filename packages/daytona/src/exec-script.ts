import { quoteCommandLine, quoteShellArg } from './shell-quote.js';

/**
 * The command lines written into a Daytona session shell (`sh` or `bash`, whichever the
 * sandbox has), for one `exec` and for killing it.
 *
 * The command runs through `env`, which passes the caller's variables whatever their names and
 * adds a marker variable unique to this `exec`. Every process the command starts inherits the
 * marker, background and `setsid` ones included, so the kill script finds them all by scanning
 * `/proc/<pid>/environ` — where a process-group kill would miss anything that left the group.
 * Its stdin is `/dev/null`: the session shell reads its own commands from stdin.
 */

/** The name of the variable that marks the processes of one `exec`. */
export const execMarkerVariable = 'SNAPBOX_EXEC_ID';

/** The session command for one `exec`. */
export function buildExecScript(options: {
  command: string | readonly string[];
  workdir: string | undefined;
  env: Record<string, string>;
  marker: string;
}): string {
  const assignments = [
    `${execMarkerVariable}=${options.marker}`,
    ...Object.entries(options.env).map(([key, value]) => `${key}=${value}`),
  ];
  const program = typeof options.command === 'string' ? ['bash', '-lc', options.command] : [...options.command];
  const run = `env -- ${quoteCommandLine([...assignments, ...program])} < /dev/null`;
  return options.workdir === undefined ? run : `cd -- ${quoteShellArg(options.workdir)} && ${run}`;
}

/**
 * The session command that SIGKILLs every process carrying the marker of one `exec`. It scans
 * three times, so that a process forked while the previous scan ran is caught too; it needs
 * only bash builtins.
 */
export function buildKillScript(marker: string): string {
  const wanted = `${execMarkerVariable}=${marker}`;
  const script = [
    'for round in 1 2 3; do',
    '  for f in /proc/[0-9]*/environ; do',
    '    IFS=/ read -r _ _ p _ <<< "$f"',
    '    while IFS= read -r -d "" v; do',
    `      if [ "$v" = ${quoteShellArg(wanted)} ]; then kill -9 "$p" 2>/dev/null; break; fi`,
    '    done 2>/dev/null < "$f"',
    '  done',
    'done',
    'exit 0',
  ].join('\n');
  return `bash -c ${quoteShellArg(script)} < /dev/null`;
}
