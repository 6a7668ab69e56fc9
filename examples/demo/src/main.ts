import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  CheckpointRefusedError,
  countBasedWeight,
  deleteCheckpoint,
  type GoExploreResult,
  goExplore,
  type ReplayResult,
  type ResumeSummary,
  replay,
} from '@snapbox/go-explore';
import { tinyImage } from '@snapbox/test-support';
import {
  type BackendName,
  backendNames,
  backendTitles,
  type DemoBackend,
  isWorking,
  leftovers,
  openBackend,
} from './backends.js';
import { runRandomRestarts } from './baseline.js';
import { demoCharts } from './demo-charts.js';
import { createLockTask, type LockConfig, type LockObservation, lockStatus } from './lock.js';
import { formatTable, LiveLine, perSecond, ratio, seconds } from './report.js';
import {
  type BaselineRun,
  baselineRun,
  type DemoRecord,
  type DemoSettings,
  type GoExploreRun,
  goExploreRun,
  newRecord,
  readRecord,
  writeRecord,
} from './run-record.js';

/**
 * The demo: Go-Explore opens a combination lock inside a container, on the bubblewrap backend and
 * on Docker side by side (returns per second), over several seeds; random play with the same
 * number of container steps (restarting from scratch, never returning) does not open it.
 */

// The fixture image that scripts/ensure-test-images.sh builds locally: no registry is needed.
const image = tinyImage;

// 10 positions, digits 0-3, and 4 wrong digits in 5 reset the lock: from position 0, random play
// gets through all 10 before a reset about once in 200 000 attempts. Go-Explore returns to the
// furthest positions it has reached and needs a few tries per position.
const lock: LockConfig = { code: [2, 0, 3, 1, 1, 3, 0, 2, 3, 1], digits: 4, resetPercent: 80, seed: 1009 };

const defaults = {
  seed: 7,
  seeds: 5,
  workers: 2,
  explorationSteps: 4,
  baselineEpisodeSteps: 40,
  backends: ['bubblewrap', 'docker'] as BackendName[],
  // Guards against a run that goes wrong, not budgets: on an idle 2-core machine Go-Explore
  // opens the lock in a few hundred steps, in seconds on bubblewrap and well under a minute on
  // Docker (an engine under heavy load can be ten times slower, hence the generous time).
  goExploreSteps: 2_000,
  goExploreTimeMs: 600_000,
};

const out = (text = ''): void => {
  process.stdout.write(`${text}\n`);
};

/** The command line. Options left out are undefined: defaults for a new demo, the record's on --resume. */
interface Options {
  readonly seed: number | undefined;
  readonly seeds: number | undefined;
  readonly workers: number | undefined;
  readonly positions: number | undefined;
  readonly backends: readonly BackendName[] | undefined;
  /** Continue the demo saved in the out folder, if it was interrupted. */
  readonly resume: boolean;
  /** Where the record, the checkpoints and the charts go. */
  readonly out: string;
}

const usage =
  'usage: node dist/main.js [--seed <integer>] [--seeds <count ≥ 1>] [--workers <count ≥ 1>] [--positions <2..10>] [--backends bubblewrap,docker] [--resume] [--out <folder>]';

function options(): Options {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string' },
      seeds: { type: 'string' },
      workers: { type: 'string' },
      positions: { type: 'string' },
      backends: { type: 'string' },
      resume: { type: 'boolean' },
      out: { type: 'string' },
    },
    // `pnpm start -- --resume` passes the `--` through.
    allowPositionals: true,
  });
  const integer = (text: string | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined => {
    if (text === undefined) return undefined;
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value < min || value > max) throw new Error(usage);
    return value;
  };
  const backends = values.backends?.split(',').map((name) => name.trim());
  if (
    backends !== undefined &&
    (backends.length === 0 ||
      new Set(backends).size !== backends.length ||
      backends.some((name) => !(backendNames as readonly string[]).includes(name)))
  ) {
    throw new Error(usage);
  }
  return {
    seed: integer(values.seed, Number.MIN_SAFE_INTEGER),
    seeds: integer(values.seeds, 1, 50),
    workers: integer(values.workers, 1, 64),
    positions: integer(values.positions, 2, lock.code.length),
    backends: backends as BackendName[] | undefined,
    resume: values.resume === true,
    out: resolve(values.out ?? fileURLToPath(new URL('../out/', import.meta.url))),
  };
}

