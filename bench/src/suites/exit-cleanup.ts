import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type Docker from 'dockerode';
import type { ExitCleanupResult } from '../results.js';
import { median } from '../stats.js';

/**
 * What a synchronous cleanup pays before it talks to the engine: starting Node, and starting
 * Node plus loading dockerode (what snapbox's sync worker loads), median of `runs` each.
 */
export function measureWorkerStartup(runs = 7): { nodeStartMs: number; nodeWithDockerodeMs: number } {
  const dockerode = createRequire(import.meta.url).resolve('dockerode');
  const time = (args: string[]) => {
    const started = performance.now();
    spawnSync(process.execPath, args, { stdio: 'ignore' });
    return performance.now() - started;
  };
  const bare: number[] = [];
  const loaded: number[] = [];
  for (let run = 0; run < runs; run++) {
    bare.push(time(['-e', '']));
    loaded.push(time(['-e', `require(${JSON.stringify(dockerode)})`]));
  }
  return { nodeStartMs: median(bare), nodeWithDockerodeMs: median(loaded) };
}

const childPath = fileURLToPath(new URL('../exit-cleanup-child.js', import.meta.url));

/**
 * Runs the exit-cleanup child once: it starts `count` containers and exits; the time from its
 * last line before `process.exit()` to the end of the process (as seen from here) is the cost
 * of the cleanup at exit. The engine is then asked whether any of its containers remain.
 */
export async function measureExitCleanup(
  engine: Docker,
  mode: ExitCleanupResult['mode'],
  count: number,
  image: string,
  labels: Record<string, string>,
): Promise<ExitCleanupResult> {
  const childLabel = `snapbox-bench.exit-child=${randomUUID()}`;
  const [key, value] = childLabel.split('=') as [string, string];
  const order = { mode, count, image, labels: { ...labels, [key]: value } };
  let exitAt: number | undefined;
  let handlerMs: number | undefined;
  const endAt = await new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, [childPath, JSON.stringify(order)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      let newline = buffered.indexOf('\n');
      while (newline !== -1) {
        const message = JSON.parse(buffered.slice(0, newline)) as { exitAt?: number; handlerMs?: number };
        buffered = buffered.slice(newline + 1);
        if (message.exitAt !== undefined) exitAt = message.exitAt;
        if (message.handlerMs !== undefined) handlerMs = message.handlerMs;
        newline = buffered.indexOf('\n');
      }
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      const at = Date.now();
      if (code !== 0) reject(new Error(`the exit-cleanup child exited ${code}`));
      else resolve(at);
    });
  });
  if (exitAt === undefined) throw new Error('the exit-cleanup child never reached its exit');
  const leftover = await engine.listContainers({ all: true, filters: JSON.stringify({ label: [childLabel] }) });
  await Promise.all(leftover.map((container) => engine.getContainer(container.Id).remove({ force: true })));
  return { mode, containers: count, exitToEndMs: endAt - exitAt, handlerMs, leftover: leftover.length };
}
