import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExecTimeoutError, UnsupportedCapabilityError } from '@snapbox/core';
import { afterAll, describe, expect, it } from 'vitest';
import type { BubblewrapContainer } from './bubblewrap-container.js';
import { createBubblewrapFactory } from './index.js';
import { testStateDir, tinyImage } from './test-support/fixtures.js';
import { storeContents } from './test-support/store-contents.js';

/**
 * Limits through real cgroups (v1 on this machine: cpu, memory, pids, freezer). Each hostile
 * workload is bounded twice: by the limit under test and by an exec timeout, so a broken limit
 * fails the test instead of taking the machine down.
 */
const stateDir = testStateDir('limits');
const factory = createBubblewrapFactory({ stateDir, pidsLimit: 64 });
const started: BubblewrapContainer[] = [];
async function start(options: Parameters<typeof factory.fromImage>[0]): Promise<BubblewrapContainer> {
  const container = factory.fromImage(options);
  started.push(container);
  await container.start();
  return container;
}

afterAll(async () => {
  await Promise.all(started.map((container) => container.stop()));
  await factory.settled();
  expect(storeContents(stateDir).containers).toEqual([]);
});

function cgroupOf(container: BubblewrapContainer, controller: string): string {
  const record = JSON.parse(
    readFileSync(join(stateDir, 'containers', container.id as string, 'record.json'), 'utf8'),
  ) as { cgroups: string[] };
  const dir = record.cgroups.find((path) => path.includes(`/${controller}/`));
  if (dir === undefined) throw new Error(`no ${controller} cgroup in ${record.cgroups.join(', ')}`);
  return dir;
}

describe('resource limits through cgroups', () => {
  it('a fork bomb stops at the process limit; the host and another container keep working', async () => {
    const bomb = await start({ image: tinyImage });
    const bystander = await start({ image: tinyImage });
    const running = bomb
      .exec('bomb() { bomb | bomb & }; bomb; sleep 5', { timeoutMs: 4000 })
      .catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const count = Number(readFileSync(join(cgroupOf(bomb, 'pids'), 'pids.current'), 'utf8'));
    expect(count).toBeLessThanOrEqual(64);
    expect(Number(readFileSync(join(cgroupOf(bomb, 'pids'), 'pids.events'), 'utf8').split(' ')[1])).toBeGreaterThan(0);
    const began = Date.now();
    expect((await bystander.exec('echo still here')).stdout).toBe('still here\n');
    expect(Date.now() - began).toBeLessThan(3000);
    expect(ExecTimeoutError.isInstance(await running)).toBe(true);
    await bomb.stop();
  });

  it('a memory hog is killed inside its own memory limit', async () => {
    const hog = await start({ image: tinyImage, resources: { memoryMiB: 64 } });
    expect(readFileSync(join(cgroupOf(hog, 'memory'), 'memory.limit_in_bytes'), 'utf8').trim()).toBe(
      String(64 * 1024 * 1024),
    );
    // bash keeps the whole 300 MiB in a variable: far over the limit, so the kernel kills it.
    const result = await hog.exec(`s=$(head -c 314572800 /dev/zero | tr '\\0' a); echo \${#s}`, { timeoutMs: 30_000 });
    expect(result.exitCode).toBe(137);
    expect(result.stdout).not.toContain('314572800');
    const oom = readFileSync(join(cgroupOf(hog, 'memory'), 'memory.oom_control'), 'utf8');
    expect(Number(/oom_kill (\d+)/.exec(oom)?.[1])).toBeGreaterThan(0);
    expect((await hog.exec('echo survived')).stdout).toBe('survived\n');
  });

  it('cpu limits the container to its share (throttled by the cfs quota)', async () => {
    const busy = await start({ image: tinyImage, resources: { cpu: 0.25 } });
    const dir = cgroupOf(busy, 'cpu');
    expect(readFileSync(join(dir, 'cpu.cfs_quota_us'), 'utf8').trim()).toBe('25000');
    await busy.exec('end=$(( $(date +%s) + 2 )); while [ $(date +%s) -lt $end ]; do :; done', { timeoutMs: 10_000 });
    const stat = readFileSync(join(dir, 'cpu.stat'), 'utf8');
    expect(Number(/nr_throttled (\d+)/.exec(stat)?.[1])).toBeGreaterThan(0);
  });

  it('refuses what it cannot enforce with UnsupportedCapabilityError', async () => {
    for (const resources of [{ diskGiB: 1 }, { gpu: 1 }]) {
      const container = factory.fromImage({ image: tinyImage, resources });
      started.push(container);
      const error = await container.start().catch((e: unknown) => e);
      expect(UnsupportedCapabilityError.isInstance(error)).toBe(true);
      // Nothing was made: the container is back to created (a failed start may be retried).
      expect(container.state).toBe('created');
    }
  });
});
