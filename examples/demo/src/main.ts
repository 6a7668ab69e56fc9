import { mkdir, stat, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { currentSession, snapboxLabels } from '@snapbox/core';
import { createDockerFactory, type DockerFactory } from '@snapbox/docker';
import {
  CheckpointRefusedError,
  countBasedWeight,
  deleteCheckpoint,
  type GoExploreResult,
  goExplore,
  type ResumeSummary,
  replay,
  runLabels,
} from '@snapbox/go-explore';
import { tinyImage } from '@snapbox/test-support';
import { type BaselineResult, runRandomRestarts } from './baseline.js';
import { renderProgressChart } from './chart.js';
import { createLockTask, type LockConfig, type LockObservation, lockStatus } from './lock.js';
import { formatTable, LiveLine, seconds } from './report.js';

/**
 * The demo: Go-Explore opens a combination lock inside a Docker container, and random play
 * with the same number of container steps (restarting from scratch, never returning) does not.
 */

// The fixture image that scripts/ensure-test-images.sh builds locally: no registry is needed.
const image = tinyImage;

// 10 positions, digits 0-3, and 4 wrong digits in 5 reset the lock: from position 0, random play
// gets through all 10 before a reset about once in 200 000 attempts. Go-Explore returns to the
// furthest positions it has reached and needs a few tries per position.
const lock: LockConfig = { code: [2, 0, 3, 1, 1, 3, 0, 2, 3, 1], digits: 4, resetPercent: 80, seed: 1009 };

const defaults = {
  seed: 7,
  workers: 2,
  explorationSteps: 4,
  baselineEpisodeSteps: 40,
  // Guards against a run that goes wrong, not budgets: on an idle 2-core machine Go-Explore
  // opens the lock in a few hundred steps and well under a minute (an engine under heavy load
  // can be ten times slower, hence the generous time).
  goExploreSteps: 2_000,
  goExploreTimeMs: 600_000,
};

const outDir = fileURLToPath(new URL('../out/', import.meta.url));
const defaultCheckpoint = `${outDir}checkpoint.json`;
const out = (text = ''): void => {
  process.stdout.write(`${text}\n`);
};

interface Options {
  /** The seed given with --seed; undefined for the default (and, on --resume, the checkpoint's). */
  readonly seed: number | undefined;
  readonly workers: number;
  /** Continue the run saved in the checkpoint, if there is one. */
  readonly resume: boolean;
  /** Where the run saves itself as it goes. */
  readonly checkpoint: string;
  /** How many positions of the lock to use: fewer make a quicker run. */
  readonly positions: number;
}

const usage =
  'usage: node dist/main.js [--seed <integer>] [--workers <count ≥ 1>] [--resume] [--checkpoint <file>] [--positions <2..10>]';

function options(): Options {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string' },
      workers: { type: 'string' },
      resume: { type: 'boolean' },
      checkpoint: { type: 'string' },
      positions: { type: 'string' },
    },
    // `pnpm start -- --resume` passes the `--` through.
    allowPositionals: true,
  });
  const seed = values.seed === undefined ? undefined : Number(values.seed);
  const workers = values.workers === undefined ? defaults.workers : Number(values.workers);
  const positions = values.positions === undefined ? lock.code.length : Number(values.positions);
  if (
    (seed !== undefined && !Number.isSafeInteger(seed)) ||
    !Number.isSafeInteger(workers) ||
    workers < 1 ||
    !Number.isSafeInteger(positions) ||
    positions < 2 ||
    positions > lock.code.length
  ) {
    throw new Error(usage);
  }
  return {
    seed,
    workers,
    resume: values.resume === true,
    checkpoint: resolve(values.checkpoint ?? defaultCheckpoint),
    positions,
  };
}

/** Checks the engine and the image first, so that a missing one gets a message, not a stack. */
async function preflight(factory: DockerFactory): Promise<string | undefined> {
  try {
    await factory.docker.ping();
  } catch (error) {
    return `No Docker engine answers (${(error as Error).message}). Start one (bash scripts/ensure-docker-engine.sh) or set DOCKER_HOST.`;
  }
  try {
    await factory.docker.getImage(image).inspect();
  } catch {
    return `The image ${image} is missing on this engine. Build it with: bash scripts/ensure-test-images.sh (or run pnpm demo from the repository root, which does it).`;
  }
  return undefined;
}

