import { BackendUnavailableError, SnapboxError } from '@snapbox/core';
import { tinyImage } from '@snapbox/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import { isRetriable } from './engine-requests.js';
import { createDockerFactory } from './index.js';
import { type Fault, type SeenRequest, startFaultyProxy } from './test-support/faulty-proxy.js';

/**
 * Timeouts and retries against the real engine, through a proxy that fails chosen requests the
 * way a sick engine or a flaky network does (a healthy engine cannot be asked to).
 */
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.allSettled(closers.splice(0).map((close) => close()));
});

async function proxy(choose: (request: { method: string; path: string }, index: number) => Fault) {
  const started = await startFaultyProxy(choose);
  closers.push(started.close);
  return started;
}

const fast = { baseDelayMs: 20, maxDelayMs: 100 };
const calls = (seen: readonly SeenRequest[], pattern: RegExp) => seen.filter((entry) => pattern.test(entry.path));

describe('engine requests', () => {
  it('retries reads after 503, 502 and a reset connection, and a container starts and runs', async () => {
    const failures: Fault[] = [503, 'reset', 502];
    let imageInspects = 0;
    const engine = await proxy((request) => {
      if (request.method === 'GET' && /\/images\/.+\/json$/.test(request.path)) {
        imageInspects += 1;
        return failures[imageInspects - 1] ?? 'pass';
      }
      return 'pass';
    });
    const factory = createDockerFactory({ docker: { socketPath: engine.socketPath }, requests: fast, watchdog: false });
    const box = factory.fromImage({ image: tinyImage });
    try {
      await box.start();
      expect((await box.exec('echo through the proxy')).stdout).toBe('through the proxy\n');
    } finally {
      await box.stop();
    }
    expect(calls(engine.seen, /\/images\/.+\/json$/).map((entry) => entry.fault)).toEqual([503, 'reset', 502, 'pass']);
  });

  it('does not repeat a create after a 502 (the engine may have acted), but does after a 503', async () => {
    const engine = await proxy((request, index) =>
      request.method === 'POST' && /\/containers\/create$/.test(request.path) && index >= 0 ? 502 : 'pass',
    );
    const factory = createDockerFactory({ docker: { socketPath: engine.socketPath }, requests: fast, watchdog: false });
    const box = factory.fromImage({ image: tinyImage });
    const error = await box.start().catch((e: unknown) => e);
    expect(SnapboxError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/HTTP 502/);
    expect(calls(engine.seen, /\/containers\/create$/)).toHaveLength(1);

    let creates = 0;
    const busy = await proxy((request) => {
      if (request.method === 'POST' && /\/containers\/create$/.test(request.path)) {
        creates += 1;
        return creates === 1 ? 503 : 'pass';
      }
      return 'pass';
    });
    const again = createDockerFactory({ docker: { socketPath: busy.socketPath }, requests: fast, watchdog: false });
    const second = again.fromImage({ image: tinyImage });
    try {
      await second.start();
      expect(second.state).toBe('running');
    } finally {
      await second.stop();
    }
    expect(creates).toBe(2);
  });

  it('gives up on an engine that does not answer, within the request timeout, naming the request', async () => {
    const engine = await proxy((request) => (/\/images\/.+\/json$/.test(request.path) ? 'stall' : 'pass'));
    const factory = createDockerFactory({
      docker: { socketPath: engine.socketPath },
      requests: { timeoutMs: 400, attempts: 2, ...fast },
      watchdog: false,
    });
    const began = Date.now();
    const error = await factory
      .fromImage({ image: tinyImage })
      .start()
      .catch((e: unknown) => e);
    expect(BackendUnavailableError.isInstance(error), String(error)).toBe(true);
    expect((error as Error).message).toMatch(/ETIMEDOUT/);
    expect(((error as Error).cause as Error).message).toMatch(/did not answer GET \/.*images\/.+\/json within 400 ms/);
    expect(calls(engine.seen, /\/images\/.+\/json$/)).toHaveLength(2);
    expect(Date.now() - began).toBeLessThan(5000);
  });

  it('rejects malformed request options', () => {
    expect(() => createDockerFactory({ requests: { timeoutMs: 0 } })).toThrow(/requests\.timeoutMs/);
    expect(() => createDockerFactory({ requests: { attempts: 1.5 } })).toThrow(/requests\.attempts/);
  });
});

describe('isRetriable', () => {
  const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
  it.each([
    [{ statusCode: 503 }, { method: 'POST' }, true],
    [{ statusCode: 502 }, { method: 'GET' }, true],
    [{ statusCode: 502 }, { method: 'POST' }, false],
    [{ statusCode: 500 }, { method: 'GET' }, false],
    [{ statusCode: 404 }, { method: 'DELETE' }, false],
    [reset, { method: 'DELETE' }, true],
    [reset, { method: 'POST' }, false],
    [reset, { method: 'GET', hijack: true }, false],
    [{ statusCode: 503 }, { method: 'PUT', file: {} }, false],
    [reset, { method: 'GET', abortSignal: AbortSignal.abort() }, false],
  ])('%j for %j: %s', (error, options, expected) => {
    expect(isRetriable(error, options)).toBe(expected);
  });
});
