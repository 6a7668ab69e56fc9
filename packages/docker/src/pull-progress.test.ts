import { type ProgressEvent, StartAbortedError, StartTimeoutError } from '@snapbox/core';
import { tinyImage } from '@snapbox/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import { createDockerFactory } from './index.js';
import { engine, imageExists, sessionLeftovers } from './test-support/engine.js';
import { startLocalRegistry } from './test-support/local-registry.js';

/**
 * Pulls for real, from a registry on loopback that serves the tiny fixture image (no registry
 * on the network is reachable here): progress in bytes, and a pull cancelled half way.
 */
const factory = createDockerFactory();
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

async function registry(bytesPerSecond?: number) {
  const started = await startLocalRegistry(tinyImage, bytesPerSecond === undefined ? {} : { bytesPerSecond });
  cleanups.push(started.close);
  const reference = `${started.host}/snapbox-test/tiny:${Math.random().toString(36).slice(2)}`;
  cleanups.push(() => engine.getImage(reference).remove({ force: true }));
  return { ...started, reference };
}

describe('pulling an image', () => {
  it('reports the bytes downloaded over the bytes of the layers, then starts', async () => {
    const { reference, layers, blobRequests } = await registry();
    const events: ProgressEvent[] = [];
    const box = factory.fromImage({ image: reference });
    cleanups.push(() => box.stop());
    await box.start({ onProgress: (event) => events.push(event) });
    const pull = events.filter((event) => event.phase === 'pull');
    expect(pull[0]?.message).toBe(`pulling ${reference}`);
    const sized = pull.filter((event) => event.total !== undefined);
    // The bytes of the layers it downloaded: the random one, and the fixture's unless the engine
    // knows them from an earlier pull ("Already exists").
    const downloaded = layers.filter((layer) => blobRequests.some((request) => request.digest === layer.digest));
    expect(downloaded).toContainEqual(layers.at(-1));
    const total = downloaded.reduce((sum, layer) => sum + layer.size, 0);
    expect(sized.length).toBeGreaterThan(0);
    expect(sized.at(-1), JSON.stringify(pull)).toMatchObject({ done: total, total });
    const done = sized.map((event) => event.done ?? 0);
    expect(done).toEqual([...done].sort((a, b) => a - b));
    expect(events.at(-1)?.phase).toBe('start');
    expect((await box.exec('echo pulled')).stdout).toBe('pulled\n');
  });

  it('an abort half way cancels the pull and leaves no image and no container', async () => {
    const { reference, blobRequests, layers } = await registry(100_000);
    expect(layers.at(-1)?.size).toBeGreaterThan(1_000_000);
    const before = await sessionLeftovers();
    const controller = new AbortController();
    const box = factory.fromImage({ image: reference });
    const began = Date.now();
    const error = await box
      .start({
        signal: controller.signal,
        onProgress: (event) => {
          if (event.phase === 'pull' && (event.done ?? 0) > 0) controller.abort(new Error('enough'));
        },
      })
      .catch((e: unknown) => e);
    expect(StartAbortedError.isInstance(error), String(error)).toBe(true);
    expect((error as StartAbortedError).phase).toBe('pull');
    expect(Date.now() - began).toBeLessThan(15_000);
    // The engine drops the download once its client is gone.
    for (let attempt = 0; attempt < 40 && !blobRequests.every((request) => request.cancelled); attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(blobRequests.length).toBeGreaterThan(0);
    expect(blobRequests.every((request) => request.cancelled && !request.finished)).toBe(true);
    expect(await imageExists(reference)).toBe(false);
    const after = await sessionLeftovers();
    expect(after.containers.filter((id) => !before.containers.includes(id))).toEqual([]);
    expect(box.state).toBe('stopped');
  });

  it('a timeout during a pull rejects with StartTimeoutError in the pull phase', async () => {
    const { reference } = await registry(50_000);
    const box = factory.fromImage({ image: reference });
    const error = await box.start({ timeoutMs: 2500 }).catch((e: unknown) => e);
    expect(StartTimeoutError.isInstance(error), String(error)).toBe(true);
    expect((error as StartTimeoutError).phase).toBe('pull');
    expect(await imageExists(reference)).toBe(false);
  });
});
