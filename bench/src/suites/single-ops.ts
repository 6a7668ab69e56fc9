import type Docker from 'dockerode';
import { type Box, commands, type Driver } from '../drivers/driver.js';
import type { Fixture, OpSpec, RepPlan } from './interleave.js';

/** Deletes a snapshot with the driver, or directly when the tool cannot (testcontainers). */
export async function dropSnapshot(driver: Driver, engine: Docker, snapshotId: string): Promise<void> {
  if (driver.unsupported.has('deleteSnapshot')) await engine.getImage(snapshotId).remove({ force: true });
  else await driver.deleteSnapshot(snapshotId);
}

const MiB = 1024 * 1024;

/**
 * The single operations, each timed per tool with the same steps. Most run on one long-lived
 * container per tool (`bases`), started once; the last two change its filesystem (1 MiB, then
 * the same file grown to 100 MiB), so they come last.
 */
export function singleOps(engine: Docker, bases: ReadonlyMap<Driver, Box>): OpSpec[] {
  const baseOf = (driver: Driver): Box => {
    const box = bases.get(driver);
    if (box === undefined) throw new Error(`no base container for ${driver.tool}`);
    return box;
  };
  const onBase = (plan: (driver: Driver, box: Box) => RepPlan, changedBytes = 0) => {
    return async (driver: Driver): Promise<Fixture> => {
      const box = baseOf(driver);
      if (changedBytes > 0) await driver.exec(box, commands.change(changedBytes));
      return { plan: () => plan(driver, box), teardown: async () => undefined };
    };
  };
  const snapshotPlan = (driver: Driver, box: Box): RepPlan => {
    let snapshotId: string | undefined;
    return {
      measure: async () => {
        const taken = await driver.snapshot(box);
        snapshotId = taken.value;
        return taken.ms;
      },
      cleanup: async () => {
        if (snapshotId !== undefined) await dropSnapshot(driver, engine, snapshotId);
      },
    };
  };

  return [
    {
      id: 'start',
      label: 'start a container',
      warmup: true,
      setup: async (driver) => ({
        plan: () => {
          let box: Box | undefined;
          return {
            measure: async () => {
              const started = await driver.start();
              box = started.value;
              return started.ms;
            },
            cleanup: async () => {
              if (box !== undefined) await driver.remove(box);
            },
          };
        },
        teardown: async () => undefined,
      }),
    },
    {
      id: 'exec-true',
      label: 'exec `true`',
      warmup: true,
      setup: onBase((driver, box) => ({ measure: async () => (await driver.exec(box, commands.true)).ms })),
    },
    {
      id: 'exec-1mib',
      label: 'exec with 1 MiB of output',
      setup: onBase((driver, box) => ({
        measure: async () => (await driver.exec(box, commands.output1MiB, MiB)).ms,
      })),
    },
    { id: 'snapshot-0', label: 'snapshot, 0 B changed', setup: onBase(snapshotPlan) },
    {
      id: 'restore',
      label: 'restore (snapshot → first exec)',
      setup: async (driver) => {
        const { value: snapshotId } = await driver.snapshot(baseOf(driver));
        return {
          plan: () => {
            let restored: Box | undefined;
            return {
              measure: async () => {
                const started = await driver.restore(snapshotId);
                restored = started.value;
                return started.ms + (await driver.exec(restored, commands.true)).ms;
              },
              cleanup: async () => {
                if (restored !== undefined) await driver.remove(restored);
              },
            };
          },
          teardown: () => dropSnapshot(driver, engine, snapshotId),
        };
      },
    },
    {
      id: 'delete-snapshot',
      label: 'delete a snapshot',
      requires: 'deleteSnapshot',
      setup: onBase((driver, box) => {
        let snapshotId = '';
        return {
          prepare: async () => {
            snapshotId = (await driver.snapshot(box)).value;
          },
          measure: async () => (await driver.deleteSnapshot(snapshotId)).ms,
        };
      }),
    },
    {
      id: 'return',
      label: 'Go-Explore return (snapshot + restore + first exec)',
      setup: onBase((driver, box) => {
        let snapshotId: string | undefined;
        let restored: Box | undefined;
        return {
          measure: async () => {
            const taken = await driver.snapshot(box);
            snapshotId = taken.value;
            const started = await driver.restore(snapshotId);
            restored = started.value;
            return taken.ms + started.ms + (await driver.exec(restored, commands.true)).ms;
          },
          cleanup: async () => {
            if (restored !== undefined) await driver.remove(restored);
            if (snapshotId !== undefined) await dropSnapshot(driver, engine, snapshotId);
          },
        };
      }),
    },
    { id: 'snapshot-1mib', label: 'snapshot, 1 MiB changed', setup: onBase(snapshotPlan, MiB) },
    { id: 'snapshot-100mib', label: 'snapshot, 100 MiB changed', setup: onBase(snapshotPlan, 100 * MiB) },
  ];
}
