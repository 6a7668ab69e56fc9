import type { ContainerFactory } from '@snapbox/core';
import { createRandom, type GoExploreTask, type Seed } from '@snapbox/go-explore';

/** Options of {@link runRandomRestarts}. */
export interface BaselineOptions<Action, Observation> {
  factory: ContainerFactory;
  image: string;
  task: GoExploreTask<Action, Observation>;
  /** Parallel workers, one container each. */
  workers: number;
  /** Container steps to spend, over all workers: the same budget Go-Explore used. */
  maxSteps: number;
  /** Steps of one episode before the restart. */
  episodeSteps: number;
  seed: Seed;
  /** Stop when the best score reaches this. */
  targetScore?: number;
  /** Wall-time cap, checked between steps. */
  maxTimeMs?: number;
  signal?: AbortSignal;
  onProgress?(progress: BaselineProgress): void;
}

export interface BaselineProgress {
  readonly episodes: number;
  readonly steps: number;
  readonly bestScore: number;
  readonly elapsedMs: number;
}

/** A rise of the best score. */
export interface ScorePoint {
  readonly steps: number;
  readonly score: number;
}

/** A rise of the number of distinct cells (`task.cellOf`) reached so far. */
export interface CellsPoint {
  readonly steps: number;
  readonly cells: number;
}

export interface BaselineResult {
  readonly bestScore: number;
  readonly history: readonly ScorePoint[];
  /**
   * Each rise of the number of distinct cells reached (the task's `cellOf` of every observation,
   * the initial one included): what Go-Explore's archive counts, for a player that never returns.
   */
  readonly cellsHistory: readonly CellsPoint[];
  readonly steps: number;
  readonly episodes: number;
  readonly elapsedMs: number;
  readonly stopReason: 'steps' | 'time' | 'target' | 'aborted';
}

/**
 * The no-return baseline: random play from the start, restarted in a fresh container (from
 * the image, `reset` again) every `episodeSteps` steps or when the episode ends. It never
 * returns to a state it reached, which is the one thing Go-Explore adds.
 */
export async function runRandomRestarts<Action, Observation>(
  options: BaselineOptions<Action, Observation>,
): Promise<BaselineResult> {
  const started = performance.now();
  const elapsed = (): number => performance.now() - started;
  const master = createRandom(options.seed);
  const history: ScorePoint[] = [{ steps: 0, score: 0 }];
  const cellsSeen = new Set<string>();
  const cellsHistory: CellsPoint[] = [];
  const see = (observation: Observation, steps: number): void => {
    const key = options.task.cellOf(observation);
    if (cellsSeen.has(key)) return;
    cellsSeen.add(key);
    cellsHistory.push({ steps, cells: cellsSeen.size });
  };
  let bestScore = 0;
  let stepsReserved = 0;
  let steps = 0;
  let episodes = 0;
  let stopReason: BaselineResult['stopReason'] | undefined;
  const stopped = (): boolean => {
    if (stopReason !== undefined) return true;
    if (options.signal?.aborted) stopReason = 'aborted';
    else if (options.maxTimeMs !== undefined && elapsed() >= options.maxTimeMs) stopReason = 'time';
    else if (options.targetScore !== undefined && bestScore >= options.targetScore) stopReason = 'target';
    else if (stepsReserved >= options.maxSteps) stopReason = 'steps';
    return stopReason !== undefined;
  };
  const context = (worker: number) => ({ signal: options.signal ?? new AbortController().signal, worker });

  const worker = async (index: number): Promise<void> => {
    const rng = master.fork();
    while (!stopped()) {
      const container = options.factory.fromImage({ image: options.image });
      try {
        await container.start();
        see(await options.task.reset(container, context(index)), steps);
        episodes++;
        let score = 0;
        for (let step = 0; step < options.episodeSteps && !stopped(); step++) {
          stepsReserved++;
          const result = await options.task.step(container, options.task.sampleAction(rng), context(index));
          steps++;
          see(result.observation, steps);
          score += result.reward;
          if (score > bestScore) {
            bestScore = score;
            history.push({ steps, score });
          }
          if (result.done) break;
        }
      } finally {
        await container.stop();
      }
      options.onProgress?.({ episodes, steps, bestScore, elapsedMs: elapsed() });
    }
  };

  const failures: unknown[] = [];
  await Promise.all(
    Array.from({ length: options.workers }, (_, index) =>
      worker(index).catch((error: unknown) => {
        // The other workers stop at their next step; an abort's own errors are not failures.
        stopReason ??= 'aborted';
        if (!options.signal?.aborted) failures.push(error);
      }),
    ),
  );
  if (failures.length > 0) throw failures[0];
  return { bestScore, history, cellsHistory, steps, episodes, elapsedMs: elapsed(), stopReason: stopReason ?? 'steps' };
}
