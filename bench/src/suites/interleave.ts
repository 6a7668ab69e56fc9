import type { ApiCall, ApiCallRecorder } from '../api-calls.js';
import { profileCalls } from '../api-calls.js';
import type { Capability, Driver } from '../drivers/driver.js';
import { errorText } from '../error-text.js';
import type { OpResult, Tool } from '../results.js';

/** One repetition: an untimed preparation, the timed part, an untimed cleanup. */
export interface RepPlan {
  prepare?: () => Promise<void>;
  /** Returns the milliseconds of the timed part. */
  measure: () => Promise<number>;
  cleanup?: () => Promise<void>;
}

/** What one tool needs for an operation (a running container, a snapshot…), set up once. */
export interface Fixture {
  plan(): RepPlan;
  teardown(): Promise<void>;
}

export interface OpSpec {
  id: string;
  label: string;
  requires?: Capability;
  /** Run one unrecorded repetition per tool first (for the first operations of a run). */
  warmup?: boolean;
  setup(driver: Driver): Promise<Fixture>;
}

export interface RepBudget {
  /** Repetitions to aim for. */
  reps: number;
  /** Stop after this many once `maxMs` has passed. */
  minReps: number;
  /** Wall time for all tools together; checked between rounds. */
  maxMs: number;
}

/**
 * Measures one operation with every driver, interleaved: round r runs one repetition of each
 * tool, in an order rotated each round, so load from elsewhere on the engine falls on all
 * tools alike.
 */
export async function runInterleaved(
  spec: OpSpec,
  drivers: readonly Driver[],
  budget: RepBudget,
  recorders: Partial<Record<Tool, ApiCallRecorder>> = {},
  log: (line: string) => void = () => undefined,
): Promise<OpResult> {
  const result: OpResult = {
    id: spec.id,
    label: spec.label,
    samples: {},
    cpuMs: {},
    unsupported: {},
    failed: {},
    apiCalls: {},
  };
  const fixtures = new Map<Driver, Fixture>();
  const calls = new Map<Tool, ApiCall[][]>();
  try {
    for (const driver of drivers) {
      const reason = spec.requires === undefined ? undefined : driver.unsupported.get(spec.requires);
      if (reason !== undefined) {
        result.unsupported![driver.tool] = reason;
        continue;
      }
      try {
        const fixture = await spec.setup(driver);
        fixtures.set(driver, fixture);
        if (spec.warmup) await runRep(fixture.plan(), undefined);
        result.samples[driver.tool] = [];
        if (inProcess.has(driver.tool)) result.cpuMs![driver.tool] = [];
        calls.set(driver.tool, []);
      } catch (error) {
        result.failed![driver.tool] = errorText(error);
      }
    }
    const started = performance.now();
    for (let round = 0; round < budget.reps; round++) {
      if (round >= budget.minReps && performance.now() - started > budget.maxMs) break;
      const active = [...fixtures.keys()].filter((driver) => result.failed![driver.tool] === undefined);
      if (active.length === 0) break;
      const order = active.map((_, index) => active[(index + round) % active.length] as Driver);
      for (const driver of order) {
        try {
          const recorder = recorders[driver.tool];
          const { ms, cpuMs } = await runRep(
            (fixtures.get(driver) as Fixture).plan(),
            recorder,
            calls.get(driver.tool),
          );
          result.samples[driver.tool]?.push(ms);
          result.cpuMs![driver.tool]?.push(cpuMs);
        } catch (error) {
          result.failed![driver.tool] = errorText(error);
        }
      }
    }
    log(
      `${spec.id}: ${Object.entries(result.samples)
        .map(([tool, samples]) => `${tool} ${samples.length}×`)
        .join(', ')} in ${Math.round((performance.now() - started) / 1000)} s`,
    );
  } finally {
    for (const fixture of fixtures.values()) await fixture.teardown().catch(() => undefined);
  }
  for (const [tool, repetitions] of calls) {
    const profile = profileCalls(repetitions);
    if (profile !== undefined && recorders[tool] !== undefined) result.apiCalls![tool] = profile;
  }
  return result;
}

/** Tools whose work happens in this process, so that its CPU time is theirs. */
const inProcess = new Set<Tool>(['floor', 'snapbox', 'testcontainers', 'bubblewrap']);

async function runRep(
  plan: RepPlan,
  recorder: ApiCallRecorder | undefined,
  sink?: ApiCall[][],
): Promise<{ ms: number; cpuMs: number }> {
  try {
    await plan.prepare?.();
    recorder?.take();
    const cpu = process.cpuUsage();
    const ms = await plan.measure();
    const used = process.cpuUsage(cpu);
    const calls = recorder?.take();
    if (calls !== undefined) sink?.push(calls);
    return { ms, cpuMs: (used.user + used.system) / 1000 };
  } finally {
    await plan.cleanup?.();
  }
}
