import {
  ExecAbortedError,
  type ExecOptions,
  ExecOutputCollector,
  type ExecResult,
  ExecTimeoutError,
  execMarkerVariable,
  killMarkedCommand,
  newExecMarker,
  SnapboxError,
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
  display: string;
}

/**
 * Runs a command with `docker exec`, streaming its output into an {@link ExecOutputCollector}
 * (which does the decoding, the `maxOutputBytes` cap and the callbacks). On timeout or abort
 * it kills the command's processes inside the container, then rejects with the partial result.
 */
export async function runExec(request: ExecRequest): Promise<ExecResult> {
  const { cli, options } = request;
  const collector = new ExecOutputCollector(options);
  if (options.signal?.aborted) {
    throw new ExecAbortedError({
      command: request.display,
      result: collector.partialResult(),
      cause: options.signal.reason,
    });
  }
  const marker = newExecMarker();
  const args = ['exec'];
  if (request.workdir !== undefined) args.push('--workdir', request.workdir);
  for (const [key, value] of Object.entries({ ...request.env, [execMarkerVariable]: marker })) {
    args.push('--env', `${key}=${value}`);
  }
  args.push(request.containerId, ...request.argv);

  const child = cli.spawn(args);
  child.stdout?.on('data', (chunk: Buffer) => collector.push('stdout', chunk));
  child.stderr?.on('data', (chunk: Buffer) => collector.push('stderr', chunk));
  const exited = new Promise<number>((resolve, reject) => {
    child.once('error', (error) => reject(cli.unavailable(error)));
    child.once('close', (code) => resolve(code ?? -1));
  });

  let stopReason: { kind: 'timeout' } | { kind: 'abort'; reason: unknown } | undefined;
  let wake: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => {
    wake = resolve;
  });
  const stop = (reason: NonNullable<typeof stopReason>) => {
    stopReason ??= reason;
    wake();
  };
  const timer =
    options.timeoutMs === undefined ? undefined : setTimeout(() => stop({ kind: 'timeout' }), options.timeoutMs);
  const onAbort = () => stop({ kind: 'abort', reason: options.signal?.reason });
  options.signal?.addEventListener('abort', onAbort, { once: true });

  try {
    const exitCode = await Promise.race([exited, stopped.then(() => undefined)]);
    if (exitCode !== undefined && stopReason === undefined) {
      const callbackError = collector.callbackError;
      if (callbackError !== undefined) throw callbackError.error;
      return collector.result(exitCode);
    }
    const killed = await cli.run(['exec', request.containerId, ...killMarkedCommand(marker)]);
    // The client ends once its command is gone; if it lingers, it holds nothing we need.
    const grace = setTimeout(() => child.kill('SIGKILL'), clientGraceMs);
    await exited.catch(() => undefined);
    clearTimeout(grace);
    if (killed.exitCode !== 0) {
      throw new SnapboxError('EXEC_KILL_FAILED', {
        message: `Could not kill ${request.display}; the container may still run it (the kill needs sh and grep in the image): ${killed.stderr.trim()}`,
      });
    }
    const result = collector.partialResult();
    const reason = stopReason as NonNullable<typeof stopReason>;
    throw reason.kind === 'timeout'
      ? new ExecTimeoutError({ command: request.display, timeoutMs: options.timeoutMs ?? 0, result })
      : new ExecAbortedError({ command: request.display, result, cause: reason.reason });
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}