/**
 * What this process left on the engine, apart from the snapshots kept on purpose for a resume
 * (`keep: true`, under the checkpoint's label), which are counted separately.
 */
async function leftovers(
  factory: DockerFactory,
  checkpoint: string,
): Promise<{ containers: number; images: number; kept: number }> {
  const mine = { label: [`${snapboxLabels.session}=${currentSession().id}`] };
  const run = { label: [`${runLabels.checkpoint}=${checkpoint}`] };
  const [containers, images, ofRun] = await Promise.all([
    factory.docker.listContainers({ all: true, filters: mine }),
    factory.docker.listImages({ all: true, filters: mine }),
    factory.docker.listImages({ all: true, filters: run }),
  ]);
  const kept = ofRun.filter((image) => image.Labels?.[snapboxLabels.keep] === 'true');
  const keptIds = new Set(kept.map((image) => image.Id));
  return {
    containers: containers.length,
    images: images.filter((image) => !keptIds.has(image.Id)).length,
    kept: kept.length,
  };
}

const exists = (path: string): Promise<boolean> =>
  stat(path).then(
    () => true,
    () => false,
  );

function summary(
  goal: number,
  ge: GoExploreResult<number, LockObservation>,
  baseline: BaselineResult,
  workers: number,
): string {
  const opened = (score: number): string => (score >= goal ? 'yes' : 'no');
  return formatTable(
    ['', 'Go-Explore', 'no-return baseline'],
    [
      ['lock opened', opened(ge.best.score), opened(baseline.bestScore)],
      ['best position', `${ge.best.score}/${goal}`, `${baseline.bestScore}/${goal}`],
      ['container steps', String(ge.steps), String(baseline.steps)],
      ['starts', `${ge.returns} returns to archived states`, `${baseline.episodes} fresh containers`],
      ['snapshots', `${ge.snapshotsTaken} taken, ${ge.snapshotsDeleted} deleted`, 'none'],
      ['archive', `${ge.cells.length} cells`, '-'],
      ['workers', String(workers), String(workers)],
      ['stopped by', ge.stopReason, baseline.stopReason],
      ['wall time', seconds(ge.timing.totalMs), seconds(baseline.elapsedMs)],
    ],
  );
}

interface Setup {
  readonly factory: DockerFactory;
  readonly task: ReturnType<typeof createLockTask>;
  readonly lock: LockConfig;
  readonly goal: number;
  /** The seed given, or undefined: the default for a new run, the checkpoint's for a resume. */
  readonly seed: number | undefined;
  readonly workers: number;
  readonly signal: AbortSignal;
  readonly live: LiveLine;
  readonly checkpoint: string;
  /** Whether to continue the run saved in `checkpoint`. */
  readonly resume: boolean;
}

function runGoExplore(setup: Setup): Promise<GoExploreResult<number, LockObservation>> {
  const { factory, task, goal, seed, workers, signal, live, checkpoint, resume } = setup;
  let announced = false;
  return goExplore({
    factory,
    image,
    task,
    workers,
    // A resume continues with the checkpoint's seed unless one is given.
    ...(seed === undefined ? (resume ? {} : { seed: defaults.seed }) : { seed }),
    // Saved after every iteration: Ctrl-C or a kill loses at most the iterations in flight.
    ...(resume ? { resumeFrom: checkpoint } : { checkpoint: { path: checkpoint } }),
    onFailure: (failure) => {
      live.finish();
      out(`go-explore: ${failure.kind} failed (${String(failure.error)}); retrying from cell ${failure.cell ?? '-'}`);
    },
    explorationSteps: defaults.explorationSteps,
    // Count-based weights on times chosen and times visited, 1/√(n+1) each, as in the paper:
    // the positions every random walk passes through lose weight, the frontier keeps it.
    cellWeight: countBasedWeight({ chosen: 0.5, visited: 0.5 }),
    targetScore: goal,
    maxSteps: defaults.goExploreSteps,
    maxTimeMs: defaults.goExploreTimeMs,
    signal,
    onProgress: (progress) => {
      if (progress.resumed !== undefined && !announced) {
        announced = true;
        live.finish();
        describeResume(progress.resumed, goal);
      }
      live.update({
        label: 'go-explore',
        parts: [
          `iteration ${progress.iteration}`,
          `cells ${progress.cells}`,
          `best ${progress.bestScore}/${goal}`,
          `${progress.returnsPerSecond.toFixed(2)} returns/s`,
          `${progress.steps} steps`,
          ...(progress.failures > 0 ? [`${progress.failures} failures retried`] : []),
        ],
        elapsedMs: progress.elapsedMs,
      });
    },
  });
}

