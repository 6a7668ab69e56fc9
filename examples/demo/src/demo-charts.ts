import { type BackendName, backendTitles } from './backends.js';
import { renderSpreadChart } from './chart.js';
import { perSecond, ratio } from './report.js';
import type { DemoRecord, GoExploreRun } from './run-record.js';
import type { Curve } from './spread.js';

const colors = { goExplore: '#2563eb', baseline: '#dc2626' };
/** Each backend's color in the chart of time. */
const backendColors: Record<BackendName, string> = { bubblewrap: '#7c3aed', docker: '#0284c7' };

type Measured = {
  readonly steps: number;
  readonly bestHistory: readonly { readonly steps: number; readonly score: number }[];
  readonly cellsHistory: readonly { readonly steps: number; readonly cells: number }[];
};

const bestCurves = (list: readonly Measured[]): Curve[] =>
  list.map((run) => ({
    endSteps: run.steps,
    points: run.bestHistory.map((point) => ({ steps: point.steps, value: point.score })),
  }));

const cellCurves = (list: readonly Measured[]): Curve[] =>
  list.map((run) => ({
    endSteps: run.steps,
    points: run.cellsHistory.map((point) => ({ steps: point.steps, value: point.cells })),
  }));

/**
 * The demo's charts, from its run record (SVG documents):
 * - `progress`: best position against container steps, Go-Explore and the baseline over every
 *   seed of the main backend (median and range);
 * - `cells`: cells discovered against container steps, the same way;
 * - `time`: best position against wall time, the first seed's run on each backend.
 */
export function demoCharts(record: DemoRecord): { progress: string; cells: string; time: string } {
  const { settings } = record;
  const main = record.main ?? (record.goExplore[0]?.backend as BackendName);
  const goal = settings.lock.code.length;
  const seeds = settings.seeds;
  const runs = record.goExplore.filter((run) => run.backend === main && seeds.includes(run.seed));
  const baselines = record.baseline.filter((run) => run.backend === main && seeds.includes(run.seed));
  const speeds = settings.backends
    .map((name) => record.goExplore.find((run) => run.backend === name && run.seed === seeds[0]))
    .filter((run): run is GoExploreRun => run !== undefined);

  const seedText = seeds.length === 1 ? `seed ${seeds[0]}` : `${seeds.length} seeds (${seeds[0]}–${seeds.at(-1)})`;
  const subtitle = [
    `${goal}-position lock (digits 0–${settings.lock.digits - 1}, ${settings.lock.resetPercent}% reset on a wrong digit), ${settings.workers} workers, ${seedText}, on ${backendTitles[main]}`,
    `baseline: random play from a fresh container every ${settings.baselineEpisodeSteps} steps, as many steps as the longest Go-Explore run`,
  ];
  const progress = renderSpreadChart({
    title: 'Best lock position against container steps',
    subtitle,
    yLabel: 'best lock position',
    yMax: goal,
    goal: { value: goal, label: 'open' },
    series: [
      { name: 'Go-Explore', color: colors.goExplore, curves: bestCurves(runs) },
      { name: 'no-return baseline', color: colors.baseline, curves: bestCurves(baselines) },
    ],
  });
  const cells = renderSpreadChart({
    title: 'Cells discovered against container steps',
    subtitle,
    yLabel: 'cells (lock positions) discovered',
    yMax: goal + 1,
    goal: { value: goal + 1, label: 'every position' },
    series: [
      { name: 'Go-Explore', color: colors.goExplore, curves: cellCurves(runs) },
      { name: 'no-return baseline', color: colors.baseline, curves: cellCurves(baselines) },
    ],
  });
  const slowest = Math.min(...speeds.map((run) => run.returnsPerSecond));
  const speedText = speeds
    .map(
      (run) =>
        `${backendTitles[run.backend]} ${perSecond(run.returnsPerSecond)}${speeds.length > 1 && slowest > 0 ? ` (${ratio(run.returnsPerSecond / slowest)})` : ''}`,
    )
    .join(', ');
  const time = renderSpreadChart({
    title: 'Go-Explore: best lock position against wall time',
    subtitle: [
      `the same run on each backend: seed ${seeds[0]}, ${settings.workers} workers, ${goal}-position lock, checkpointed after every iteration`,
      `returns per second: ${speedText}`,
    ],
    xLabel: 'seconds',
    yLabel: 'best lock position',
    yMax: goal,
    goal: { value: goal, label: 'open' },
    series: speeds.map((run) => ({
      name: backendTitles[run.backend],
      color: backendColors[run.backend],
      curves: [
        {
          endSteps: run.timing.totalMs / 1000,
          points: run.bestHistory.map((point) => ({ steps: point.elapsedMs / 1000, value: point.score })),
        },
      ],
    })),
  });
  return { progress, cells, time };
}
