import type { ExecOptions, ExecResult } from './container.js';
import { describeCommand } from './describe-command.js';
import { ExecAbortedError } from './errors/exec-aborted-error.js';
import { ExecTimeoutError } from './errors/exec-timeout-error.js';
import { SnapboxError } from './errors/snapbox-error.js';
import type { ExecOutputCollector } from './exec-output.js';

/** What {@link runExecWithDeadline} needs from a backend to run one command. */
export interface ExecDeadlineRequest {
  /** The command as the caller gave it; error messages show it through {@link describeCommand}. */
  command: string | readonly string[];
  /** The caller's `timeoutMs` and `signal` (the rest of `ExecOptions` is the backend's). */
  options: Pick<ExecOptions, 'timeoutMs' | 'signal'> | undefined;
  /** Where the backend pushes the command's output; the result is taken from it. */
  collector: ExecOutputCollector;
  /**
   * Starts the command and resolves with its exit status once it has ended and its output is in
   * the collector. Not called when the signal is already aborted. A rejection before the deadline
   * is the call's rejection; one after it (a stream broken by the kill) is ignored.
   *
   * Call `launched()` as soon as the command runs (the platform has started its process). A
   * deadline that comes earlier waits for it before killing: a kill sent while the command is
   * still being created would find nothing, and the command would then run on unkilled. If `run`
   * settles without calling it, nothing was launched and nothing is killed.
   */
  run(launched: () => void): Promise<number>;
  /**
   * Kills every process of the command (background children included) and resolves once they
   * are gone. Called at most once, when the timeout expires or the signal aborts. A rejection
   * means the processes may still run: the call then rejects with `EXEC_KILL_FAILED`.
   */
  kill(): Promise<void>;
  /**
   * After a successful kill, how long `run` may take to deliver the command's last output
   * before the partial result is taken. Default 500 ms.
   */
  drainMs?: number;
}

type Deadline = { kind: 'timeout' } | { kind: 'abort'; reason: unknown };

/**
 * The race every backend's `exec` runs: the command against its `timeoutMs` and `signal`. When
 * the command ends first, the result; when the deadline comes first, a kill of the command's
 * processes, a short drain of their last output, then `ExecTimeoutError` or `ExecAbortedError`
 * carrying the partial result. Written once so that every backend keeps the contract's promise
 * the same way: after the rejection, the command's processes are gone.
 *
 * @throws ExecAbortedError when the signal is aborted before the command starts or while it runs.
 * @throws ExecTimeoutError when `timeoutMs` expires first.
 * @throws SnapboxError `EXEC_KILL_FAILED` when the kill failed (the processes may still run).
 * @throws whatever `run` rejects with before the deadline, and the first error a streaming
 *   callback threw.
 */
export async function runExecWithDeadline(request: ExecDeadlineRequest): Promise<ExecResult> {
  const { collector } = request;
  const { timeoutMs, signal } = request.options ?? {};
  if (signal?.aborted) {
    throw new ExecAbortedError({
      command: describeCommand(request.command),
      result: collector.partialResult(),
      cause: signal.reason,
    });
  }

  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const deadline = new Promise<Deadline>((resolve) => {
    if (timeoutMs !== undefined) timer = setTimeout(() => resolve({ kind: 'timeout' }), timeoutMs);
    onAbort = () => resolve({ kind: 'abort', reason: signal?.reason });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  let markLaunched: () => void = () => undefined;
  const launch = new Promise<void>((resolve) => {
    markLaunched = resolve;
  });
  const running = request.run(() => markLaunched());
  // Settled either way below; this keeps a late rejection from being reported as unhandled.
  running.catch(() => undefined);

  let first: { kind: 'exited'; exitCode: number } | Deadline;
  try {
    first = await Promise.race([running.then((exitCode) => ({ kind: 'exited' as const, exitCode })), deadline]);
  } finally {
    clearTimeout(timer);
    if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
  }

  if (first.kind === 'exited') {
    const result = collector.result(first.exitCode);
    const callbackError = collector.callbackError;
    if (callbackError !== undefined) throw callbackError.error;
    return result;
  }

  const shown = describeCommand(request.command);
  const launchedFirst = await Promise.race([
    launch.then(() => true),
    running.then(
      () => false,
      () => false,
    ),
  ]);
  try {
    if (launchedFirst) await request.kill();
  } catch (error) {
    collector.partialResult();
    const why = error instanceof Error ? error.message : String(error);
    throw new SnapboxError('EXEC_KILL_FAILED', {
      message: `Could not kill ${shown} after its ${first.kind === 'timeout' ? 'timeout' : 'abort'}; the container may still run it (${why}).`,
      cause: error,
    });
  }
  let drainTimer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    running.catch(() => undefined),
    new Promise((resolve) => {
      drainTimer = setTimeout(resolve, request.drainMs ?? 500);
    }),
  ]);
  clearTimeout(drainTimer);
  const result = collector.partialResult();
  throw first.kind === 'timeout'
    ? new ExecTimeoutError({ command: shown, timeoutMs: timeoutMs as number, result })
    : new ExecAbortedError({ command: shown, result, cause: first.reason });
}
