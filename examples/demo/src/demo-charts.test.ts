import { goExplore } from '@snapbox/go-explore';
import { createMemoryFactory } from '@snapbox/memory';
import { describe, expect, it } from 'vitest';
import { runRandomRestarts } from './baseline.js';
import { demoCharts } from './demo-charts.js';
import { createLockTask, type LockConfig } from './lock.js';
import { baselineRun, type DemoSettings, goExploreRun, newRecord } from './run-record.js';

const lock: LockConfig = { code: [2, 0, 3, 1, 1], digits: 4, resetPercent: 80, seed: 1009 };
const settings: DemoSettings = {
  image: 'memory:demo',
  lock,
  workers: 1,
  explorationSteps: 4,
  seeds: [7, 8],
  baselineEpisodeSteps: 40,
  backends: ['bubblewrap', 'docker'],
};

/** A record as the demo writes it, from real runs on the memory backend standing in for both backends. */
async function recordOfRuns() {
  const factory = createMemoryFactory();
  const task = createLockTask(lock);
  const record = newRecord(settings);
  record.main = 'bubblewrap';
  const runs = [
    { backend: 'bubblewrap', seed: 7 },
    { backend: 'docker', seed: 7 },
    { backend: 'bubblewrap', seed: 8 },
  ] as const;
  for (const { backend, seed } of runs) {
    const result = await goExplore({
      factory,
      image: 'memory:demo',
      task,
      seed,
      explorationSteps: 4,
      targetScore: 5,
      maxSteps: 5_000,
    });
    record.goExplore.push(goExploreRun(backend, seed, 1, 5, result));
  }
  for (const seed of settings.seeds) {
    const result = await runRandomRestarts({
      factory,
      image: 'memory:demo',
      task,
      workers: 1,
      seed,
      maxSteps: 60,
      episodeSteps: 40,
    });
    record.baseline.push(baselineRun('bubblewrap', seed, result));
  }
  return record;
}

describe('the run record and its charts', () => {
  it('keeps what the charts need, and draws them', async () => {
    const record = await recordOfRuns();
    const [first] = record.goExplore;
    expect(first).toMatchObject({ backend: 'bubblewrap', seed: 7, opened: true, bestScore: 5, resumed: undefined });
    // Every cell's discovery, in step order, from the root at step 0 to all six positions.
    expect(first?.cellsHistory[0]).toEqual({ steps: 0, cells: 1 });
    expect(first?.cellsHistory.at(-1)?.cells).toBe(6);
    expect(first?.bestHistory.at(-1)).toMatchObject({ score: 5 });
    expect(first?.returnsPerSecond).toBeGreaterThan(0);
    // The record is JSON through and through: what is written is what a resume reads.
    expect(JSON.parse(JSON.stringify(record))).toEqual(record);

    const charts = demoCharts(record);
    for (const svg of [charts.progress, charts.cells]) {
      expect(svg).toContain('Go-Explore (median of 2)');
      expect(svg).toContain('no-return baseline (median of 2)');
      expect(svg).toContain('2 seeds (7–8), on bubblewrap');
      expect(svg).toContain('data-band="Go-Explore"');
    }
    expect(charts.cells).toContain('every position');
    // The chart of time: one line per backend, the first seed's run on each.
    expect(charts.time).toContain('data-series="bubblewrap"');
    expect(charts.time).toContain('data-series="Docker"');
    expect(charts.time).toMatch(/returns per second: bubblewrap [\d.]+ \([\d.]+×\), Docker [\d.]+ \([\d.]+×\)/);
    expect(charts.time).not.toContain('data-band');
  });
});
