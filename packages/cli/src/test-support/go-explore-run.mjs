// A checkpointed Go-Explore run on Docker with the watchdog off, which the test SIGKILLs half-way:
// what a run that is never resumed leaves behind (its kept snapshots, its containers).
// Usage: node go-explore-run.mjs <image> <checkpoint path>. Prints {"step":n} per step.
import { createDockerFactory } from '@snapbox/docker';
import { goExplore } from '@snapbox/go-explore';

const [image, path] = process.argv.slice(2);
let steps = 0;
await goExplore({
  factory: createDockerFactory({ watchdog: false, pull: 'never' }),
  image,
  task: {
    id: 'cli-counter',
    async reset(container) {
      await container.writeFile('/count', '0');
      return 0;
    },
    async step(container, action) {
      process.stdout.write(`${JSON.stringify({ step: ++steps })}\n`);
      const result = await container.exec(['sh', '-c', `n=$(($(cat /count) + ${action})); echo $n > /count; echo $n`]);
      return { observation: Number(result.stdout.trim()), reward: action, done: false };
    },
    cellOf: (count) => String(count),
    sampleAction: (rng) => rng.int(3),
  },
  seed: 5,
  explorationSteps: 2,
  maxIterations: 1000,
  checkpoint: { path },
});
