import { daytonaLog as log } from './debug-logs.js';
import { isConnectionFailure, messageOf, retryAfterMs, statusOf } from './sdk-error-info.js';

/** How calls to the Daytona service are retried after a transient failure. */
export interface DaytonaRetryOptions {
  /** Attempts in all, the first included. Default 5; 1 disables retries. */
  attempts?: number;
  /** Delay before the first retry, doubled for each further one. Default 500 ms. */
  baseDelayMs?: number;
  /** Upper bound of one delay (a `Retry-After` header is honoured up to it). Default 8000 ms. */
  maxDelayMs?: number;
}

/** {@link DaytonaRetryOptions} with every field set. */
export type RetryPolicy = Required<DaytonaRetryOptions>;

export const defaultRetryPolicy: RetryPolicy = { attempts: 5, baseDelayMs: 500, maxDelayMs: 8000 };

/**
 * Whether a failed call may be tried again.
 *
 * 429 and 503 mean the service turned the request away before doing anything, so any call is
 * retried. 502, 504 and broken connections may come after the service acted; only idempotent
 * calls (reads, deletes) are retried then, so a sandbox or snapshot is never created twice.
 * Every other status (400, 401, 403, 404, 409, 422, 500, ...) is permanent.
 */
export function isTransient(error: unknown, idempotent: boolean): boolean {
  const status = statusOf(error);
  if (status === 429 || status === 503) return true;
  if (status === 502 || status === 504) return idempotent;
  if (status !== undefined) return false;
  return idempotent && isConnectionFailure(error);
}

const attemptsByError = new WeakMap<object, number>();

/** How many attempts {@link withRetry} made before giving up with `error` (1 when unknown). */
export function attemptsMade(error: unknown): number {
  return (typeof error === 'object' && error !== null && attemptsByError.get(error)) || 1;
}

/**
 * Runs `call`, retrying transient failures with exponential backoff and jitter. Rejects with
 * the last error as thrown (see {@link attemptsMade} for how often it tried).
 */
export async function withRetry<T>(
  call: () => Promise<T>,
  options: {
    idempotent: boolean;
    policy: RetryPolicy;
    sleep?: (ms: number) => Promise<void>;
    /** What the call does, for debug lines. */
    label?: string;
  },
): Promise<T> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const { attempts, baseDelayMs, maxDelayMs } = options.policy;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= attempts || !isTransient(error, options.idempotent)) {
        if (typeof error === 'object' && error !== null) attemptsByError.set(error, attempt);
        throw error;
      }
      const backoff = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
      // Jitter in [50%, 100%] keeps many clients that failed together from retrying together.
      const delay = Math.min(maxDelayMs, retryAfterMs(error) ?? backoff * (0.5 + Math.random() / 2));
      log(
        '%s failed (%s), retrying in %d ms (attempt %d of %d)',
        options.label ?? 'a call',
        `${statusOf(error) === undefined ? '' : `HTTP ${statusOf(error)}: `}${messageOf(error)}`,
        Math.round(delay),
        attempt + 1,
        attempts,
      );
      await sleep(delay);
    }
  }
}
