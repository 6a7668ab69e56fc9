import {
  type ExecOptions,
  ExecOutputCollector,
  type ExecResult,
  execMarkerVariable,
  killMarkedCommand,
  newExecMarker,
  runExecWithDeadline,
} from '@snapbox/core';
import type { DockerCli } from './docker-cli.js';

// A timed-out command is killed inside the container by the marker every process of it
// inherits (core's killMarkedCommand): killing the local `docker exec` client would kill
// nothing inside the container.

/** How long the local `docker exec` client may take to notice that its command was killed. */
const clientGraceMs = 2_000;

/** One command to run with {@link runExec}. */
export interface ExecRequest {
  cli: DockerCli;
  containerId: string;
  argv: readonly string[];
  env: Record<string, string>;
  workdir: string | undefined;
  options: ExecOptions;
  /** The command as the caller wrote it, for messages. */
  command: string | readonly string[];
}

/**
 * Runs a command with `docker exec`, streaming its output into an {@link ExecOutputCollector}
 * (which does the decoding, the `maxOutputBytes` cap and the callbacks). Core's
 * `runExecWithDeadline` races it against the timeout and the signal: on either, it kills the
 * command's processes inside the container, then rejects with the partial result.
 */
export async function runExec(request: ExecRequest): Promise<ExecResult> {
  const { cli, options } = request;
  const collector = new ExecOutputCollector(options);
  const marker = newExecMarker();
  let child: ReturnType<DockerCli['spawn']> | undefined;
  return runExecWithDeadline({
    command: request.command,
    options,
    collector,
    drainMs: clientGraceMs,
    run: (launched) => {
      const args = ['exec'];
      if (request.workdir !== undefined) args.push('--workdir', request.workdir);
      for (const [key, value] of Object.entries({ ...request.env, [execMarkerVariable]: marker })) {
        args.push('--env', `${key}=${value}`);
      }
      args.push(request.containerId, ...request.argv);
      const spawned = cli.spawn(args);
      child = spawned;
      // The client is running; the command inside follows within moments, and the kill script
      // waits for its processes to be gone, not for them to appear.
      launched();
      spawned.stdout?.on('data', (chunk: Buffer) => collector.push('stdout', chunk));
      spawned.stderr?.on('data', (chunk: Buffer) => collector.push('stderr', chunk));
      return new Promise<number>((resolve, reject) => {
        spawned.once('error', (error) => reject(cli.unavailable(error)));
        spawned.once('close', (code) => resolve(code ?? -1));
      });
    },
    kill: async () => {
      const killed = await cli.run(['exec', request.containerId, ...killMarkedCommand(marker)]);
      // The client ends once its command is gone; if it lingers, it holds nothing we need.
      setTimeout(() => child?.kill('SIGKILL'), clientGraceMs).unref();
      if (killed.exitCode !== 0) {
        throw new Error(`the kill needs sh and grep in the image: ${killed.stderr.trim()}`);
      }
    },
  });
}
