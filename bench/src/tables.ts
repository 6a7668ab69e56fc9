/** Markdown tables of measured operations. Pure: the tests pin their output. */
import type { OpResult, Tool } from './results.js';
import { toolLabels } from './results.js';
import { median, p95, ratio } from './stats.js';

/** `0.42`, `12.3`, `1234` — three significant digits, at most one decimal above 10. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  if (ms >= 100) return String(Math.round(ms));
  if (ms >= 10) return ms.toFixed(1);
  return ms.toFixed(2);
}

export function formatRatio(value: number | undefined): string {
  return value === undefined ? '–' : `${value.toFixed(2)}×`;
}

/** The median ratio of `tool` to the floor for one operation, when both were measured. */
export function floorRatio(op: OpResult, tool: Tool): number | undefined {
  const own = op.samples[tool];
  const floor = op.samples.floor;
  if (own === undefined || own.length === 0 || floor === undefined || floor.length === 0) return undefined;
  return ratio(median(own), median(floor));
}

/** What one table cell says for one tool: `median (p95) · ratio`, or why there is no number. */
export function opCell(op: OpResult, tool: Tool): string {
  const samples = op.samples[tool];
  if (samples !== undefined && samples.length > 0) {
    const time = `${formatMs(median(samples))} (${formatMs(p95(samples))})`;
    return tool === 'floor' ? time : `${time} · **${formatRatio(floorRatio(op, tool))}**`;
  }
  const unsupported = op.unsupported?.[tool];
  if (unsupported !== undefined) return `n/a¹`;
  const failed = op.failed?.[tool];
  if (failed !== undefined) return 'failed²';
  return '–';
}

/** One row per operation, one column per tool. */
export function opsTable(ops: readonly OpResult[], tools: readonly Tool[]): string {
  const header = `| operation | ${tools.map((tool) => toolLabels[tool]).join(' | ')} |`;
  const rule = `|---|${tools.map(() => '---:').join('|')}|`;
  const rows = ops.map((op) => `| ${op.label} | ${tools.map((tool) => opCell(op, tool)).join(' | ')} |`);
  return [header, rule, ...rows].join('\n');
}

/** Peak memory above the baseline (the largest over the repetitions), MiB. */
export function memoryTable(ops: readonly OpResult[], tools: readonly Tool[]): string {
  const header = `| transfer | ${tools.map((tool) => toolLabels[tool]).join(' | ')} |`;
  const rule = `|---|${tools.map(() => '---:').join('|')}|`;
  const rows = ops.map((op) => {
    const cells = tools.map((tool) => {
      const values = op.memoryMiB?.[tool];
      if (values === undefined || values.length === 0) return op.failed?.[tool] !== undefined ? 'failed²' : '–';
      return formatMiB(Math.max(...values));
    });
    return `| ${op.label} | ${cells.join(' | ')} |`;
  });
  return [header, rule, ...rows].join('\n');
}

export function formatMiB(value: number): string {
  if (!Number.isFinite(value)) return '–';
  return value >= 100 ? `${Math.round(value)} MiB` : `${value.toFixed(1)} MiB`;
}

/** The median of the generations in the window of `size` generations that ends at `depth` (1-based). */
export function windowMedian(generations: readonly number[], depth: number, size = 10): number | undefined {
  if (depth < 1 || depth > generations.length) return undefined;
  return median(generations.slice(Math.max(0, depth - size), depth));
}
