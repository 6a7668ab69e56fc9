import type { Duplex } from 'node:stream';
import {
  ContainerNotStartedError,
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
import type Docker from 'dockerode';
import { brief, dockerLog } from './debug-logs.js';
import { wrapEngineError } from './docker-connection.js';
import { isNotRunningError } from './engine-flavor.js';
import { ExecStartFailure } from './exec-start-failure.js';

/** How long to wait for the stream after the main process exited or was killed. */
const drainGraceMs = 500;
/** How often to ask the engine whether the main process is still running. */
const pollIntervalMs = 500;

export interface RunExecRequest {
  docker: Docker;
  containerId: string;
  argv: readonly string[];
  env: Record<string, string>;
  workdir: string | undefined;
  options: ExecOptions;
  /** For messages: the command as the caller wrote it. */
  display: string;
}

/** Runs one command through the Engine API exec endpoints, with streaming, limits, timeout and abort. */
export async function runExec(request: RunExecRequest): Promise<ExecResult> {
  const { docker, options } = request;
  const collector = new ExecOutputCollector(options);
  if (options.signal?.aborted) {
    throw new ExecAbortedError({
      command: request.display,
      result: collector.partialResult(),
      cause: options.signal.reason,
    });
  }
  const marker = newExecMarker();
  const container = docker.getContainer(request.containerId);
  const env = Object.entries({ ...request.env, [execMarkerVariable]: marker }).map(([key, value]) => `${key}=${value}`);

  let exec: Docker.Exec;
  let stream: Duplex;
  try {
    exec = await container.exec({
      Cmd: [...request.argv],
      Env: env,
      ...(request.workdir === undefined ? {} : { WorkingDir: request.workdir }),
      AttachStdout: true,
      AttachStderr: true,
      AttachStdin: false,
      Tty: false,
    });
    stream = (await exec.start({ hijack: true, stdin: false })) as Duplex;
  } catch (error) {
    if (isNotRunningError(error)) {
      // The container died or was removed behind our back (OOM kill, `docker rm -f`).
      throw new ContainerNotStartedError({
        operation: 'exec',
        state: 'stopped',
        container: request.containerId,
        cause: error,
      });
    }
    throw wrapEngineError(error, docker, `run ${request.display}`);
  }

  return new Promise<ExecResult>((resolve, reject) => {
    let finished = false;
    let stopReason: { kind: 'timeout' } | { kind: 'abort'; reason: unknown } | undefined;
    const timers: NodeJS.Timeout[] = [];
    let killDone: Promise<unknown> = Promise.resolve(undefined);
    const startFailure = new ExecStartFailure();
    const demux = new FrameDemuxer((stream, payload) => {
      if (!startFailure.capture(payload)) collector.push(stream, payload);
    });

    const cleanup = () => {
      finished = true;
      for (const timer of timers) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      stream.removeAllListeners('data');
      stream.destroy();
    };

    const settle = async () => {
      if (finished) return;
      cleanup();
      if (stopReason !== undefined) {
        const killError = await killDone;
        if (killError !== undefined) {
          reject(
            new SnapboxError('EXEC_KILL_FAILED', {
              message: `Could not kill ${request.display} after its ${stopReason.kind}; the container may still run it. snapbox needs sh and grep in the image to kill commands.`,
              cause: killError,
            }),
          );
          return;
        }
        const result = collector.partialResult();
        reject(
          stopReason.kind === 'timeout'
            ? new ExecTimeoutError({ command: request.display, timeoutMs: options.timeoutMs ?? 0, result })
            : new ExecAbortedError({ command: request.display, result, cause: stopReason.reason }),
        );
        return;
      }
      try {
        const engineExitCode = await exitCodeOf(exec);
        const failure = startFailure.outcome();
        if (failure !== undefined) collector.push('stderr', failure.stderr);
        const callbackError = collector.callbackError;
        if (callbackError !== undefined) reject(callbackError.error);
        else resolve(collector.result(failure?.exitCode ?? engineExitCode));
      } catch (error) {
        reject(wrapEngineError(error, docker, `read the exit code of ${request.display}`));
      }
    };

    const stop = (reason: NonNullable<typeof stopReason>) => {
      if (finished || stopReason !== undefined) return;
      stopReason = reason;
      dockerLog(
        'exec in %s: %s: %s, killing its processes',
        request.containerId.slice(0, 12),
        brief(request.display),
        reason.kind,
      );
      killDone = killMarked(docker, request.containerId, marker).then(
        () => undefined,
        (error: unknown) => error ?? new Error('kill failed'),
      );
      void killDone.then(() => timers.push(setTimeout(() => void settle(), drainGraceMs)));
    };
    const onAbort = () => stop({ kind: 'abort', reason: options.signal?.reason });

    stream.on('data', (chunk: Buffer) => demux.push(chunk));
    stream.once('end', () => void settle());
    stream.once('close', () => void settle());
    stream.once('error', (error) => {
      if (stopReason !== undefined) return void settle();
      if (finished) return;
      cleanup();
      reject(wrapEngineError(error, docker, `read the output of ${request.display}`));
    });
    options.signal?.addEventListener('abort', onAbort, { once: true });
    // An abort while the exec was being created (slow over ssh) fired no event we could hear.
    if (options.signal?.aborted) onAbort();
    if (options.timeoutMs !== undefined) timers.push(setTimeout(() => stop({ kind: 'timeout' }), options.timeoutMs));

    // A background job that keeps stdout open keeps the stream open after the command itself
    // exited; poll the engine so such a command still returns (after a short drain).
    const poll = () => {
      if (finished || stopReason !== undefined) return;
      exec.inspect().then(
        (info) => {
          if (finished || stopReason !== undefined) return;
          if (info.Running) timers.push(setTimeout(poll, pollIntervalMs));
          else timers.push(setTimeout(() => void settle(), drainGraceMs));
        },
        () => timers.push(setTimeout(poll, pollIntervalMs)),
      );
    };
    timers.push(setTimeout(poll, pollIntervalMs));
  });
}

async function exitCodeOf(exec: Docker.Exec): Promise<number> {
  // Right after the stream ends the engine may not have recorded the exit yet.
  for (let attempt = 0; attempt < 100; attempt++) {
    const info = await exec.inspect();
    if (!info.Running && info.ExitCode !== null && info.ExitCode !== undefined) return info.ExitCode;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new SnapboxError('ENGINE_ERROR', { message: 'The engine never reported the exit code of the command.' });
}

/** How long the kill script may take before the kill is reported as failed. */
const killTimeoutMs = 15_000;

/** Kills every process in the container that carries `marker` (see core's `killMarkedCommand`). */
export async function killMarked(docker: Docker, containerId: string, marker: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`the kill script did not finish within ${killTimeoutMs} ms`)),
      killTimeoutMs,
    );
  });
  try {
    await Promise.race([runKillScript(docker, containerId, marker), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

async function runKillScript(docker: Docker, containerId: string, marker: string): Promise<void> {
  const exec = await docker.getContainer(containerId).exec({
    Cmd: killMarkedCommand(marker),
    AttachStdout: true,
    AttachStderr: true,
  });
  // Attached, not detached: Podman never reports that a detached exec has ended.
  const stream = (await exec.start({ hijack: true, stdin: false })) as Duplex;
  stream.resume();
  await new Promise<void>((resolve) => {
    stream.once('end', resolve);
    stream.once('close', resolve);
    stream.once('error', () => resolve());
  });
  const exitCode = await exitCodeOf(exec);
  if (exitCode !== 0) throw new Error(`the kill script exited with ${exitCode}`);
}

/**
 * Splits the engine's multiplexed stream (8-byte header: stream type, 3 zero bytes, big-endian
 * payload length) into stdout and stderr payloads, in arrival order.
 */
export class FrameDemuxer {
  #pending: Buffer = Buffer.alloc(0);
  readonly #emit: (stream: 'stdout' | 'stderr', payload: Buffer) => void;

  constructor(emit: (stream: 'stdout' | 'stderr', payload: Buffer) => void) {
    this.#emit = emit;
  }

  push(chunk: Buffer): void {
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    while (this.#pending.length >= 8) {
      const size = this.#pending.readUInt32BE(4);
      if (this.#pending.length < 8 + size) break;
      const type = this.#pending[0];
      const payload = this.#pending.subarray(8, 8 + size);
      this.#pending = this.#pending.subarray(8 + size);
      this.#emit(type === 2 ? 'stderr' : 'stdout', payload);
    }
  }
}
