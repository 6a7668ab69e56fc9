import { randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { arch, cpus, platform } from 'node:os';
import type { GoExploreResult, GoExploreTiming, StopReason } from '@snapbox/go-explore';
import type { BackendName } from './backends.js';
import type { BaselineResult } from './baseline.js';
import type { LockConfig, LockObservation } from './lock.js';

/** The `format` of the demo's run record. */
export const recordFormat = 'snapbox.demo.run';
/** Its version: a record of another version is not resumed. */
export const recordVersion = 1;

/** What decides the demo's runs: a resume continues only a record made with the same settings. */
export interface DemoSettings {
  readonly image: string;
  readonly lock: LockConfig;
  readonly workers: number;
  readonly explorationSteps: number;
  /** Every seed, the first one being the run compared across backends (and replayed). */
  readonly seeds: readonly number[];
  readonly baselineEpisodeSteps: number;
  /** The backends asked for, in order; the first that works runs every seed. */
  readonly backends: readonly BackendName[];
}

/** One Go-Explore run, as the charts, the tables and a resume need it. */
export interface GoExploreRun {
  readonly backend: BackendName;
  readonly seed: number;
  readonly workers: number;
  readonly stopReason: StopReason;
  readonly opened: boolean;
  readonly bestScore: number;
  readonly steps: number;
  readonly iterations: number;
  readonly returns: number;
  readonly staleReturns: number;
  readonly snapshotsTaken: number;
  readonly snapshotsDeleted: number;
  readonly failures: number;
  readonly timing: GoExploreTiming;
  /** Successful returns per second of the run's wall time. */
  readonly returnsPerSecond: number;
  /** Each rise of the best position: at how many container steps, and how long into the run (ms). */
  readonly bestHistory: readonly { readonly steps: number; readonly score: number; readonly elapsedMs: number }[];
  /** Each cell's discovery: the archive's size against container steps. */
  readonly cellsHistory: readonly { readonly steps: number; readonly cells: number }[];
  readonly bestTrajectory: readonly number[];
  /** For a run continued from its checkpoint: the iterations and steps it recovered. */
  readonly resumed: { readonly iterations: number; readonly steps: number } | undefined;
}

/** One no-return baseline run. */
export interface BaselineRun {
  readonly backend: BackendName;
  readonly seed: number;
  readonly stopReason: BaselineResult['stopReason'];
  readonly bestScore: number;
  readonly steps: number;
  readonly episodes: number;
  readonly elapsedMs: number;
  readonly bestHistory: BaselineResult['history'];
  readonly cellsHistory: BaselineResult['cellsHistory'];
}

/** The replay of the first seed's best trajectory in a fresh container. */
export interface ReplayRecord {
  readonly backend: BackendName;
  readonly trajectory: readonly number[];
  readonly inspection: string;
  readonly reproduced: boolean;
}

/**
 * The demo's run record (`out/run.json`): its settings, the backends it found, and every run it
 * finished, written after each one. `npm run demo -- --resume` continues an incomplete one.
 */
export interface DemoRecord {
  readonly format: typeof recordFormat;
  readonly version: typeof recordVersion;
  readonly startedAt: string;
  updatedAt: string;
  /** True once every run, the replay and the charts are done. */
  complete: boolean;
  readonly host: { readonly platform: string; readonly arch: string; readonly cpus: number; readonly node: string };
  readonly settings: DemoSettings;
  /** What each backend asked for turned out to be here. */
  backends: { readonly name: BackendName; readonly where?: string; readonly problem?: string }[];
  /** The first backend that works: it runs every seed, the baseline and the replay. */
  main: BackendName | undefined;
  readonly goExplore: GoExploreRun[];
  readonly baseline: BaselineRun[];
  replay: ReplayRecord | undefined;
}

/** A fresh record for `settings`. */
export function newRecord(settings: DemoSettings): DemoRecord {
  const now = new Date().toISOString();
  return {
    format: recordFormat,
    version: recordVersion,
    startedAt: now,
    updatedAt: now,
    complete: false,
    host: { platform: platform(), arch: arch(), cpus: cpus().length, node: process.version },
    settings,
    backends: [],
    main: undefined,
    goExplore: [],
    baseline: [],
    replay: undefined,
  };
}

/** What a Go-Explore result keeps in the record. */
export function goExploreRun(
  backend: BackendName,
  seed: number,
  workers: number,
  goal: number,
  result: GoExploreResult<number, LockObservation>,
): GoExploreRun {
  const cells = result.cells.map((cell) => cell.discoveredAtStep).sort((a, b) => a - b);
  return {
    backend,
    seed,
    workers,
    stopReason: result.stopReason,
    opened: result.best.score >= goal,
    bestScore: result.best.score,
    steps: result.steps,
    iterations: result.iterations,
    returns: result.returns,
    staleReturns: result.staleReturns,
    snapshotsTaken: result.snapshotsTaken,
    snapshotsDeleted: result.snapshotsDeleted,
    failures: Object.values(result.failures).reduce((sum, count) => sum + count, 0),
    timing: result.timing,
    returnsPerSecond: result.timing.totalMs > 0 ? result.returns / (result.timing.totalMs / 1000) : 0,
    bestHistory: result.bestHistory.map(({ steps, score, elapsedMs }) => ({ steps, score, elapsedMs })),
    cellsHistory: cells.map((steps, index) => ({ steps, cells: index + 1 })),
    bestTrajectory: [...result.bestTrajectory],
    resumed:
      result.resumed === undefined ? undefined : { iterations: result.resumed.iterations, steps: result.resumed.steps },
  };
}

/** What a baseline result keeps in the record. */
export function baselineRun(backend: BackendName, seed: number, result: BaselineResult): BaselineRun {
  return {
    backend,
    seed,
    stopReason: result.stopReason,
    bestScore: result.bestScore,
    steps: result.steps,
    episodes: result.episodes,
    elapsedMs: result.elapsedMs,
    bestHistory: result.history,
    cellsHistory: result.cellsHistory,
  };
}

/** Writes the record so that a reader (or a kill) sees the old file or the new one, never half. */
export async function writeRecord(path: string, record: DemoRecord): Promise<void> {
  record.updatedAt = new Date().toISOString();
  const temporary = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temporary, `${JSON.stringify(record, null, 2)}\n`);
  await rename(temporary, path);
}

/** The record at `path`; undefined when there is none, or it is not a record of this version. */
export async function readRecord(path: string): Promise<DemoRecord | undefined> {
  try {
    const record = JSON.parse(await readFile(path, 'utf8')) as Partial<DemoRecord>;
    if (record.format !== recordFormat || record.version !== recordVersion) return undefined;
    if (!Array.isArray(record.goExplore) || !Array.isArray(record.baseline) || record.settings === undefined) {
      return undefined;
    }
    return record as DemoRecord;
  } catch {
    return undefined;
  }
}
