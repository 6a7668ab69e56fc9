import { type Container, type ContainerFactory, InvalidArgumentError } from '@snapbox/core';
import { type EnvironmentOptions, resolveEnvironment } from './environment.js';
import type { GoExploreTask, StepResult, TaskContext } from './task.js';

/** Options of {@link replay}: where to run, the task, and the actions to apply. */
export interface ReplayOptions<Action, Observation, Inspection = undefined>
  extends Omit<EnvironmentOptions, 'factory' | 'root'> {
  /** A factory of the backend; it need not snapshot. Give it with `image` or `dockerfilePath`. */
  factory?: ContainerFactory;
  /** Instead of `factory`: a container that is not started yet. Replay starts and stops it. */
  root?: Container;
  /** The task the trajectory was found with. */
  task: GoExploreTask<Action, Observation>;
  /** The actions to apply after `reset`, e.g. a result's `bestTrajectory`. */
  trajectory: readonly NoInfer<Action>[];
  /** Aborts the replay: passed to the task calls; the container is stopped either way. */
  signal?: AbortSignal;
  /** Called with the running container after the last step, before it is stopped: read what you need. */
  inspect?(container: Container): Promise<Inspection> | Inspection;
}

/** What a replay reached. */
export interface ReplayResult<Observation, Inspection = undefined> {
  /** The last observation (`reset`'s when the trajectory is empty). */
  readonly observation: Observation;
  /** `task.cellOf(observation)`. */
  readonly cell: string;
  /** The summed reward. */
  readonly score: number;
  /** Whether the last step ended the episode. */
  readonly done: boolean;
  /** Actions applied: all of them, or fewer when a step ended the episode early. */
  readonly steps: number;
  /** What `inspect` returned. */
  readonly inspection: Inspection;
}

/**
 * Applies a trajectory in a fresh container: `reset`, then each action in order, and reports
 * where it ended. For a deterministic task this reproduces the cell, score and state that the
 * run recorded, which proves a result without trusting the archive. The container is always
 * stopped at the end.
 *
 * ```ts
 * const check = await replay({ factory, image, task, trajectory: result.bestTrajectory });
 * check.score === result.best.score; // true for a deterministic task
 * ```
 * @throws InvalidArgumentError for bad options; whatever the task or the backend throws.
 */
export async function replay<Action, Observation, Inspection = undefined>(
  options: ReplayOptions<Action, Observation, Inspection>,
): Promise<ReplayResult<Observation, Inspection>> {
  if (typeof options?.task?.reset !== 'function' || typeof options.task.step !== 'function') {
    throw new InvalidArgumentError({ argument: 'task', message: 'expected a task with reset, step and cellOf' });
  }
  if (!Array.isArray(options.trajectory)) {
    throw new InvalidArgumentError({ argument: 'trajectory', message: 'expected an array of actions' });
  }
  const environment = resolveEnvironment(options as EnvironmentOptions, false);
  options.signal?.throwIfAborted();
  const { task, trajectory } = options;
  const context: TaskContext = { signal: options.signal ?? new AbortController().signal, worker: -1 };
  const container = environment.createRoot();
  try {
    await container.start(environment.env === undefined ? undefined : { env: environment.env });
    let observation: Observation = await task.reset(container, context);
    let score = 0;
    let done = false;
    let steps = 0;
    for (const action of trajectory) {
      const result: StepResult<Observation> = await task.step(container, action, context);
      observation = result.observation;
      score += result.reward;
      done = result.done;
      steps++;
      if (done) break;
    }
    const inspection = (options.inspect === undefined ? undefined : await options.inspect(container)) as Inspection;
    return { observation, cell: task.cellOf(observation), score, done, steps, inspection };
  } finally {
    await container.stop();
  }
}
