/** A grouped horizontal bar chart as a standalone SVG string: no plotting dependency. */

export interface BarSeries {
  id: string;
  label: string;
  color: string;
}

export interface BarGroup {
  label: string;
  /** Value per series id; a missing or non-finite value draws no bar. */
  values: Partial<Record<string, number>>;
}

export interface BarChartOptions {
  title: string;
  subtitle?: string;
  series: readonly BarSeries[];
  groups: readonly BarGroup[];
  /** Axis caption, e.g. "median time ÷ floor". */
  axisLabel: string;
  scale: 'linear' | 'log';
  /** A vertical marker, e.g. the floor at 1.0 or a target at 1.1. */
  references?: readonly { value: number; label: string }[];
  format?: (value: number) => string;
}

const width = 960;
const labelWidth = 300;
const rightMargin = 80;
const barHeight = 11;
const barGap = 2;
const groupGap = 12;
const plotWidth = width - labelWidth - rightMargin;

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

const round = (value: number) => Math.round(value * 10) / 10;

/** Maps values to x positions 0…plotWidth over [min, max] (log or linear). */
export function makeScale(
  scale: 'linear' | 'log',
  values: readonly number[],
): {
  x(value: number): number;
  ticks: number[];
} {
  const finite = values.filter((value) => Number.isFinite(value) && (scale === 'linear' || value > 0));
  if (scale === 'log') {
    // Bounds on the 1-2-5 sequence just outside the data, so no decade is left empty.
    const steps = (from: number, to: number) => {
      const out: number[] = [];
      for (let decade = 10 ** Math.floor(Math.log10(from)); decade <= to * 10; decade *= 10) {
        for (const step of [1, 2, 5]) out.push(Number((decade * step).toPrecision(6)));
      }
      return out;
    };
    const smallest = Math.min(...finite, 1);
    const largest = Math.max(...finite, 1);
    const candidates = steps(smallest / 10, largest);
    const low = [...candidates].reverse().find((value) => value <= smallest) ?? smallest;
    const high = candidates.find((value) => value >= largest * 1.0001) ?? largest;
    const span = Math.log10(high) - Math.log10(low);
    return {
      x: (value) => ((Math.log10(Math.max(value, low)) - Math.log10(low)) / span) * plotWidth,
      ticks: candidates.filter((value) => value >= low && value <= high),
    };
  }
  const max = Math.max(...finite, 0) || 1;
  const magnitude = 10 ** Math.floor(Math.log10(max));
  const step = [1, 2, 5, 10].map((factor) => factor * magnitude).find((candidate) => max / candidate <= 6) ?? magnitude;
  const top = Math.ceil(max / step) * step;
  const ticks: number[] = [];
  for (let tick = 0; tick <= top * 1.0001; tick += step) ticks.push(Number(tick.toPrecision(12)));
  return { x: (value) => (Math.max(value, 0) / top) * plotWidth, ticks };
}

export function barChart(options: BarChartOptions): string {
  const format = options.format ?? ((value: number) => value.toPrecision(3));
  const all = options.groups.flatMap((group) =>
    Object.values(group.values).filter((v): v is number => v !== undefined),
  );
  const references = options.references ?? [];
  const scale = makeScale(options.scale, [...all, ...references.map((reference) => reference.value)]);
  const legendTop = options.subtitle ? 58 : 42;
  const plotTop = legendTop + 28;
  const parts: string[] = [];
  let y = plotTop;
  for (const group of options.groups) {
    const present = options.series.filter((series) => Number.isFinite(group.values[series.id]));
    const groupHeight = Math.max(present.length, 1) * (barHeight + barGap);
    parts.push(
      `<text class="group" x="${labelWidth - 8}" y="${round(y + groupHeight / 2 + 4)}" text-anchor="end">${escapeXml(group.label)}</text>`,
    );
    for (const series of present) {
      const value = group.values[series.id] as number;
      const barWidth = Math.max(scale.x(value), 1);
      parts.push(
        `<rect class="bar" data-series="${escapeXml(series.id)}" x="${labelWidth}" y="${round(y)}" width="${round(barWidth)}" height="${barHeight}" fill="${series.color}"><title>${escapeXml(`${series.label}: ${format(value)}`)}</title></rect>`,
        `<text class="value" x="${round(labelWidth + barWidth + 4)}" y="${round(y + barHeight - 2)}">${escapeXml(format(value))}</text>`,
      );
      y += barHeight + barGap;
    }
    if (present.length === 0) y += barHeight + barGap;
    y += groupGap;
  }
  const plotBottom = y;
  const axis: string[] = [];
  for (const tick of scale.ticks) {
    const x = round(labelWidth + scale.x(tick));
    axis.push(
      `<line class="grid" x1="${x}" y1="${plotTop - 4}" x2="${x}" y2="${plotBottom}"/>`,
      `<text class="tick" x="${x}" y="${plotBottom + 14}" text-anchor="middle">${escapeXml(format(tick))}</text>`,
    );
  }
  for (const [index, reference] of references.entries()) {
    const x = round(labelWidth + scale.x(reference.value));
    // Neighbouring markers (the floor and a target just above it) label to either side.
    const anchor = references.length === 1 ? 'middle' : index === 0 ? 'end' : 'start';
    const shift = anchor === 'end' ? -3 : anchor === 'start' ? 3 : 0;
    axis.push(
      `<line class="reference" x1="${x}" y1="${plotTop - 8}" x2="${x}" y2="${plotBottom}"/>`,
      `<text class="reference-label" x="${round(x + shift)}" y="${plotTop - 10}" text-anchor="${anchor}">${escapeXml(reference.label)}</text>`,
    );
  }
  const legend = options.series.map((series, index) => {
    const x = labelWidth + index * 150;
    return `<rect x="${x}" y="${legendTop}" width="12" height="12" fill="${series.color}"/><text x="${x + 16}" y="${legendTop + 10}">${escapeXml(series.label)}</text>`;
  });
  const height = plotBottom + 40;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="11">`,
    '<style>.grid{stroke:#ddd}.reference{stroke:#c00;stroke-dasharray:4 3}.reference-label{fill:#c00}.tick,.value{fill:#444}.title{font-size:15px;font-weight:600}.subtitle{fill:#555}</style>',
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text class="title" x="12" y="22">${escapeXml(options.title)}</text>`,
    options.subtitle ? `<text class="subtitle" x="12" y="40">${escapeXml(options.subtitle)}</text>` : '',
    ...legend,
    ...axis,
    ...parts,
    `<text class="tick" x="${labelWidth + plotWidth / 2}" y="${plotBottom + 32}" text-anchor="middle">${escapeXml(options.axisLabel)}</text>`,
    '</svg>',
  ]
    .filter((line) => line !== '')
    .join('\n')
    .concat('\n');
}
