// A checkpointed Go-Explore run with the watchdog off, which the test SIGKILLs half-way: what a
// run that is never resumed leaves behind (its kept snapshots, its containers).
// Usage: node go-explore-run.mjs <image> <checkpoint path> [docker | bubblewrap]. Prints
// {"step":n} per step. Bubblewrap's state folder is the default one (SNAPBOX_BUBBLEWRAP_STATE_DIR).
import { goExplore } from '@snapbox/go-explore';

const [image, path, backend = 'docker'] = process.argv.slice(2);
const factory =
  backend === 'bubblewrap'
    ? (await import('@snapbox/bubblewrap')).createBubblewrapFactory({ watchdog: false })
    : (await import('@snapbox/docker')).createDockerFactory({ watchdog: false, pull: 'never' });
let steps = 0;
await goExplore({
  factory,
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
