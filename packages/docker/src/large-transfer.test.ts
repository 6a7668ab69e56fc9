import { mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tinyImage } from '@snapbox/test-support';
import { afterAll, expect, it } from 'vitest';
import { createDockerFactory } from './index.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

/** Runs `body` while sampling this process's resident memory; returns the peak above the start. */
async function peakRssGrowth(body: () => Promise<void>): Promise<number> {
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 10);
  try {
    await body();
  } finally {
    clearInterval(timer);
  }
  return Math.max(peak, process.memoryUsage().rss) - baseline;
}

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

it('moves a 1 GiB file both ways with bounded memory (streamed, never buffered whole)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'snapbox-large-'));
  dirs.push(dir);
  const source = join(dir, 'big.bin');
  // Sparse except for marks at both ends, so a truncated or shifted copy is caught.
  const handle = await open(source, 'w');
  await handle.write('start-mark');
  await handle.truncate(GiB);
  await handle.write('end-mark', GiB - 8);
  await handle.close();

  const box = createDockerFactory().fromImage({ image: tinyImage });
  await box.start();
  try {
    global.gc?.();
    const up = await peakRssGrowth(() => box.uploadFile(source, '/tmp/big.bin'));
    expect((await box.exec('wc -c < /tmp/big.bin')).stdout.trim()).toBe(String(GiB));
    expect((await box.exec('tail -c 8 /tmp/big.bin')).stdout).toBe('end-mark');
    const down = await peakRssGrowth(() => box.downloadFile('/tmp/big.bin', join(dir, 'back.bin')));
    expect((await stat(join(dir, 'back.bin'))).size).toBe(GiB);
    const back = await open(join(dir, 'back.bin'), 'r');
    const head = Buffer.alloc(10);
    const tail = Buffer.alloc(8);
    await back.read(head, 0, 10, 0);
    await back.read(tail, 0, 8, GiB - 8);
    await back.close();
    expect(head.toString()).toBe('start-mark');
    expect(tail.toString()).toBe('end-mark');
    // The bound: under 64 MiB above the process's baseline.
    expect(up).toBeLessThan(64 * MiB);
    expect(down).toBeLessThan(64 * MiB);
  } finally {
    await box.stop();
  }
}, 300_000);
