import type { ProgressEvent, StartOptions } from './container.js';
import { StartAbortedError } from './errors/start-aborted-error.js';
import { StartTimeoutError } from './errors/start-timeout-error.js';

/** What the backend's start work receives from {@link runStartWithDeadline}. */
export interface StartContext {
  /**
   * Aborted when the caller's signal aborts, the timeout expires or `onProgress` throws. Pass it
   * to every request the start makes and check it between steps (`signal.throwIfAborted()`).
   */
  readonly signal: AbortSignal;
  /**
   * Reports progress to the caller's `onProgress` (a no-op without one). Never throws: an
   * exception of the callback aborts {@link StartContext.signal} and becomes the rejection.
   */
  progress(event: ProgressEvent): void;
  /** The phase of the last event reported, shown in the cancellation error. */
  readonly phase: string | undefined;
}

/** What {@link runStartWithDeadline} needs from a backend to start one container. */
export interface StartDeadlineRequest {
  /** The caller's `signal`, `timeoutMs` and `onProgress` (`env` is the backend's). */
  options: Pick<StartOptions, 'signal' | 'timeoutMs' | 'onProgress'> | undefined;
  /** The container's name for error messages, when it has one. */
  container?: string | undefined;
  /**
   * Does the start: resolve, pull or build the image, create and start the container. When
   * `context.signal` aborts it stops its requests, removes whatever it had made (the container,
   * a half-built image) and then rejects, with any error. Not called when the signal is already
   * aborted.
   */
  run(context: StartContext): Promise<void>;
  /**
   * Removes what a `run` that finished anyway after the cancellation made (its last step may
   * not have looked at the signal). Called at most once, only in that case.
   */
  undo(): Promise<void>;
}

/**
 * The race every backend's `start()` runs: the start against the caller's `timeoutMs` and
 * `signal`, with `onProgress` behind a guard. The backend's work watches one signal for all
 * three causes and cleans up after itself; this helper turns the outcome into the contract's
 * errors, so every backend reports a cancelled start the same way.
 *
 * @throws StartAbortedError when the signal aborts first (before the start, or while it runs).
 * @throws StartTimeoutError when `timeoutMs` expires first.
 * @throws the error `onProgress` threw, when it threw.
 * @throws whatever `run` rejects with before any of those.
 */
export async function runStartWithDeadline(request: StartDeadlineRequest): Promise<void> {
  const { signal: callerSignal, timeoutMs, onProgress } = request.options ?? {};
  if (callerSignal?.aborted) {
    throw new StartAbortedError({ container: request.container, cause: callerSignal.reason });
  }
  type Cancel = { kind: 'abort'; reason: unknown } | { kind: 'timeout' } | { kind: 'callback'; error: unknown };
  let cancel: Cancel | undefined;
  const controller = new AbortController();
  const cancelWith = (why: Cancel) => {
    if (cancel !== undefined) return;
    cancel = why;
    controller.abort(why.kind === 'abort' ? why.reason : why.kind === 'callback' ? why.error : undefined);
  };
  const timer = timeoutMs === undefined ? undefined : setTimeout(() => cancelWith({ kind: 'timeout' }), timeoutMs);
  const onAbort = () => cancelWith({ kind: 'abort', reason: callerSignal?.reason });
  callerSignal?.addEventListener('abort', onAbort, { once: true });

  let phase: string | undefined;
  const context: StartContext = {
    signal: controller.signal,
    progress(event) {
      if (cancel !== undefined) return;
      phase = event.phase;
      if (onProgress === undefined) return;
      try {
        onProgress(event);
      } catch (error) {
        cancelWith({ kind: 'callback', error });
      }
    },
    get phase() {
      return phase;
    },
  };

  let failure: { error: unknown } | undefined;
  try {
    await request.run(context);
  } catch (error) {
    failure = { error };
  } finally {
    clearTimeout(timer);
    callerSignal?.removeEventListener('abort', onAbort);
  }
  const why = cancel as Cancel | undefined;
  if (why === undefined) {
    if (failure !== undefined) throw failure.error;
    return;
  }
  if (failure === undefined) await request.undo();
  if (why.kind === 'callback') throw why.error;
  if (why.kind === 'timeout') {
    throw new StartTimeoutError({ container: request.container, timeoutMs: timeoutMs as number, phase });
  }
  throw new StartAbortedError({ container: request.container, phase, cause: why.reason });
}