function settingsOf(options: Options): DemoSettings {
  const first = options.seed ?? defaults.seed;
  return {
    image,
    lock: { ...lock, code: lock.code.slice(0, options.positions ?? lock.code.length) },
    workers: options.workers ?? defaults.workers,
    explorationSteps: defaults.explorationSteps,
    seeds: Array.from({ length: options.seeds ?? defaults.seeds }, (_, index) => first + index),
    baselineEpisodeSteps: defaults.baselineEpisodeSteps,
    backends: options.backends ?? defaults.backends,
  };
}

/** The options given that differ from the interrupted demo's settings, as `--flag value`. */
function conflicts(options: Options, settings: DemoSettings): string[] {
  const found: string[] = [];
  const differs = (given: unknown, recorded: unknown, flag: string) => {
    if (given !== undefined && JSON.stringify(given) !== JSON.stringify(recorded)) {
      found.push(`${flag} ${Array.isArray(recorded) ? recorded.join(',') : String(recorded)}`);
    }
  };
  differs(options.seed, settings.seeds[0], '--seed');
  differs(options.seeds, settings.seeds.length, '--seeds');
  differs(options.workers, settings.workers, '--workers');
  differs(options.positions, settings.lock.code.length, '--positions');
  differs(options.backends, settings.backends, '--backends');
  return found;
}

const exists = (path: string): Promise<boolean> =>
  stat(path).then(
    () => true,
    () => false,
  );

/** Everything one part of the demo needs. */
interface Demo {
  readonly settings: DemoSettings;
  readonly record: DemoRecord;
  readonly recordPath: string;
  readonly checkpointsDir: string;
  readonly outDir: string;
  readonly task: ReturnType<typeof createLockTask>;
  readonly goal: number;
  readonly signal: AbortSignal;
  readonly live: LiveLine;
  /** Whether checkpoints found in `checkpointsDir` are continued. */
  readonly resuming: boolean;
}

const checkpointOf = (demo: Demo, backend: BackendName, seed: number): string =>
  join(demo.checkpointsDir, `${backend}-seed-${seed}.json`);

/**
 * Discards what an interrupted demo left: its checkpoints, with their snapshots (on the backend
 * each names). A checkpoint of a backend that does not work now is left, with a note.
 */
async function discardCheckpoints(checkpointsDir: string, backends: readonly DemoBackend[]): Promise<void> {
  const files = (await readdir(checkpointsDir)).filter((name) => name.endsWith('.json'));
  for (const name of files) {
    const path = join(checkpointsDir, name);
    let backendName: string | undefined;
    try {
      backendName = (JSON.parse(await readFile(path, 'utf8')) as { backend?: string }).backend;
    } catch {
      backendName = undefined;
    }
    const backend = backends.find((candidate) => candidate.name === backendName);
    if (backend === undefined) {
      out(`left ${path} alone: its backend (${backendName ?? 'unknown'}) is not available now`);
      continue;
    }
    const { snapshotsDeleted } = await deleteCheckpoint({ path, factory: backend.factory });
    out(
      `discarded the interrupted run saved at ${path} (${snapshotsDeleted} snapshots); \`npm run demo -- --resume\` would have continued it`,
    );
  }
}

/** Says what a resumed run took over from its checkpoint, as soon as it is loaded. */
function describeResume(resumed: ResumeSummary, goal: number): void {
  const orphans =
    resumed.orphansDeleted === 0
      ? ''
      : `; deleted ${resumed.orphansDeleted} snapshots the interrupted run took after its last checkpoint`;
  out(
    `resumed from ${resumed.path} (written ${resumed.writtenAt}): recovered ${resumed.iterations} iterations, ${resumed.steps} steps, ${resumed.cells} cells, best position ${resumed.bestScore}/${goal}${orphans}`,
  );
}

