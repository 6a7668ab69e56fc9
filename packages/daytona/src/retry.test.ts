import {
  DaytonaBadGatewayError,
  DaytonaConnectionError,
  DaytonaError,
  DaytonaNotFoundError,
  DaytonaRateLimitError,
  DaytonaServiceUnavailableError,
  DaytonaTimeoutError,
} from '@daytonaio/sdk';
import { describe, expect, it, vi } from 'vitest';
import { attemptsMade, isTransient, withRetry } from './retry.js';

const policy = { attempts: 4, baseDelayMs: 100, maxDelayMs: 1000 };

describe('isTransient', () => {
  it.each([
    [429, true, true],
    [503, true, true],
    [502, true, false],
    [504, true, false],
    [400, false, false],
    [401, false, false],
    [403, false, false],
    [404, false, false],
    [409, false, false],
    [422, false, false],
    [500, false, false],
  ])('HTTP %i: retried for idempotent calls %s, for others %s', (status, idempotent, other) => {
    const error = new DaytonaError('x', status);
    expect(isTransient(error, true)).toBe(idempotent);
    expect(isTransient(error, false)).toBe(other);
  });

  it('retries dropped connections and transport timeouts of idempotent calls only', () => {
    for (const error of [
      new DaytonaConnectionError('socket hang up'),
      new DaytonaTimeoutError('HTTP request timed out'),
      Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
    ]) {
      expect(isTransient(error, true)).toBe(true);
      expect(isTransient(error, false)).toBe(false);
    }
    expect(isTransient(new Error('plain'), true)).toBe(false);
  });
});

describe('withRetry', () => {
  it('backs off exponentially (with jitter, capped) until a call succeeds', async () => {
    const delays: number[] = [];
    let calls = 0;
    const value = await withRetry(
      async () => {
        calls += 1;
        if (calls < 4) throw new DaytonaServiceUnavailableError('busy', 503);
        return 'done';
      },
      { idempotent: false, policy, sleep: async (ms) => void delays.push(ms) },
    );
    expect(value).toBe('done');
    expect(calls).toBe(4);
    expect(delays).toHaveLength(3);
    const bounds = [100, 200, 400];
    delays.forEach((ms, index) => {
      expect(ms).toBeGreaterThanOrEqual((bounds[index] as number) / 2);
      expect(ms).toBeLessThanOrEqual(bounds[index] as number);
    });
  });

  it('gives up after the configured attempts and says how many it made', async () => {
    let calls = 0;
    const failure = new DaytonaBadGatewayError('bad gateway', 502);
    const error = await withRetry(
      async () => {
        calls += 1;
        throw failure;
      },
      { idempotent: true, policy, sleep: async () => {} },
    ).catch((e: unknown) => e);
    expect(error).toBe(failure);
    expect(calls).toBe(4);
    expect(attemptsMade(error)).toBe(4);
  });

  it('never retries a permanent failure', async () => {
    let calls = 0;
    const error = await withRetry(
      async () => {
        calls += 1;
        throw new DaytonaNotFoundError('gone', 404);
      },
      { idempotent: true, policy, sleep: async () => {} },
    ).catch((e: unknown) => e);
    expect(calls).toBe(1);
    expect(attemptsMade(error)).toBe(1);
  });

  it('honours Retry-After up to the cap', async () => {
    const delays: number[] = [];
    let calls = 0;
    await withRetry(
      async () => {
        calls += 1;
        if (calls === 1) throw new DaytonaRateLimitError('slow down', 429, { 'retry-after': '0.25' } as never);
        if (calls === 2) throw new DaytonaRateLimitError('slow down', 429, { 'retry-after': '3600' } as never);
      },
      { idempotent: false, policy, sleep: async (ms) => void delays.push(ms) },
    );
    expect(delays).toEqual([250, 1000]);
  });
});

describe('debug lines', () => {
  it('with DEBUG=snapbox:daytona, says which call is retried, why, after how long, and which attempt', async () => {
    vi.stubEnv('DEBUG', 'snapbox:daytona');
    vi.resetModules();
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const retry = await import('./retry.js');
      let calls = 0;
      const result = await retry.withRetry(
        async () => {
          calls += 1;
          if (calls === 1) throw new DaytonaServiceUnavailableError('busy', 503);
          return 'done';
        },
        { idempotent: false, policy, sleep: async () => undefined, label: 'create sandbox x' },
      );
      expect(result).toBe('done');
      const lines = stderr.mock.calls.map((call) => String(call[0]));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        /snapbox:daytona\[\d+\] create sandbox x failed \(HTTP 503: busy\), retrying in \d+ ms \(attempt 2 of 4\) \+0ms\n$/,
      );
    } finally {
      stderr.mockRestore();
      vi.unstubAllEnvs();
      vi.resetModules();
    }
  });
});
