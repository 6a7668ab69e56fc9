import type { Container } from '@snapbox/core';
import type { DockerFactory } from '@snapbox/docker';
import type { GoExploreRunResult } from '../results.js';

/** The parts of @snapbox/go-explore this run uses (loaded at run time: the package is optional). */
interface GoExploreModule {
  goExplore(options: Record<string, unknown>): Promise<{
    iterations: number;
    returns: number;
    cells: readonly unknown[];
    timing: Record<string, number>;
  }>;
}

const secret = '4711';

/**
 * A combination lock: the state is the digits typed so far (a file in the container), an
 * action types one digit, and a correct prefix scores. Go-Explore returns to the longest
 * correct prefix found and explores from there.
 */
const lock = {
  async reset(container: Container) {
    await container.exec(': > /tmp/lock');
    return '';
  },
  async step(container: Container, digit: number) {
    const result = await container.exec(`printf ${digit} >> /tmp/lock && cat /tmp/lock`);
    const typed = result.stdout;
    const correct = secret.startsWith(typed);
    return { observation: typed, reward: correct ? 1 : 0, done: !correct || typed === secret };
  },
  cellOf: (typed: string) => typed,
  sampleAction: (rng: { int(maxExclusive: number): number }) => rng.int(10),
};

/**
 * A small Go-Explore run on Docker, when @snapbox/go-explore is installed and built; otherwise
 * a skipped row saying why.
 */
export async function runGoExplore(
  factory: DockerFactory,
  image: string,
  labels: Record<string, string>,
  options: { iterations: number; workers: number },
): Promise<GoExploreRunResult> {
  let module: GoExploreModule;
  try {
    const specifier = '@snapbox/go-explore';
    module = (await import(specifier)) as GoExploreModule;
  } catch (error) {
    return {
      status: 'skipped',
      reason: `@snapbox/go-explore could not be loaded (${error instanceof Error ? error.message.split('\n')[0] : String(error)}).`,
    };
  }
  const started = performance.now();
  const result = await module.goExplore({
    factory,
    image,
    containerOptions: { labels },
    task: lock,
    workers: options.workers,
    explorationSteps: 4,
    maxIterations: options.iterations,
    seed: 7,
  });
  const totalMs = performance.now() - started;
  return {
    status: 'ran',
    iterations: result.iterations,
    returns: result.returns,
    cells: result.cells.length,
    totalMs,
    returnsPerSecond: (result.returns * 1000) / totalMs,
    timing: { ...result.timing },
  };
}
