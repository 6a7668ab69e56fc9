import { readFileSync } from 'node:fs';
import { type Box, commands, type Driver } from '../drivers/driver.js';
import { PythonDriver, type WorkerRun } from '../drivers/python-driver.js';
import { errorText } from '../error-text.js';
import type { ThroughputResult } from '../results.js';
import { median, p95 } from '../stats.js';

export type ThroughputKind = ThroughputResult['kind'];

/** Busy and total CPU time of the whole machine so far (jiffies), from /proc/stat. */
export function machineTicks(): { busy: number; total: number } {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((sum, value) => sum + value, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

/**
 * One snapshot/restore cycle, as an exploration worker does it: snapshot its container,
 * restore a copy, run a first command in it, remove the copy, delete the snapshot.
 */
async function cycle(driver: Driver, box: Box): Promise<void> {
  const { value: snapshotId } = await driver.snapshot(box);
  const { value: restored } = await driver.restore(snapshotId);
  try {
    await driver.exec(restored, commands.true);
  } finally {
    await driver.remove(restored);
    await driver.deleteSnapshot(snapshotId);
  }
}

async function runWorkers(
  driver: Driver,
  boxes: readonly Box[],
  kind: ThroughputKind,
  durationMs: number,
): Promise<WorkerRun> {
  const latencies: number[] = [];
  const cpu = process.cpuUsage();
  const ticks = machineTicks();
  const begun = performance.now();
  const deadline = begun + durationMs;
  const counts = await Promise.all(
    boxes.map(async (box) => {
      let done = 0;
      while (performance.now() < deadline) {
        const at = performance.now();
        if (kind === 'exec') await driver.exec(box, commands.true);
        else await cycle(driver, box);
        latencies.push(performance.now() - at);
        done++;
      }
      return done;
    }),
  );
  const elapsedMs = performance.now() - begun;
  const used = process.cpuUsage(cpu);
  const after = machineTicks();
  return {
    kind,
    operations: counts.reduce((sum, count) => sum + count, 0),
    elapsedMs,
    latencies,
    cpuMs: (used.user + used.system) / 1000,
    machineBusy: after.total > ticks.total ? (after.busy - ticks.busy) / (after.total - ticks.total) : null,
  };
}

/**
 * `concurrency` workers, each with its own container, repeat exec `true` until its duration has
 * passed, then snapshot/restore cycles until theirs has; throughput is the operations that
 * finished over the time until the last one did. Python runs its workers itself, as asyncio
 * tasks over `asyncio.to_thread`, as ARES would.
 */
export async function measureThroughput(
  driver: Driver,
  concurrency: number,
  durationsMs: Partial<Record<ThroughputKind, number>>,
): Promise<ThroughputResult[]> {
  const kinds = Object.keys(durationsMs) as ThroughputKind[];
  try {
    if (driver instanceof PythonDriver) {
      const runs = await driver.throughput(concurrency, durationsMs);
      return runs.map((run) => summarizeRun(driver, run.kind, concurrency, run));
    }
    const boxes: Box[] = [];
    try {
      const started = await Promise.allSettled(Array.from({ length: concurrency }, () => driver.start()));
      for (const outcome of started) if (outcome.status === 'fulfilled') boxes.push(outcome.value.value);
      const failure = started.find((outcome) => outcome.status === 'rejected');
      if (failure !== undefined) throw (failure as PromiseRejectedResult).reason;
      await Promise.all(boxes.map((box) => driver.exec(box, commands.true)));
      const results: ThroughputResult[] = [];
      for (const kind of kinds) {
        const run = await runWorkers(driver, boxes, kind, durationsMs[kind] as number);
        results.push(summarizeRun(driver, kind, concurrency, run));
      }
      return results;
    } finally {
      await Promise.all(boxes.map((box) => driver.remove(box).catch(() => undefined)));
    }
  } catch (error) {
    const message = errorText(error);
    return kinds.map((kind) => ({
      kind,
      tool: driver.tool,
      concurrency,
      operations: 0,
      elapsedMs: 0,
      perSecond: 0,
      latencyMedianMs: Number.NaN,
      latencyP95Ms: Number.NaN,
      error: message,
    }));
  }
}

function summarizeRun(driver: Driver, kind: ThroughputKind, concurrency: number, run: WorkerRun): ThroughputResult {
  return {
    kind,
    tool: driver.tool,
    concurrency,
    operations: run.operations,
    elapsedMs: run.elapsedMs,
    perSecond: run.elapsedMs > 0 ? (run.operations * 1000) / run.elapsedMs : 0,
    latencyMedianMs: median(run.latencies),
    latencyP95Ms: p95(run.latencies),
    clientCpuMsPerOp: run.operations > 0 ? run.cpuMs / run.operations : Number.NaN,
    ...(run.machineBusy === null ? {} : { machineBusy: run.machineBusy }),
  };
}
