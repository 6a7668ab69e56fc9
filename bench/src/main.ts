/**
 * The bench: `node dist/main.js [--quick] [--only ops,transfers,throughput,chain,exit,goexplore]
 * [--out DIR] [--report-only results.json]`. Writes docs/benchmarks.md and its charts (a quick
 * run writes under bench/results/quick/ instead), and the raw numbers to bench/results/.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tinyImage } from '@snapbox/test-support';
import Docker from 'dockerode';
import { ApiCallRecorder } from './api-calls.js';
import { benchLabels, removeRun, removeStaleRuns } from './bench-resources.js';
import type { Box, Driver } from './drivers/driver.js';
import { FloorDriver } from './drivers/floor-driver.js';
import { makeDriver } from './drivers/make-driver.js';
import { ensurePythonDockerSdk } from './drivers/python-driver.js';
import { SnapboxDriver } from './drivers/snapbox-driver.js';
import { errorText } from './error-text.js';
import { describeMachine, loadAverage } from './machine.js';
import { renderReport } from './report.js';
import { type BenchResults, type Tool, toolLabels } from './results.js';
import { runChain } from './suites/chain.js';
import { measureExitCleanup, measureWorkerStartup } from './suites/exit-cleanup.js';
import { runGoExplore } from './suites/go-explore-run.js';
import { type RepBudget, runInterleaved } from './suites/interleave.js';
import { singleOps } from './suites/single-ops.js';
import { measureThroughput } from './suites/throughput.js';
import { runTransfers, type TransferSize } from './suites/transfers.js';

const benchRoot = fileURLToPath(new URL('..', import.meta.url));
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const image = tinyImage;
const suites = ['ops', 'transfers', 'throughput', 'chain', 'exit', 'goexplore'] as const;
type Suite = (typeof suites)[number];

interface Plan {
  ops: RepBudget;
  transfers: TransferSize[];
  /** Each concurrency with the tools measured at it (the floor only where it answers "is the client the limit?"). */
  throughput: { runs: { concurrency: number; tools: Tool[] }[]; execMs: number; cycleMs: number };
  chain: { generations: number; depths: number[]; tools: Tool[] };
  exitContainers: number;
  goExplore: { iterations: number; workers: number };
}

const KiB = 1024;
const MiB = 1024 * KiB;

const plans: Record<'quick' | 'full', Plan> = {
  quick: {
    ops: { reps: 3, minReps: 3, maxMs: 0 },
    transfers: [{ bytes: 10 * MiB, label: '10 MiB', reps: 3, minReps: 3, maxMs: 0 }],
    throughput: {
      runs: [
        { concurrency: 1, tools: ['snapbox', 'python', 'bubblewrap'] },
        { concurrency: 8, tools: ['snapbox', 'python', 'bubblewrap'] },
      ],
      execMs: 1_500,
      cycleMs: 2_500,
    },
    chain: { generations: 20, depths: [10, 20], tools: ['snapbox', 'floor'] },
    exitContainers: 5,
    goExplore: { iterations: 3, workers: 2 },
  },
  full: {
    ops: { reps: 20, minReps: 8, maxMs: 20_000 },
    transfers: [
      { bytes: KiB, label: '1 KiB', reps: 15, minReps: 8, maxMs: 8_000 },
      { bytes: 10 * MiB, label: '10 MiB', reps: 10, minReps: 5, maxMs: 12_000 },
      { bytes: 1024 * MiB, label: '1 GiB', reps: 2, minReps: 2, maxMs: 0, tools: ['floor', 'snapbox', 'python'] },
    ],
    throughput: {
      runs: [
        { concurrency: 1, tools: ['snapbox', 'python', 'bubblewrap'] },
        { concurrency: 8, tools: ['snapbox', 'python', 'bubblewrap'] },
        { concurrency: 32, tools: ['floor', 'snapbox', 'python'] },
      ],
      execMs: 4_000,
      cycleMs: 6_000,
    },
    chain: { generations: 300, depths: [10, 120, 130, 300], tools: ['snapbox', 'floor'] },
    exitContainers: 50,
    goExplore: { iterations: 10, workers: 2 },
  },
};

interface Args {
  quick: boolean;
  only: Set<Suite>;
  out: string | undefined;
  reportOnly: string | undefined;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { quick: false, only: new Set(suites), out: undefined, reportOnly: undefined };
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index] as string;
    const value = () => {
      const next = argv[++index];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      return next;
    };
    if (arg === '--quick') args.quick = true;
    else if (arg === '--only') {
      const wanted = value().split(',');
      for (const name of wanted)
        if (!(suites as readonly string[]).includes(name)) throw new Error(`unknown suite ${name}`);
      args.only = new Set(wanted as Suite[]);
    } else if (arg === '--out') args.out = value();
    else if (arg === '--report-only') args.reportOnly = value();
    else if (arg !== '--') throw new Error(`unknown argument ${arg}`);
  }
  return args;
}

