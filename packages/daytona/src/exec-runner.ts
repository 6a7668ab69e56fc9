import { randomUUID } from 'node:crypto';
import {
  describeCommand,
  type ExecOptions,
  ExecOutputCollector,
  type ExecResult,
  runExecWithDeadline,
  SnapboxError,
} from '@snapbox/core';
import type { DaytonaSandbox } from './client-types.js';
import { delay } from './concurrency.js';
import type { DaytonaConnection } from './connection.js';
import { type ErrorContext, toSnapboxError } from './error-mapping.js';
import { buildExecScript, buildKillScript } from './exec-script.js';

const exitCodePolls = 50;
const exitCodePollMs = 100;

/** One command to run in a sandbox with {@link runSandboxExec}. */
export interface SandboxExecRequest {
  connection: DaytonaConnection;
  sandbox: DaytonaSandbox;
  /** The container's name, for messages. */
  containerName: string | undefined;
  command: string | readonly string[];
  options: ExecOptions | undefined;
  /** The container's env from `start()` merged with the call's. */
  env: Record<string, string>;
  workdir: string | undefined;
  /** Runs cleanup the caller need not wait for (the container's `stop()` waits for it). */
  inBackground(work: () => Promise<unknown>): void;
}

/**
 * Runs a command as an asynchronous session command, streaming its logs into the collector.
 * Core's `runExecWithDeadline` races it against the timeout and signal; on either (or on a
 * broken log stream) every process carrying the command's marker is killed.
 */
export async function runSandboxExec(request: SandboxExecRequest): Promise<ExecResult> {
  const { connection, sandbox, command, options } = request;
  const collector = new ExecOutputCollector(options);
  const marker = randomUUID();
  const session = `snapbox-exec-${marker}`;
  const context: ErrorContext = { operation: `exec ${describeCommand(command)}`, container: request.containerName };
  const kill = () => killMarked(request, marker, context);
  let sessionMade = false;
  try {
    return await runExecWithDeadline({
      command,
      options,
      collector,
      // The kill returns once the processes are gone; the log stream adds nothing after it.
      drainMs: 0,
      run: async (launched) => {
        const script = buildExecScript({ command, workdir: request.workdir, env: request.env, marker });
        await connection.call(context, false, () => sandbox.process.createSession(session));
        sessionMade = true;
        const started = await connection.call(context, false, () =>
          sandbox.process.executeSessionCommand(session, { command: script, runAsync: true }),
        );
        launched();
        const logs = sandbox.process.getSessionCommandLogs(
          session,
          started.cmdId,
          (chunk) => collector.push('stdout', chunk),
          (chunk) => collector.push('stderr', chunk),
        );
        try {
          await logs;
        } catch (error) {
          // A broken log stream: the command must not outlive the call either.
          await kill();
          throw toSnapboxError(error, { ...context, endpoint: connection.endpoint });
        }
        return await exitCodeOf(connection, sandbox, session, started.cmdId, context);
      },
      kill,
    });
  } finally {
    if (sessionMade) request.inBackground(() => sandbox.process.deleteSession(session));
  }
}

async function exitCodeOf(
  connection: DaytonaConnection,
  sandbox: DaytonaSandbox,
  session: string,
  commandId: string,
  context: ErrorContext,
): Promise<number> {
  // The log stream can close a moment before the session records the exit status.
  for (let poll = 0; poll < exitCodePolls; poll += 1) {
    const status = await connection.call(context, true, () => sandbox.process.getSessionCommand(session, commandId));
    if (typeof status.exitCode === 'number') return status.exitCode;
    await delay(exitCodePollMs);
  }
  throw new SnapboxError('EXEC_STATUS_UNKNOWN', {
    message: `The command ended but Daytona reported no exit status for it in ${(exitCodePolls * exitCodePollMs) / 1000} s: ${context.operation}`,
  });
}

/** Kills every process in the sandbox that carries `marker` (core's `killMarkedCommand`). */
async function killMarked(request: SandboxExecRequest, marker: string, context: ErrorContext): Promise<void> {
  const { connection, sandbox } = request;
  const killContext = { ...context, operation: `kill the processes of ${context.operation}` };
  const session = `snapbox-kill-${marker}`;
  await connection.call(killContext, false, () => sandbox.process.createSession(session));
  try {
    // Killing twice is harmless, so this call is retried like a read.
    await connection.call(killContext, true, () =>
      sandbox.process.executeSessionCommand(session, { command: buildKillScript(marker), runAsync: false }, 60),
    );
  } finally {
    request.inBackground(() => sandbox.process.deleteSession(session));
  }
}
