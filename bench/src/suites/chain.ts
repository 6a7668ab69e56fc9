import type Docker from 'dockerode';
import type { Box, Driver } from '../drivers/driver.js';
import { errorText } from '../error-text.js';
import type { ChainResult } from '../results.js';

/**
 * restore → change → snapshot, `generations` times, each generation starting from the
 * previous one's snapshot (as a Go-Explore lineage does). The previous container and snapshot
 * are retired in the background while the next generation runs, as in snapbox's own chain
 * test. A generation's time is its restore + exec + snapshot.
 */
export async function runChain(
  driver: Driver,
  engine: Docker,
  generations: number,
  log: (line: string) => void,
): Promise<ChainResult> {
  const result: ChainResult = { tool: driver.tool, generations: [], layers: [], flattened: [] };
  const retiring: Promise<unknown>[] = [];
  const { value: root } = await driver.start();
  let snapshotId: string;
  try {
    snapshotId = (await driver.snapshot(root)).value;
  } finally {
    await driver.remove(root);
  }
  let last: Box | undefined;
  try {
    for (let generation = 1; generation <= generations; generation++) {
      let box: Box | undefined;
      let next: string;
      const started = performance.now();
      try {
        box = (await driver.restore(snapshotId)).value;
        await driver.exec(box, `echo ${generation} >> /chain`);
        next = (await driver.snapshot(box)).value;
      } catch (error) {
        result.failedAt = {
          generation,
          error: errorText(error),
        };
        if (box !== undefined) await driver.remove(box).catch(() => undefined);
        break;
      }
      result.generations.push(performance.now() - started);
      const layers = (await engine.getImage(next).inspect()).RootFS?.Layers?.length ?? 0;
      result.layers.push(layers);
      if (layers === 1) result.flattened.push(generation);
      result.lastLayers = layers;
      const previous = snapshotId;
      const done = box;
      retiring.push(
        driver
          .remove(done)
          .then(() => driver.deleteSnapshot(previous))
          .catch(() => undefined),
      );
      snapshotId = next;
      if (generation % 50 === 0) log(`chain ${driver.tool}: generation ${generation}, ${layers} layers`);
    }
    await Promise.all(retiring);
    if (result.failedAt === undefined) {
      // The lineage really holds every generation's change.
      last = (await driver.restore(snapshotId)).value;
      await driver.exec(last, `test "$(wc -l < /chain)" -eq ${generations}`);
    }
  } finally {
    await Promise.all(retiring);
    if (last !== undefined) await driver.remove(last).catch(() => undefined);
    await driver.deleteSnapshot(snapshotId).catch(() => undefined);
  }
  return result;
}
