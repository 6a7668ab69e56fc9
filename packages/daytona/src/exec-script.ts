import { execMarkerVariable, killMarkedCommand } from '@snapbox/core';
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
 * The session command that SIGKILLs every process carrying the marker of one `exec` (core's
 * `killMarkedCommand`, the same as the Docker backend's). Its stdin is `/dev/null`, like the
 * command's.
 */
export function buildKillScript(marker: string): string {
  return `${quoteCommandLine(killMarkedCommand(marker))} < /dev/null`;
}
