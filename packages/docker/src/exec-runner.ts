import type { Duplex } from 'node:stream';
import {
  ContainerNotStartedError,
  describeCommand,
  type ExecOptions,
  ExecOutputCollector,
  type ExecResult,
  execMarkerVariable,
  killMarkedCommand,
  newExecMarker,
  runExecWithDeadline,
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

/**
 * A Docker exec result: the contract's, plus whether the kernel's out-of-memory killer ended
 * the command.
 */
export interface DockerExecResult extends ExecResult {
  /**
   * True when the command was SIGKILLed (exit code 137) and the container's memory cgroup
   * counted a new out-of-memory kill meanwhile: the command (or a child) used more than
   * `resources.memoryMiB`. Absent otherwise. With several commands running at once, the kill
   * is reported on the first that ends with 137.
   */
  oomKilled?: boolean;
}

export interface RunExecRequest {
  docker: Docker;
  containerId: string;
  argv: readonly string[];
  env: Record<string, string>;
  workdir: string | undefined;
  /** Overrides the container's user for this command. */
  user?: string | undefined;
  options: ExecOptions;
  /** The command as the caller wrote it, for messages. */
  command: string | readonly string[];
}

/** Runs one command through the Engine API exec endpoints, with streaming, limits, timeout and abort. */
export async function runExec(request: RunExecRequest): Promise<ExecResult> {
  const { docker, options } = request;
  const collector = new ExecOutputCollector(options);
  const marker = newExecMarker();
  let stream: Duplex | undefined;
  let finished = false;
  try {
    return await runExecWithDeadline({
      command: request.command,
      options,
      collector,
      drainMs: drainGraceMs,
      run: async (launched) => {
        const exec = await startExec(request, marker);
        stream = exec.stream;
        launched();
        return await followExec(exec.exec, exec.stream, collector, () => finished, request);
      },
      kill: () => {
        dockerLog(
          'exec in %s: %s: timed out or aborted, killing its processes',
          request.containerId.slice(0, 12),
          brief(describeCommand(request.command)),
        );
        return killMarked(docker, request.containerId, marker, request.user).catch((error: unknown) => {
          throw new Error(
            `${error instanceof Error ? error.message : String(error)}; snapbox needs sh and grep in the image to kill commands`,
            { cause: error },
          );
        });
      },
    });
  } finally {
    finished = true;
    stream?.removeAllListeners('data');
    stream?.destroy();
  }
}

async function startExec(request: RunExecRequest, marker: string): Promise<{ exec: Docker.Exec; stream: Duplex }> {
  const { docker } = request;
  const container = docker.getContainer(request.containerId);
  const env = Object.entries({ ...request.env, [execMarkerVariable]: marker }).map(([key, value]) => `${key}=${value}`);
  try {
    const exec = await container.exec({
      Cmd: [...request.argv],
      Env: env,
      ...(request.workdir === undefined ? {} : { WorkingDir: request.workdir }),
      ...(request.user === undefined ? {} : { User: request.user }),
      AttachStdout: true,
      AttachStderr: true,
      AttachStdin: false,
      Tty: false,
    });
    const stream = (await exec.start({ hijack: true, stdin: false })) as Duplex;
    return { exec, stream };
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
    throw wrapEngineError(error, docker, `run ${describeCommand(request.command)}`);
  }
}

/** Feeds the exec's output to the collector until the command has ended; resolves with its exit status. */
function followExec(
  exec: Docker.Exec,
  stream: Duplex,
  collector: ExecOutputCollector,
  isFinished: () => boolean,
  request: RunExecRequest,
): Promise<number> {
  const { docker } = request;
  const shown = describeCommand(request.command);
  const startFailure = new ExecStartFailure();
  const demux = new FrameDemuxer((name, payload) => {
    if (!startFailure.capture(payload)) collector.push(name, payload);
  });
  return new Promise<number>((resolve, reject) => {
    let ended = false;
    const timers: NodeJS.Timeout[] = [];
    const end = async () => {
      if (ended) return;
      ended = true;
      for (const timer of timers) clearTimeout(timer);
      // The call already settled (a kill, then the drain ran out): nobody waits for the status.
      if (isFinished()) return;
      try {
        const engineExitCode = await exitCodeOf(exec);
        const failure = startFailure.outcome();
        if (failure !== undefined) collector.push('stderr', failure.stderr);
        resolve(failure?.exitCode ?? engineExitCode);
      } catch (error) {
        reject(wrapEngineError(error, docker, `read the exit code of ${shown}`));
      }
    };
    stream.on('data', (chunk: Buffer) => demux.push(chunk));
    stream.once('end', () => void end());
    stream.once('close', () => void end());
    stream.once('error', (error) => {
      if (ended) return;
      ended = true;
      for (const timer of timers) clearTimeout(timer);
      reject(wrapEngineError(error, docker, `read the output of ${shown}`));
    });
    // A background job that keeps stdout open keeps the stream open after the command itself
    // exited; poll the engine so such a command still returns (after a short drain).
    const poll = () => {
      if (ended || isFinished()) return;
      exec.inspect().then(
        (info) => {
          if (ended || isFinished()) return;
          if (info.Running) timers.push(setTimeout(poll, pollIntervalMs));
          else timers.push(setTimeout(() => void end(), drainGraceMs));
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

/**
 * Kills every process in the container that carries `marker` (see core's `killMarkedCommand`),
 * as the user the command ran as (`undefined`: the container's): only that user may read their
 * environment and signal them, since even root in the container holds no capabilities when the
 * container runs as another user.
 */
export async function killMarked(
  docker: Docker,
  containerId: string,
  marker: string,
  user?: string | undefined,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`the kill script did not finish within ${killTimeoutMs} ms`)),
      killTimeoutMs,
    );
  });
  try {
    await Promise.race([runKillScript(docker, containerId, marker, user), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

async function runKillScript(
  docker: Docker,
  containerId: string,
  marker: string,
  user: string | undefined,
): Promise<void> {
  const exec = await docker.getContainer(containerId).exec({
    Cmd: killMarkedCommand(marker),
    ...(user === undefined ? {} : { User: user }),
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

/**
 * The out-of-memory kills the container's memory cgroup has counted (`oom_kill` of cgroup v2's
 * memory.events, or of v1's memory.oom_control, as the container sees its own cgroup).
 */
export async function readOomKills(docker: Docker, containerId: string): Promise<number | undefined> {
  const exec = await docker.getContainer(containerId).exec({
    Cmd: [
      'sh',
      '-c',
      'cat /sys/fs/cgroup/memory.events 2>/dev/null || cat /sys/fs/cgroup/memory/memory.oom_control 2>/dev/null',
    ],
    AttachStdout: true,
    AttachStderr: true,
  });
  const stream = (await exec.start({ hijack: true, stdin: false })) as Duplex;
  const chunks: Buffer[] = [];
  const demux = new FrameDemuxer((name, payload) => {
    if (name === 'stdout') chunks.push(payload);
  });
  stream.on('data', (chunk: Buffer) => demux.push(chunk));
  await new Promise<void>((resolve) => {
    stream.once('end', resolve);
    stream.once('close', resolve);
    stream.once('error', () => resolve());
  });
  const match = /^oom_kill (\d+)$/m.exec(Buffer.concat(chunks).toString('utf8'));
  return match?.[1] === undefined ? undefined : Number(match[1]);
}