/** The baseline, the replay, the chart and the summary; returns whether the demo proved its point. */
async function compare(setup: Setup, ge: GoExploreResult<number, LockObservation>): Promise<boolean> {
  const { factory, task, lock, goal, workers, signal, live } = setup;
  const seed = typeof ge.seed === 'number' ? ge.seed : defaults.seed;
  const baseline = await runRandomRestarts({
    factory,
    image,
    task,
    workers,
    seed,
    maxSteps: ge.steps,
    episodeSteps: defaults.baselineEpisodeSteps,
    targetScore: goal,
    signal,
    onProgress: (progress) =>
      live.update({
        label: 'baseline',
        parts: [
          `episode ${progress.episodes}`,
          `best ${progress.bestScore}/${goal}`,
          `${progress.steps}/${ge.steps} steps`,
        ],
        elapsedMs: progress.elapsedMs,
      }),
  });
  live.finish();
  out(
    `baseline:   best position ${baseline.bestScore}/${goal} after ${baseline.steps} steps (${seconds(baseline.elapsedMs)})`,
  );
  out();

  out(`replaying the best trajectory (${ge.bestTrajectory.length} moves) in a fresh container:`);
  out(`  lock try ${ge.bestTrajectory.join(' ')}`);
  const check = await replay({ factory, image, task, trajectory: ge.bestTrajectory, inspect: lockStatus, signal });
  out(`  lock status -> ${check.inspection}`);
  const reproduced = check.score === ge.best.score && check.done === ge.best.done;
  out(
    `  ${reproduced ? 'reproduced' : 'NOT reproduced'}: the replay reached position ${check.score}, the run recorded ${ge.best.score}`,
  );
  out();

  await mkdir(outDir, { recursive: true });
  const chartPath = `${outDir}progress.svg`;
  await writeFile(
    chartPath,
    renderProgressChart({
      title: 'Best lock position against container steps',
      subtitle: `${goal}-digit lock (digits 0-${lock.digits - 1}, ${lock.resetPercent}% reset on a wrong digit), ${workers} workers, same step budget`,
      goal,
      goalLabel: 'open',
      series: [
        { name: 'Go-Explore', color: '#2563eb', points: ge.bestHistory, endSteps: ge.steps },
        { name: 'no-return baseline', color: '#dc2626', points: baseline.history, endSteps: baseline.steps },
      ],
    }),
  );

  out(summary(goal, ge, baseline, workers));
  const t = ge.timing;
  const average = (total: number, count: number): string => `${count === 0 ? '-' : Math.round(total / count)} ms`;
  out();
  out(
    `Go-Explore time, summed over workers: return ${seconds(t.returnMs)}, explore ${seconds(t.exploreMs)}, snapshot ${seconds(t.snapshotMs)}, cleanup ${seconds(t.cleanupMs)} (setup ${seconds(t.setupMs)})`,
  );
  out(
    `per operation: return ${average(t.returnMs, ge.returns + ge.staleReturns)}, step ${average(t.exploreMs, ge.steps)}, snapshot ${average(t.snapshotMs, ge.snapshotsTaken)}`,
  );
  out(`chart: ${chartPath}`);
  if (baseline.bestScore >= goal) out('note: the baseline opened the lock this time, a rare draw');

  let ok = true;
  if (ge.best.score < goal) {
    ok = false;
    process.stderr.write(`demo: Go-Explore did not open the lock (stopped by ${ge.stopReason})\n`);
  }
  if (!reproduced || check.inspection.endsWith('OPEN') !== ge.best.score >= goal) {
    ok = false;
    process.stderr.write('demo: the replay did not reproduce the best cell\n');
  }
  return ok;
}

