import {
  DaytonaAuthenticationError,
  DaytonaBadGatewayError,
  DaytonaConflictError,
  DaytonaConnectionError,
  DaytonaError,
  DaytonaFileNotFoundError,
  DaytonaForbiddenError,
  DaytonaInternalServerError,
  DaytonaNotFoundError,
  DaytonaRateLimitError,
  DaytonaServiceUnavailableError,
  DaytonaTimeoutError,
  DaytonaUnprocessableEntityError,
  DaytonaValidationError,
} from '@daytonaio/sdk';
import {
  BackendUnavailableError,
  ImageBuildError,
  ImageNotFoundError,
  RemotePathNotFoundError,
  SnapboxError,
  SnapshotNotFoundError,
} from '@snapbox/core';
import { describe, expect, it } from 'vitest';
import { type ErrorContext, toSnapboxError } from './error-mapping.js';
import { QuotaExceededError } from './quota-exceeded-error.js';
import { withRetry } from './retry.js';

const base: ErrorContext = { operation: 'start', container: 'box-1', endpoint: 'https://daytona.example/api' };

describe('toSnapboxError', () => {
  const cases: Array<[string, unknown, ErrorContext, (value: unknown) => boolean, string?]> = [
    ['401', new DaytonaAuthenticationError('Invalid API key', 401), base, BackendUnavailableError.isInstance],
    ['403', new DaytonaForbiddenError('Forbidden', 403), base, BackendUnavailableError.isInstance],
    [
      'missing credentials (no status)',
      new DaytonaAuthenticationError('API key or JWT token is required'),
      base,
      BackendUnavailableError.isInstance,
    ],
    ['a dropped connection', new DaytonaConnectionError('socket hang up'), base, BackendUnavailableError.isInstance],
    ['429', new DaytonaRateLimitError('Too many requests', 429), base, BackendUnavailableError.isInstance],
    ['502', new DaytonaBadGatewayError('Bad gateway', 502), base, BackendUnavailableError.isInstance],
    ['503', new DaytonaServiceUnavailableError('Unavailable', 503), base, BackendUnavailableError.isInstance],
    ['504', new DaytonaTimeoutError('Gateway timeout', 504), base, BackendUnavailableError.isInstance],
    [
      '403 quota',
      new DaytonaForbiddenError('Total CPU quota exceeded. Maximum allowed: 10', 403),
      base,
      QuotaExceededError.isInstance,
    ],
    ['400 quota', new DaytonaValidationError('Snapshot quota exceeded', 400), base, QuotaExceededError.isInstance],
    [
      '422 limit',
      new DaytonaUnprocessableEntityError('Maximum number of sandboxes reached', 422),
      base,
      QuotaExceededError.isInstance,
    ],
    [
      '404 of a snapshot',
      new DaytonaNotFoundError('Snapshot not found', 404),
      { ...base, snapshotId: 'snapbox-0123abcd-4567-89ab-cdef-0123456789ab-1' },
      SnapshotNotFoundError.isInstance,
    ],
    [
      '404 of a path',
      new DaytonaFileNotFoundError('no such file', 404),
      { ...base, remotePath: '/x' },
      RemotePathNotFoundError.isInstance,
    ],
    [
      '404 of an image',
      new DaytonaNotFoundError('Image not found', 404),
      { ...base, image: 'nope:1' },
      ImageNotFoundError.isInstance,
    ],
    [
      'a failed pull',
      new DaytonaError('Sandbox x failed to start with status: build_failed, error reason: pull access denied'),
      { ...base, image: 'nope:1' },
      ImageNotFoundError.isInstance,
    ],
    [
      'a failed build',
      new DaytonaError('Sandbox x failed to start with status: build_failed'),
      { ...base, dockerfilePath: '/d/Dockerfile', buildLog: 'step 3 failed' },
      ImageBuildError.isInstance,
    ],
    [
      'a slow create',
      new DaytonaTimeoutError('Failed to create and start sandbox within 300 seconds.'),
      { ...base, timeoutSeconds: 300 },
      (e) => (e as SnapboxError).code === 'DAYTONA_TIMEOUT',
    ],
    [
      'any other 404',
      new DaytonaNotFoundError('Sandbox not found', 404),
      base,
      (e) => (e as SnapboxError).code === 'DAYTONA_NOT_FOUND',
    ],
    [
      '409',
      new DaytonaConflictError('Sandbox with name box-1 already exists', 409),
      base,
      (e) => (e as SnapboxError).code === 'DAYTONA_CONFLICT',
    ],
    [
      '400',
      new DaytonaValidationError('Invalid memory value', 400),
      base,
      (e) => (e as SnapboxError).code === 'DAYTONA_REQUEST_REJECTED',
    ],
    ['500', new DaytonaInternalServerError('boom', 500), base, (e) => (e as SnapboxError).code === 'DAYTONA_ERROR'],
    [
      'a non-SDK error',
      new TypeError('x is not a function'),
      base,
      (e) => (e as SnapboxError).code === 'DAYTONA_ERROR',
    ],
  ];

  it.each(cases)('maps %s and keeps the SDK error as cause', (_, error, context, guard) => {
    const mapped = toSnapboxError(error, context);
    expect(guard(mapped)).toBe(true);
    expect(SnapboxError.isInstance(mapped)).toBe(true);
    expect(mapped.cause).toBe(error);
  });

  it('says what was done, on which container, and what the service answered', () => {
    const mapped = toSnapboxError(new DaytonaValidationError('Invalid memory value', 400), base);
    expect(mapped.message).toContain('start');
    expect(mapped.message).toContain('box-1');
    expect(mapped.message).toContain('HTTP 400: Invalid memory value');
    const auth = toSnapboxError(
      new DaytonaAuthenticationError('Invalid API key', 401),
      base,
    ) as BackendUnavailableError;
    expect(auth.endpoint).toBe('https://daytona.example/api');
    expect(auth.message).toContain('DAYTONA_API_KEY');
    const quota = toSnapboxError(new DaytonaForbiddenError('Total CPU quota exceeded', 403), base);
    expect(quota.message).toMatch(/account limit was reached.*Total CPU quota exceeded/);
    const build = toSnapboxError(new DaytonaError('build_failed'), {
      ...base,
      dockerfilePath: '/d/Dockerfile',
      buildLog: 'step 3 failed',
    });
    expect((build as ImageBuildError).logTail).toBe('step 3 failed');
  });

  it('reports how many attempts were made before the service was given up on', async () => {
    const failure = new DaytonaServiceUnavailableError('Unavailable', 503);
    const thrown = await withRetry(
      async () => {
        throw failure;
      },
      { idempotent: true, policy: { attempts: 3, baseDelayMs: 0, maxDelayMs: 0 } },
    ).catch((e: unknown) => e);
    expect(toSnapboxError(thrown, base).message).toContain('after 3 attempts');
  });

  it('passes snapbox errors through untouched', () => {
    const original = new SnapshotNotFoundError({ snapshotId: 's' });
    expect(toSnapboxError(original, base)).toBe(original);
  });
});
