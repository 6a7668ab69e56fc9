// Type-checked by ../pack-test.sh in the fresh project: the published declarations must
// resolve through the packages' `exports` maps and hold together under a strict consumer config.

import { main } from '@snapbox/cli';
import { describeContainerConformance } from '@snapbox/conformance';
import {
  type Container,
  ExecTimeoutError,
  isSnapshotable,
  type SnapshotableContainer,
  type SnapshotableContainerFactory,
} from '@snapbox/core';
import { createDaytonaFactory, type DaytonaFactory } from '@snapbox/daytona';
import { createDockerFactory, type DockerContainer, type DockerFactory, listSnapshots, prune } from '@snapbox/docker';
import { type GoExploreResult, type GoExploreTask, goExplore } from '@snapbox/go-explore';
import { createMemoryFactory, type MemoryFactory } from '@snapbox/memory';
import { loadHarborRegistry, PresetRegistry } from '@snapbox/presets';

const docker: DockerFactory = createDockerFactory({ pull: 'never' });
const snapshotable: SnapshotableContainerFactory = docker;
const box: DockerContainer = docker.fromImage({ image: 'debian:12', resources: { cpu: 1 } });
const asContainer: Container = box;
const memory: MemoryFactory = createMemoryFactory();
const daytona: DaytonaFactory = createDaytonaFactory();

async function use(container: Container): Promise<string> {
  try {
    const result = await container.exec(['ls', '/'], { timeoutMs: 1000 });
    if (isSnapshotable(container)) {
      const restored: SnapshotableContainer = container.fromSnapshot(await container.snapshot({ keep: false }));
      await restored.stop();
    }
    return result.output;
  } catch (error) {
    if (ExecTimeoutError.isInstance(error)) return error.result.stdout;
    throw error;
  }
}

const task: GoExploreTask<'up' | 'down', number> = {
  reset: () => 0,
  step: async (container, move) => ({
    observation: (await container.exec(['stairs', move])).exitCode,
    reward: 1,
    done: false,
  }),
  cellOf: (observation) => String(observation),
  sampleAction: (rng) => (rng.int(2) === 0 ? 'down' : 'up'),
};
const run: Promise<GoExploreResult<'up' | 'down', number>> = goExplore({
  factory: memory,
  image: 'x',
  task,
  maxSteps: 1,
});
const code: Promise<number> = main(['--version']);
const registry = new PresetRegistry();

export {
  asContainer,
  code,
  daytona,
  describeContainerConformance,
  listSnapshots,
  loadHarborRegistry,
  prune,
  registry,
  run,
  snapshotable,
  use,
};