/** Says what the resumed run took over from its checkpoint, as soon as it is loaded. */
function describeResume(resumed: ResumeSummary, goal: number): void {
  const orphans =
    resumed.orphansDeleted === 0
      ? ''
      : `; deleted ${resumed.orphansDeleted} snapshots the interrupted run took after its last checkpoint`;
  out(
    `resumed from ${resumed.path} (written ${resumed.writtenAt}): recovered ${resumed.iterations} iterations, ${resumed.steps} steps, ${resumed.cells} cells, best position ${resumed.bestScore}/${goal}${orphans}`,
  );
}

/** A checkpoint left by an interrupted run: resumed with --resume, discarded otherwise. */
async function prepareCheckpoint(factory: DockerFactory, checkpoint: string, resume: boolean): Promise<boolean> {
  const found = await exists(checkpoint);
  if (resume && !found) {
    out(`no checkpoint at ${checkpoint}: nothing to resume, starting a new run`);
    return false;
  }
  if (!resume && found) {
    const { snapshotsDeleted } = await deleteCheckpoint({ path: checkpoint, factory });
    out(
      `discarded the interrupted run saved at ${checkpoint} (${snapshotsDeleted} snapshots); \`npm run demo -- --resume\` would have continued it`,
    );
  }
  return resume;
}

async function main(): Promise<number> {
  const started = performance.now();
  const { seed, workers, resume, checkpoint, positions } = options();
  const factory = createDockerFactory({ pull: 'never' });
  const problem = await preflight(factory);
  if (problem !== undefined) {
    process.stderr.write(`demo: ${problem}\n`);
    return 1;
  }
  await mkdir(outDir, { recursive: true });
  const controller = new AbortController();
  process.once('SIGINT', () => {
    process.stderr.write('\ndemo: interrupted, saving the run (Ctrl-C again to quit at once)\n');
    controller.abort();
    process.once('SIGINT', () => process.exit(130));
  });
  const config: LockConfig = { ...lock, code: lock.code.slice(0, positions) };
  const setup: Setup = {
    factory,
    task: createLockTask(config),
    lock: config,
    goal: config.code.length,
    seed,
    workers,
    signal: controller.signal,
    live: new LiveLine(process.stderr),
    checkpoint,
    resume: await prepareCheckpoint(factory, checkpoint, resume),
  };

  out('snapbox demo: Go-Explore against a combination lock in a Docker container');
  out(
    `lock: ${setup.goal} positions, digits 0-${config.digits - 1}; a wrong digit resets it to 0 with ${config.resetPercent}% chance`,
  );
  out(
    `image ${image}, ${workers} workers, seed ${seed ?? (setup.resume ? "the checkpoint's" : defaults.seed)}; each return restores a snapshot and explores ${defaults.explorationSteps} random moves`,
  );
  out(`checkpoint: ${checkpoint} (interrupt with Ctrl-C, continue with \`npm run demo -- --resume\`)`);
  out();

  let ok = false;
  let clean = false;
  try {
    let ge: GoExploreResult<number, LockObservation>;
    try {
      ge = await runGoExplore(setup);
    } catch (error) {
      if (!CheckpointRefusedError.isInstance(error)) throw error;
      setup.live.finish();
      process.stderr.write(`demo: ${error.message}\nRun without --resume to start a new run.\n`);
      return 1;
    }
    setup.live.finish();
    if (controller.signal.aborted) {
      out(
        `go-explore: interrupted after ${ge.iterations} iterations, ${ge.steps} steps; the checkpoint ${ge.checkpointPath ?? '(none)'} keeps the run up to its last whole iteration: \`npm run demo -- --resume\` continues it`,
      );
    } else {
      const verdict = ge.best.score >= setup.goal ? 'OPENED' : 'not opened';
      out(`go-explore: ${verdict} after ${ge.steps} steps (${seconds(ge.timing.totalMs)})`);
      ok = await compare(setup, ge);
    }
  } finally {
    const left = await leftovers(factory, checkpoint);
    clean = left.containers + left.images === 0;
    const kept = left.kept === 0 ? '' : `; ${left.kept} snapshots kept for --resume`;
    out(
      `leftovers of this run: ${left.containers} containers, ${left.images} images${kept}${clean ? '' : '  <-- NOT CLEAN'}`,
    );
    out(`total demo time: ${seconds(performance.now() - started)}`);
  }
  if (!clean) return 1;
  if (controller.signal.aborted) return 130;
  return ok ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
