/**
 * Reads what an error thrown by `@daytonaio/sdk` carries, by structure rather than `instanceof`
 * (the SDK is loaded lazily and may be a different copy, and tests pass plain fakes). The SDK's
 * errors have a class name such as `DaytonaNotFoundError`, an HTTP `statusCode` when a service
 * answered, and sometimes `headers`; transport failures keep Node's `code` (`ECONNRESET`, ...).
 */

const networkCodes = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

function field(error: unknown, name: string): unknown {
  return typeof error === 'object' && error !== null ? (error as Record<string, unknown>)[name] : undefined;
}

/** The HTTP status the service answered with, if any. */
export function statusOf(error: unknown): number | undefined {
  const status = field(error, 'statusCode') ?? field(field(error, 'response'), 'status');
  return typeof status === 'number' ? status : undefined;
}

/** The error's class name (`DaytonaNotFoundError`, ...), or `''`. */
export function nameOf(error: unknown): string {
  const name = field(error, 'name');
  return typeof name === 'string' ? name : '';
}

/** The error's message, or its string form. */
export function messageOf(error: unknown): string {
  const message = field(error, 'message');
  return typeof message === 'string' ? message : String(error);
}

/** True for a failure of the connection itself: no answer, a reset, a transport timeout. */
export function isConnectionFailure(error: unknown): boolean {
  if (statusOf(error) !== undefined) return false;
  const name = nameOf(error);
  if (name === 'DaytonaConnectionError' || name === 'DaytonaConnectionTimeoutError') return true;
  // The SDK reports a transport timeout with no status as DaytonaTimeoutError.
  if (name === 'DaytonaTimeoutError') return true;
  const code = field(error, 'code') ?? field(field(error, 'cause'), 'code');
  return typeof code === 'string' && networkCodes.has(code);
}

/** True when the service said the thing does not exist (HTTP 404 or 410). */
export function isNotFound(error: unknown): boolean {
  const status = statusOf(error);
  if (status === 404 || status === 410) return true;
  return status === undefined && /NotFoundError$/.test(nameOf(error));
}

/** Seconds from a `Retry-After` header, when the service sent one. */
export function retryAfterMs(error: unknown): number | undefined {
  const headers = field(error, 'headers');
  if (typeof headers !== 'object' || headers === null) return undefined;
  const getter = (headers as { get?: unknown }).get;
  const raw =
    typeof getter === 'function'
      ? getter.call(headers, 'retry-after')
      : (headers as Record<string, unknown>)['retry-after'];
  const seconds = typeof raw === 'string' || typeof raw === 'number' ? Number(raw) : Number.NaN;
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}
