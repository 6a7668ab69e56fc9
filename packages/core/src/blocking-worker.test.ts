import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtScriptPath, runBlockingWorker } from './blocking-worker.js';
import { SnapboxError } from './errors/snapbox-error.js';

// Real child processes: worker scripts written to a temporary folder, importing this package's
// build (the same module a backend's worker imports).
const coreBuild = pathToFileURL(builtScriptPath(import.meta.url, 'index')).href;
let dir: string;

async function worker(name: string, body: string): Promise<string> {
  const path = join(dir, `${name}.mjs`);
  await writeFile(path, `import { serveBlockingWorker } from ${JSON.stringify(coreBuild)};\n${body}\n`);
  return path;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'snapbox-blocking-worker-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('runBlockingWorker', () => {
  it('blocks until the worker answers, and returns its answer', async () => {
    const script = await worker(
      'double',
      `await serveBlockingWorker(async (job) => { await new Promise((r) => setTimeout(r, 50)); console.log('noise'); return { doubled: job.n * 2 }; });`,
    );
    expect(
      runBlockingWorker<{ n: number }, { doubled: number }>({
        script,
        job: { n: 21 },
        timeoutMs: 20_000,
        what: 'the test',
      }),
    ).toEqual({
      doubled: 42,
    });
  });

  it('fails with SYNC_CLEANUP_FAILED and the end of stderr when the handler throws', async () => {
    const script = await worker(
      'throws',
      `await serveBlockingWorker(async () => { throw new Error('engine refused'); });`,
    );
    const error = (() => {
      try {
        runBlockingWorker({ script, job: {}, timeoutMs: 20_000, what: 'The test cleanup' });
      } catch (caught) {
        return caught;
      }
    })();
    expect(SnapboxError.isInstance(error)).toBe(true);
    expect((error as SnapboxError).code).toBe('SYNC_CLEANUP_FAILED');
    expect((error as SnapboxError).message).toMatch(/^The test cleanup did not complete: it exited with code 1/);
    expect((error as SnapboxError).message).toContain('engine refused');
  });

  it('kills a worker that takes longer than its limit', async () => {
    const script = await worker(
      'hangs',
      `await serveBlockingWorker(() => new Promise(() => setInterval(() => {}, 1000)));`,
    );
    const started = Date.now();
    expect(() => runBlockingWorker({ script, job: {}, timeoutMs: 500, what: 'the test' })).toThrow(
      /did not finish within 500 ms and was killed/,
    );
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe('builtScriptPath', () => {
  it('finds the compiled script of a module running from its source in dist/', () => {
    expect(builtScriptPath(import.meta.url, 'blocking-worker')).toMatch(/[/\\]dist[/\\]blocking-worker\.js$/);
  });

  it('says what is missing when the script exists nowhere', () => {
    expect(() => builtScriptPath(import.meta.url, 'no-such-worker')).toThrow(/no-such-worker\.js was not found/);
  });
});
