/**
 * One tool's transfers of one size in one direction, in a fresh process
 * (`node --expose-gc dist/transfer-child.js <json>`), so that peak memory is this tool's alone.
 * It starts a container, warms up with a 1 KiB transfer, prints `{"ready":true}`, then does one
 * timed transfer per `rep` line on stdin, replying with its time and the peak resident memory
 * above the baseline just before it; `end` (or the end of stdin) removes the container. The
 * parent keeps one child per tool alive and sends the `rep`s round-robin, so the tools'
 * repetitions are interleaved like every other measurement.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { benchLabels } from './bench-resources.js';
import { CliDriver } from './drivers/cli-driver.js';
import type { Box, Driver, Timed } from './drivers/driver.js';
import { makeDriver } from './drivers/make-driver.js';
import { PythonDriver } from './drivers/python-driver.js';
import { errorText } from './error-text.js';
import { measurePeak } from './memory.js';
import type { Tool } from './results.js';

export interface TransferOrder {
  tool: Tool;
  direction: 'upload' | 'download';
  bytes: number;
  image: string;
  runId: string;
  payloadPath: string;
  warmupPath: string;
  workDir: string;
}

/** One line on stdout: readiness, a repetition's numbers, or a failure. */
export type TransferMessage = { ready: true } | { ms: number; memoryMiB: number } | { error: string };

const remotePath = '/tmp/payload.bin';
const KiB = 1024;
const send = (message: TransferMessage) => process.stdout.write(`${JSON.stringify(message)}\n`);

async function main(): Promise<void> {
  const order = JSON.parse(process.argv[2] ?? '{}') as TransferOrder;
  const driver = makeDriver(order.tool, order.image, benchLabels(order.runId));
  let box: Box | undefined;
  try {
    box = (await driver.start()).value;
    const target = box;
    const local = join(order.workDir, `download-${order.tool}-${process.pid}.bin`);
    const python = driver instanceof PythonDriver ? driver : undefined;
    const once = (path: string, memory: boolean): Promise<Timed<void>> => {
      if (order.direction === 'upload') {
        return python ? python.upload(target, path, remotePath, memory) : driver.upload(target, path, remotePath);
      }
      return python ? python.download(target, remotePath, local, memory) : driver.download(target, remotePath, local);
    };
    if (order.direction === 'download') await driver.exec(box, `head -c ${KiB} /dev/zero > ${remotePath}`);
    await once(order.warmupPath, false);
    await rm(local, { force: true });
    if (order.direction === 'download') await driver.exec(box, `head -c ${order.bytes} /dev/zero > ${remotePath}`);
    send({ ready: true });
    for await (const line of createInterface({ input: process.stdin })) {
      if (line.trim() !== 'rep') break;
      const measured = await measureTransfer(driver, () => once(order.payloadPath, true));
      await rm(local, { force: true });
      send(measured);
    }
  } catch (error) {
    send({ error: errorText(error) });
  } finally {
    if (box !== undefined) await driver.remove(box).catch(() => undefined);
    await driver.close().catch(() => undefined);
  }
}

/** Python measures its own memory; the CLI's is the `docker` process's peak; Node's is this process's. */
async function measureTransfer(
  driver: Driver,
  run: () => Promise<Timed<void>>,
): Promise<{ ms: number; memoryMiB: number }> {
  if (driver instanceof PythonDriver) {
    const { ms } = await run();
    const memory = driver.lastMemory;
    return { ms, memoryMiB: memory === undefined ? Number.NaN : (memory.peakKiB - memory.baselineKiB) / 1024 };
  }
  const measured = await measurePeak(run);
  if (driver instanceof CliDriver) return { ms: measured.value.ms, memoryMiB: driver.lastPeakKiB / 1024 };
  return { ms: measured.value.ms, memoryMiB: (measured.peakKiB - measured.baselineKiB) / 1024 };
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    send({ error: errorText(error) });
    process.exit(1);
  },
);
