import { assertOptionalNumber, InvalidArgumentError } from '@snapbox/core';
import { dockerLog } from './debug-logs.js';

/** How calls to the engine are bounded in time and retried after a transient failure. */
export interface DockerRequestOptions {
  /**
   * Milliseconds an ordinary engine request (inspect, list, create, start, exec, remove, ...)
   * may take before it fails with `BackendUnavailableError` (code `ETIMEDOUT`). Default 60 000.
   */
  timeoutMs?: number;
  /**
   * Milliseconds for the requests that legitimately take long: a commit, an upload, and the wait
   * for the engine to begin answering a pull, build, import or download (once it streams, the
   * stream is not timed; `start({ timeoutMs })` bounds a pull or build). Default 1 800 000 (30 min).
   */
  slowTimeoutMs?: number;
  /** Attempts in all for a request that is safe to repeat, the first included. Default 4; 1 disables retries. */
  attempts?: number;
  /** Delay before the first retry, doubled for each further one (with jitter). Default 250 ms. */
  baseDelayMs?: number;
  /** Upper bound of one delay. Default 4000 ms. */
  maxDelayMs?: number;
}

/** {@link DockerRequestOptions} with every field set. */
export type RequestPolicy = Required<DockerRequestOptions>;

export const defaultRequestPolicy: RequestPolicy = {
  timeoutMs: 60_000,
  slowTimeoutMs: 1_800_000,
  attempts: 4,
  baseDelayMs: 250,
  maxDelayMs: 4000,
};

/** Validates the options and fills in the defaults. */
export function resolveRequestPolicy(options: DockerRequestOptions | undefined): RequestPolicy {
  if (options === undefined) return defaultRequestPolicy;
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError({ argument: 'requests', message: 'expected an object' });
  }
  assertOptionalNumber(options.timeoutMs, 'requests.timeoutMs', { min: 0, exclusive: true });
  assertOptionalNumber(options.slowTimeoutMs, 'requests.slowTimeoutMs', { min: 0, exclusive: true });
  assertOptionalNumber(options.attempts, 'requests.attempts', { min: 1, integer: true });
  assertOptionalNumber(options.baseDelayMs, 'requests.baseDelayMs', { min: 0 });
  assertOptionalNumber(options.maxDelayMs, 'requests.maxDelayMs', { min: 0 });
  return { ...defaultRequestPolicy, ...options };
}

/** What docker-modem's `dial` receives: the parts this module looks at. */
export interface DialOptions {
  method?: string;
  path?: string;
  isStream?: boolean;
  hijack?: boolean;
  file?: unknown;
  abortSignal?: AbortSignal;
}

export type Dial = (options: DialOptions, callback: (error: unknown, data: unknown) => void) => void;

const transientCodes = new Set(['ECONNRESET', 'EPIPE', 'ECONNREFUSED', 'ETIMEDOUT', 'EAI_AGAIN']);

/**
 * Whether a failed request may be sent again. 503 means the engine (or a proxy in front of it)
 * turned the request away before acting, so any request whose body can be sent again is
 * retried; 502, 504 and broken connections may come after the engine acted, so only requests
 * that are safe to repeat (GET, HEAD, DELETE) are. A body that is a stream (an upload, a build
 * context) is never sent twice, and neither is an attach (its output would be lost).
 */
export function isRetriable(error: unknown, options: DialOptions): boolean {
  if (options.hijack === true || (options.file !== undefined && typeof options.file !== 'string')) return false;
  if (options.abortSignal?.aborted) return false;
  const method = (options.method ?? 'GET').toUpperCase();
  const idempotent = method === 'GET' || method === 'HEAD' || method === 'DELETE';
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  if (status === 503) return true;
  if (status === 502 || status === 504) return idempotent;
  if (typeof status === 'number') return false;
  const code = (error as { code?: unknown } | null)?.code;
  return idempotent && typeof code === 'string' && transientCodes.has(code);
}

/** Requests that take long by nature: committing a container, uploading a body, or a streamed answer. */
function isSlow(options: DialOptions): boolean {
  if (options.file !== undefined) return true;
  if (options.isStream === true) return true;
  return /^\/(?:v[\d.]+\/)?commit\b/.test(options.path ?? '');
}

/**
 * Wraps a modem's `dial` so that every request has a deadline (until the engine answers, for a
 * stream or an attach; until the whole answer, otherwise) and a request that is safe to repeat
 * is retried with exponential backoff after a transient failure. `policy` is read at each
 * request, so a later factory's options apply to a shared client.
 */
export function guardDial(dial: Dial, policy: () => RequestPolicy): Dial {
  return (options, callback) => {
    const current = policy();
    const attempt = (number: number) => {
      const limitMs = isSlow(options) ? current.slowTimeoutMs : current.timeoutMs;
      const deadline = new AbortController();
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        deadline.abort();
      }, limitMs);
      const signal =
        options.abortSignal === undefined ? deadline.signal : AbortSignal.any([options.abortSignal, deadline.signal]);
      dial({ ...options, abortSignal: signal }, (error, data) => {
        clearTimeout(timer);
        let failure = error;
        if (failure !== null && failure !== undefined && timedOut) {
          failure = Object.assign(
            new Error(
              `the engine did not answer ${options.method ?? 'GET'} ${requestPath(options)} within ${limitMs} ms`,
              { cause: error },
            ),
            { code: 'ETIMEDOUT' },
          );
        }
        if (failure === null || failure === undefined || number >= current.attempts || !isRetriable(failure, options)) {
          callback(failure, data);
          return;
        }
        const backoff = Math.min(current.maxDelayMs, current.baseDelayMs * 2 ** (number - 1));
        // Jitter in [50%, 100%] keeps many clients that failed together from retrying together.
        const delay = backoff * (0.5 + Math.random() / 2);
        dockerLog(
          '%s %s failed (%s), retrying in %d ms (attempt %d of %d)',
          options.method ?? 'GET',
          requestPath(options),
          describeFailure(failure),
          Math.round(delay),
          number + 1,
          current.attempts,
        );
        setTimeout(() => attempt(number + 1), delay);
      });
    };
    attempt(1);
  };
}

/** The request's path without its query (ids and names, never query values such as filters). */
function requestPath(options: DialOptions): string {
  return (options.path ?? '').replace(/\?.*$/, '');
}

function describeFailure(error: unknown): string {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  if (typeof status === 'number') return `HTTP ${status}`;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : String(error);
}
