import { assertOptionalNumber } from '@snapbox/core';

/** Longer than this, `setTimeout` fires at once (with a warning) instead of waiting: treat as none. */
const longestTimer = 2 ** 31 - 1;

/** Asserts a timeout option: absent, `Infinity`, or a positive number of milliseconds. */
export function assertTimeout(value: unknown, argument: string): asserts value is number | undefined {
  if (value === Number.POSITIVE_INFINITY) return;
  assertOptionalNumber(value, argument, { min: 0, exclusive: true });
}

/** A time limit for one operation, and the caller's own abort signal, as one signal. */
export interface Deadline {
  /** Aborts when the time is up or the caller's signal aborts, whichever comes first. */
  readonly signal: AbortSignal;
  /** Whether the time ran out (as opposed to the caller aborting). */
  expired(): boolean;
  /** Stops the timer; call it when the operation ends, so it does not hold the process open. */
  clear(): void;
}

/** Starts a {@link Deadline} of `timeoutMs` (`Infinity`: none), also aborted by `signal`. */
export function startDeadline(timeoutMs: number, signal?: AbortSignal): Deadline {
  const controller = new AbortController();
  let expired = false;
  const timer =
    timeoutMs > longestTimer
      ? undefined
      : setTimeout(() => {
          expired = true;
          controller.abort(new DOMException(`Timed out after ${timeoutMs} ms`, 'TimeoutError'));
        }, timeoutMs);
  return {
    signal: signal === undefined ? controller.signal : AbortSignal.any([signal, controller.signal]),
    expired: () => expired,
    clear: () => clearTimeout(timer),
  };
}