/** Set by SIGINT / SIGTERM: the suites stop, and the signal handler cleans up and exits. */
let interrupted = false;

const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

async function writeReport(results: BenchResults, outDir: string): Promise<void> {
  const rendered = renderReport(results);
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, 'benchmarks.md'), rendered.markdown);
  for (const [name, svg] of Object.entries(rendered.charts)) await writeFile(join(outDir, name), svg);
  log(`wrote ${relative(process.cwd(), join(outDir, 'benchmarks.md'))}`);
  for (const outcome of rendered.targets) {
    log(`target ${outcome.met === undefined ? 'not measured' : outcome.met ? 'met' : 'MISSED'}: ${outcome.target}`);
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const outDirFor = (mode: 'quick' | 'full') =>
    args.out ?? (mode === 'quick' ? join(benchRoot, 'results', 'quick') : join(repoRoot, 'docs'));
  if (args.reportOnly !== undefined) {
    const saved = JSON.parse(await readFile(args.reportOnly, 'utf8')) as BenchResults;
    await writeReport(saved, outDirFor(saved.mode));
    return;
  }
  const mode = args.quick ? 'quick' : 'full';
  const outDir = outDirFor(mode);
  const plan = plans[mode];
  const engine = new Docker();
  try {
    await engine.ping();
  } catch (error) {
    throw new Error(`No Docker engine answers (${String(error)}); run: bash scripts/ensure-docker-engine.sh`);
  }
  if (
    !(await engine
      .getImage(image)
      .inspect()
      .then(
        () => true,
        () => false,
      ))
  ) {
    throw new Error(`The fixture image ${image} is missing; run: bash scripts/ensure-test-images.sh`);
  }
  const dockerPy = ensurePythonDockerSdk();
  const stale = await removeStaleRuns(engine);
  if (stale.containers + stale.images > 0)
    log(`removed ${stale.containers} containers and ${stale.images} images of killed bench runs`);

  const runId = randomUUID();
  const labels = benchLabels(runId);
  const workDir = await mkdtemp(join(tmpdir(), 'snapbox-bench-'));
  const drivers: Driver[] = [];
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    log(`${signal}: removing this run's containers and images`);
    const exit = () => process.exit(signal === 'SIGINT' ? 130 : 143);
    setTimeout(exit, 30_000).unref();
    // snapbox's own containers and snapshots are removed by its exit cleanup, in 'exit'.
    Promise.all(drivers.map((driver) => driver.close().catch(() => undefined)))
      .then(async () => {
        // An operation in flight (here, in a child, or a `docker` process) may still create a
        // container after a sweep: sweep until two in a row, 2 s apart, find nothing.
        let quiet = 0;
        for (let round = 0; round < 10 && quiet < 2; round++) {
          const removed = await removeRun(engine, runId);
          quiet = removed.containers + removed.images === 0 ? quiet + 1 : 0;
          await new Promise((resolve) => setTimeout(resolve, 2_000));
        }
      })
      .then(() => rm(workDir, { recursive: true, force: true }))
      .finally(exit);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const results: BenchResults = {
    startedAt: new Date().toISOString(),
    mode,
    command: args.quick ? 'pnpm bench --quick' : 'pnpm bench',
    image,
    machine: await describeMachine(engine, dockerPy),
    ops: [],
    transfers: [],
    throughput: [],
    chains: [],
    chainDepths: plan.chain.depths,
    exitCleanup: [],
    goExplore: { status: 'skipped', reason: 'not run (--only)' },
    notes: [],
  };
  log(`${mode} run ${runId}; load ${results.machine.loadBefore}`);
  const begun = performance.now();
  const phase = (name: string) => log(`${name} (${Math.round((performance.now() - begun) / 1000)} s in)`);
  try {
    const floor = new FloorDriver(new Docker(), image, labels);
    const snapbox = new SnapboxDriver(new Docker(), image, labels);
    const others = (['python', 'cli', 'testcontainers', 'bubblewrap'] as const).map((tool) =>
      makeDriver(tool, image, labels),
    );
    drivers.push(floor, snapbox, ...others);
    const byTool = new Map<Tool, Driver>(drivers.map((driver) => [driver.tool, driver]));
    const recorders = {
      floor: new ApiCallRecorder(floor.docker),
      snapbox: new ApiCallRecorder(snapbox.factory.docker),
    };

    if (args.only.has('ops')) {
      phase('single operations');
      const bases = new Map<Driver, Box>();
      try {
        const started = await Promise.allSettled(
          drivers.map(async (driver) => bases.set(driver, (await driver.start()).value)),
        );
        for (const outcome of started) {
          if (outcome.status === 'rejected')
            results.notes.push(`a base container failed to start: ${errorText(outcome.reason)}`);
        }
        for (const spec of singleOps(engine, bases)) {
          if (interrupted) return;
          results.ops.push(await runInterleaved(spec, drivers, plan.ops, recorders, log));
        }
      } finally {
        await Promise.all([...bases].map(([driver, box]) => driver.remove(box).catch(() => undefined)));
      }
    }
    if (args.only.has('transfers') && !interrupted) {
      phase('transfers');
      results.transfers = await runTransfers({
        tools: drivers.map((driver) => driver.tool),
        sizes: plan.transfers,
        image,
        runId,
        workDir,
        log,
      });
      for (const size of plan.transfers) {
        if (size.tools !== undefined) {
          results.notes.push(
            `${size.label} transfers ran with ${size.tools.map((tool) => toolLabels[tool]).join(', ')} only, to keep the run within its time budget; the docker CLI and testcontainers stream archives too (see their 10 MiB peaks).`,
          );
        }
      }
    }
    if (args.only.has('throughput') && !interrupted) {
      phase('throughput');
      for (const { concurrency, tools } of plan.throughput.runs) {
        for (const tool of tools) {
          if (interrupted) return;
          const rows = await measureThroughput(byTool.get(tool) as Driver, concurrency, {
            exec: plan.throughput.execMs,
            cycle: plan.throughput.cycleMs,
          });
          for (const row of rows) {
            log(`throughput ${row.kind} ×${concurrency} ${tool}: ${row.error ?? `${row.perSecond.toFixed(2)}/s`}`);
          }
          results.throughput.push(...rows);
        }
      }
    }
    if (args.only.has('chain') && !interrupted) {
      phase('snapshot chain');
      for (const tool of plan.chain.tools) {
        if (interrupted) return;
        const driver = byTool.get(tool) as Driver;
        const chain = await runChain(driver, engine, plan.chain.generations, log);
        log(
          `chain ${tool}: ${chain.generations.length} generations${chain.failedAt ? `, failed at ${chain.failedAt.generation}` : ''}`,
        );
        results.chains.push(chain);
      }
    }
    if (args.only.has('exit') && !interrupted) {
      phase('exit cleanup');
      for (const exitMode of ['stopAndRemoveSync', 'session-cleanup'] as const) {
        try {
          const row = await measureExitCleanup(engine, exitMode, plan.exitContainers, image, labels);
          log(`exit cleanup ${exitMode}: ${Math.round(row.exitToEndMs)} ms, ${row.leftover} left`);
          results.exitCleanup.push(row);
        } catch (error) {
          results.notes.push(`exit cleanup (${exitMode}) failed: ${errorText(error)}`);
        }
      }
    }
    if (args.only.has('exit') && !interrupted) results.exitCleanupBreakdown = measureWorkerStartup();
    if (args.only.has('goexplore') && !interrupted) {
      phase('Go-Explore');
      try {
        results.goExplore = await runGoExplore(snapbox.factory, image, labels, plan.goExplore);
      } catch (error) {
        results.goExplore = { status: 'skipped', reason: `the run failed: ${errorText(error)}` };
      }
    }
    phase('done');
  } finally {
    if (!interrupted) {
      await Promise.all(drivers.map((driver) => driver.close().catch(() => undefined)));
      const left = await removeRun(engine, runId);
      if (left.containers + left.images > 0) {
        results.notes.push(
          `cleanup at the end removed ${left.containers} containers and ${left.images} images left by the tools`,
        );
      }
      await rm(workDir, { recursive: true, force: true });
    }
  }
  if (interrupted) return;
  results.finishedAt = new Date().toISOString();
  results.machine.loadAfter = loadAverage();
  const resultsDir = join(benchRoot, 'results');
  await mkdir(resultsDir, { recursive: true });
  await writeFile(join(resultsDir, `${mode}.json`), `${JSON.stringify(results, null, 2)}\n`);
  await writeReport(results, outDir);
}

main().then(
  () => {
    if (!interrupted) process.exit(0);
  },
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