/** One Go-Explore run, checkpointed after every iteration (continued from its checkpoint when resuming). */
async function runGoExplore(
  demo: Demo,
  backend: DemoBackend,
  seed: number,
): Promise<GoExploreResult<number, LockObservation>> {
  const { settings, task, goal, signal, live } = demo;
  const checkpoint = checkpointOf(demo, backend.name, seed);
  const resume = demo.resuming && (await exists(checkpoint));
  const label = `${backend.name} s${seed}`;
  let announced = false;
  return goExplore({
    factory: backend.factory,
    image: settings.image,
    task,
    workers: settings.workers,
    seed,
    // Saved after every iteration: Ctrl-C or a kill loses at most the iterations in flight.
    ...(resume ? { resumeFrom: checkpoint } : { checkpoint: { path: checkpoint } }),
    onFailure: (failure) => {
      live.finish();
      out(`go-explore: ${failure.kind} failed (${String(failure.error)}); retrying from cell ${failure.cell ?? '-'}`);
    },
    explorationSteps: settings.explorationSteps,
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
        label,
        parts: [
          `go-explore iteration ${progress.iteration}`,
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

const average = (total: number, count: number): string => (count === 0 ? '-' : `${Math.round(total / count)} ms`);

/** Returns per second and where the time went, one column per backend: the same seeded run on each. */
function speedTable(runs: readonly GoExploreRun[], goal: number): string {
  const slowest = Math.min(...runs.map((run) => run.returnsPerSecond));
  const column = (pick: (run: GoExploreRun) => string) => runs.map(pick);
  return formatTable(
    ['', ...runs.map((run) => backendTitles[run.backend])],
    [
      ['returns per second', ...column((run) => perSecond(run.returnsPerSecond))],
      ['speed-up', ...column((run) => (slowest > 0 ? ratio(run.returnsPerSecond / slowest) : '-'))],
      ['lock opened', ...column((run) => (run.opened ? 'yes' : `no (${run.bestScore}/${goal})`))],
      ['container steps', ...column((run) => String(run.steps))],
      ['returns', ...column((run) => String(run.returns))],
      ['wall time', ...column((run) => seconds(run.timing.totalMs))],
      ['per return', ...column((run) => average(run.timing.returnMs, run.returns + run.staleReturns))],
      ['per step', ...column((run) => average(run.timing.exploreMs, run.steps))],
      ['per snapshot', ...column((run) => average(run.timing.snapshotMs, run.snapshotsTaken))],
      [
        'resumed',
        ...column((run) => (run.resumed === undefined ? 'no' : `after ${run.resumed.iterations} iterations`)),
      ],
    ],
  );
}

/** Go-Explore against the baseline for the first seed, as the demo has always shown it. */
function summaryTable(goal: number, ge: GoExploreRun, baseline: BaselineRun, workers: number): string {
  const opened = (score: number): string => (score >= goal ? 'yes' : 'no');
  return formatTable(
    ['', 'Go-Explore', 'no-return baseline'],
    [
      ['lock opened', opened(ge.bestScore), opened(baseline.bestScore)],
      ['best position', `${ge.bestScore}/${goal}`, `${baseline.bestScore}/${goal}`],
      ['container steps', String(ge.steps), String(baseline.steps)],
      ['starts', `${ge.returns} returns to archived states`, `${baseline.episodes} fresh containers`],
      ['snapshots', `${ge.snapshotsTaken} taken, ${ge.snapshotsDeleted} deleted`, 'none'],
      ['cells', `${ge.cellsHistory.length} in the archive`, `${baseline.cellsHistory.length} positions reached`],
      ['workers', String(workers), String(workers)],
      ['stopped by', ge.stopReason, baseline.stopReason],
      ['wall time', seconds(ge.timing.totalMs), seconds(baseline.elapsedMs)],
    ],
  );
}

/** One line per seed: how Go-Explore and the baseline did. */
function seedsTable(goal: number, runs: readonly GoExploreRun[], baselines: readonly BaselineRun[]): string {
  return formatTable(
    ['seed', 'Go-Explore', 'no-return baseline'],
    runs.map((run) => {
      const baseline = baselines.find((candidate) => candidate.seed === run.seed);
      return [
        String(run.seed),
        `${run.opened ? `opened after ${run.steps} steps` : `best ${run.bestScore}/${goal} in ${run.steps} steps`}, ${run.cellsHistory.length} cells, ${perSecond(run.returnsPerSecond)} returns/s`,
        baseline === undefined
          ? '-'
          : `best ${baseline.bestScore}/${goal} in ${baseline.steps} steps, ${baseline.cellsHistory.length} positions reached`,
      ];
    }),
  );
}

/** Runs what the record does not hold yet; false when interrupted (the record says how far it got). */
async function runAll(demo: Demo, backends: readonly DemoBackend[]): Promise<boolean> {
  const { settings, record, goal } = demo;
  const [primary, ...others] = backends as [DemoBackend, ...DemoBackend[]];
  const [first] = settings.seeds as [number, ...number[]];
  const plan = [
    { backend: primary, seed: first },
    ...others.map((backend) => ({ backend, seed: first })),
    ...settings.seeds.slice(1).map((seed) => ({ backend: primary, seed })),
  ];
  for (const { backend, seed } of plan) {
    const title = `${backendTitles[backend.name]}, seed ${seed}`;
    const done = record.goExplore.find((run) => run.backend === backend.name && run.seed === seed);
    if (done !== undefined) {
      out(`go-explore on ${title}: done before the interruption (${done.steps} steps)`);
      continue;
    }
    const result = await runGoExplore(demo, backend, seed);
    demo.live.finish();
    if (demo.signal.aborted) {
      out(
        `go-explore on ${title}: interrupted after ${result.iterations} iterations, ${result.steps} steps; the checkpoint ${result.checkpointPath ?? '(none)'} keeps the run up to its last whole iteration: \`npm run demo -- --resume\` continues it`,
      );
      return false;
    }
    const run = goExploreRun(backend.name, seed, settings.workers, goal, result);
    record.goExplore.push(run);
    await writeRecord(demo.recordPath, record);
    out(
      `go-explore on ${title}: ${run.opened ? 'OPENED' : 'not opened'} after ${run.steps} steps (${seconds(run.timing.totalMs)}, ${perSecond(run.returnsPerSecond)} returns/s)`,
    );
  }

  // The baseline gets as many steps as the longest Go-Explore run, for every seed.
  const ofPrimary = settings.seeds.map(
    (seed) => record.goExplore.find((run) => run.backend === primary.name && run.seed === seed) as GoExploreRun,
  );
  const budget = Math.max(...ofPrimary.map((run) => run.steps));
  for (const seed of settings.seeds) {
    if (record.baseline.some((run) => run.backend === primary.name && run.seed === seed)) continue;
    const result = await runRandomRestarts({
      factory: primary.factory,
      image: settings.image,
      task: demo.task,
      workers: settings.workers,
      seed,
      maxSteps: budget,
      episodeSteps: settings.baselineEpisodeSteps,
      targetScore: goal,
      signal: demo.signal,
      onProgress: (progress) =>
        demo.live.update({
          label: `${primary.name} s${seed}`,
          parts: [
            `baseline episode ${progress.episodes}`,
            `best ${progress.bestScore}/${goal}`,
            `${progress.steps}/${budget} steps`,
          ],
          elapsedMs: progress.elapsedMs,
        }),
    });
    demo.live.finish();
    if (demo.signal.aborted) {
      out(
        `baseline on ${backendTitles[primary.name]}, seed ${seed}: interrupted; \`npm run demo -- --resume\` runs it again and goes on`,
      );
      return false;
    }
    record.baseline.push(baselineRun(primary.name, seed, result));
    await writeRecord(demo.recordPath, record);
    out(
      `baseline on ${backendTitles[primary.name]}, seed ${seed}: best position ${result.bestScore}/${goal} after ${result.steps} steps (${seconds(result.elapsedMs)})`,
    );
  }
  return true;
}

/** The replay, the tables and the charts; returns whether the demo proved its point. */
async function report(demo: Demo, backends: readonly DemoBackend[]): Promise<boolean> {
  const { settings, record, goal, signal } = demo;
  const primary = backends[0] as DemoBackend;
  const first = settings.seeds[0] as number;
  const main = record.goExplore.find((run) => run.backend === primary.name && run.seed === first) as GoExploreRun;
  out();
  out(
    `replaying the best trajectory of ${backendTitles[primary.name]}, seed ${first} (${main.bestTrajectory.length} moves) in a fresh container:`,
  );
  out(`  lock try ${main.bestTrajectory.join(' ')}`);
  let check: ReplayResult<LockObservation, string>;
  try {
    check = await replay({
      factory: primary.factory,
      image: settings.image,
      task: demo.task,
      trajectory: main.bestTrajectory,
      inspect: lockStatus,
      signal,
    });
  } catch (error) {
    if (!signal.aborted) throw error;
    out('  interrupted; `npm run demo -- --resume` replays it and goes on');
    return false;
  }
  out(`  lock status -> ${check.inspection}`);
  const reproduced = check.score === main.bestScore && check.inspection.endsWith('OPEN') === main.opened;
  out(
    `  ${reproduced ? 'reproduced' : 'NOT reproduced'}: the replay reached position ${check.score}, the run recorded ${main.bestScore}`,
  );
  record.replay = { backend: primary.name, trajectory: main.bestTrajectory, inspection: check.inspection, reproduced };

  const speeds = backends
    .map((backend) => record.goExplore.find((run) => run.backend === backend.name && run.seed === first))
    .filter((run): run is GoExploreRun => run !== undefined);
  out();
  out(
    `Go-Explore, seed ${first}, ${settings.workers} workers, on each backend (every run checkpointed after each iteration):`,
  );
  out(speedTable(speeds, goal));

  const runs = settings.seeds.map(
    (seed) => record.goExplore.find((run) => run.backend === primary.name && run.seed === seed) as GoExploreRun,
  );
  const baselines = settings.seeds.map(
    (seed) => record.baseline.find((run) => run.backend === primary.name && run.seed === seed) as BaselineRun,
  );
  out();
  out(`Go-Explore against the no-return baseline, seed ${first} on ${backendTitles[primary.name]}:`);
  out(summaryTable(goal, main, baselines[0] as BaselineRun, settings.workers));
  out();
  out(
    `every seed on ${backendTitles[primary.name]} (the baseline had ${Math.max(...runs.map((run) => run.steps))} steps for each, as many as the longest Go-Explore run):`,
  );
  out(seedsTable(goal, runs, baselines));

  const rendered = demoCharts(record);
  const charts = {
    progress: join(demo.outDir, 'progress.svg'),
    cells: join(demo.outDir, 'cells.svg'),
    time: join(demo.outDir, 'time.svg'),
  };
  for (const name of ['progress', 'cells', 'time'] as const) await writeFile(charts[name], rendered[name]);
  record.complete = true;
  await writeRecord(demo.recordPath, record);
  out();
  out(`charts: ${charts.progress}, ${charts.cells}, ${charts.time}`);
  out(`run record: ${demo.recordPath}`);
  if (baselines.some((run) => run.bestScore >= goal)) out('note: the baseline opened the lock this time, a rare draw');

  let ok = true;
  for (const run of record.goExplore) {
    if (!run.opened) {
      ok = false;
      process.stderr.write(
        `demo: Go-Explore on ${backendTitles[run.backend]}, seed ${run.seed}, did not open the lock (stopped by ${run.stopReason})\n`,
      );
    }
  }
  if (!reproduced) {
    ok = false;
    process.stderr.write('demo: the replay did not reproduce the best cell\n');
  }
  return ok;
}

async function main(): Promise<number> {
  const started = performance.now();
  const given = options();
  const outDir = given.out;
  const recordPath = join(outDir, 'run.json');
  const checkpointsDir = join(outDir, 'checkpoints') + sep;
  await mkdir(checkpointsDir, { recursive: true });

  const previous = await readRecord(recordPath);
  const resuming = given.resume && previous !== undefined && !previous.complete;
  if (resuming) {
    const differing = conflicts(given, previous.settings);
    if (differing.length > 0) {
      process.stderr.write(
        `demo: the interrupted demo in ${outDir} ran with ${differing.join(', ')}; resume it with the same options (or none), or run without --resume to start over\n`,
      );
      return 1;
    }
  } else if (given.resume) {
    out(`no interrupted demo in ${outDir}: nothing to resume, starting a new run`);
  }
  const settings = resuming ? previous.settings : settingsOf(given);
  const record = resuming ? previous : newRecord(settings);
  const goal = settings.lock.code.length;

  out('snapbox demo: Go-Explore against a combination lock in a container, on bubblewrap and on Docker');
  out(
    `lock: ${goal} positions, digits 0-${settings.lock.digits - 1}; a wrong digit resets it to 0 with ${settings.lock.resetPercent}% chance`,
  );
  const seeds = settings.seeds;
  out(
    `image ${image}, ${settings.workers} workers, ${seeds.length === 1 ? `seed ${seeds[0]}` : `seeds ${seeds[0]}-${seeds.at(-1)}`}; each return restores a snapshot and explores ${settings.explorationSteps} random moves`,
  );

  const found = [];
  for (const name of settings.backends) found.push(await openBackend(name, image));
  const backends = found.filter(isWorking);
  record.backends = found.map((backend) =>
    isWorking(backend)
      ? { name: backend.name, where: backend.where }
      : { name: backend.name, problem: backend.problem },
  );
  for (const backend of found) {
    out(
      isWorking(backend)
        ? `backend ${backendTitles[backend.name]}: ${backend.where}`
        : `backend ${backendTitles[backend.name]}: not available here, left out: ${backend.problem}`,
    );
  }
  if (backends.length === 0) {
    process.stderr.write('demo: no backend works here (see above)\n');
    return 1;
  }
  const main = (backends[0] as DemoBackend).name;
  if (resuming && record.main !== undefined && record.main !== main) {
    process.stderr.write(
      `demo: the interrupted demo in ${outDir} ran its seeds on ${backendTitles[record.main]}, which does not work here now; run without --resume to start over\n`,
    );
    return 1;
  }
  record.main = main;
  if (!resuming) await discardCheckpoints(checkpointsDir, backends);
  await writeRecord(recordPath, record);
  out(
    `run record: ${recordPath}; every run checkpoints to ${checkpointsDir} (interrupt with Ctrl-C, continue with \`npm run demo -- --resume\`)`,
  );
  out();

  const controller = new AbortController();
  process.once('SIGINT', () => {
    process.stderr.write('\ndemo: interrupted, saving the run (Ctrl-C again to quit at once)\n');
    controller.abort();
    process.once('SIGINT', () => process.exit(130));
  });
  const demo: Demo = {
    settings,
    record,
    recordPath,
    checkpointsDir,
    outDir,
    task: createLockTask(settings.lock),
    goal,
    signal: controller.signal,
    live: new LiveLine(process.stderr),
    resuming,
  };

  let ok = false;
  let clean = true;
  try {
    try {
      if (await runAll(demo, backends)) ok = await report(demo, backends);
    } catch (error) {
      if (!CheckpointRefusedError.isInstance(error)) throw error;
      demo.live.finish();
      process.stderr.write(`demo: ${error.message}\nRun without --resume to start a new run.\n`);
      return 1;
    }
  } finally {
    demo.live.finish();
    for (const backend of backends) {
      const left = await leftovers(backend, checkpointsDir);
      const kept = left.kept === 0 ? '' : `; ${left.kept} snapshots kept for --resume`;
      const backendClean = left.containers + left.snapshots === 0;
      clean &&= backendClean;
      out(
        `leftovers of this run on ${backendTitles[backend.name]}: ${left.containers} containers, ${left.snapshots} snapshots${kept}${backendClean ? '' : '  <-- NOT CLEAN'}`,
      );
    }
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
