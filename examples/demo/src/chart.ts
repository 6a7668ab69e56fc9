import { type Curve, type SpreadPoint, spread } from './spread.js';

/** One contender of the chart: several runs (one per seed), drawn as their median and range. */
export interface SpreadSeries {
  readonly name: string;
  readonly color: string;
  readonly curves: readonly Curve[];
}

export interface SpreadChartOptions {
  readonly title: string;
  /** Lines under the title. */
  readonly subtitle?: string | readonly string[];
  /** What the x axis measures. Default `container steps`. */
  readonly xLabel?: string;
  /** What the y axis measures. */
  readonly yLabel: string;
  /** The top of the y axis. */
  readonly yMax: number;
  /** A dashed line across the plot (the open lock, every position reached), with its label. */
  readonly goal?: { readonly value: number; readonly label: string };
  readonly series: readonly SpreadSeries[];
  readonly width?: number;
  readonly height?: number;
}

const escapeXml = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A "nice" tick spacing (1, 2 or 5 × 10^k) giving about `count` ticks up to `max`. */
export function tickStep(max: number, count: number): number {
  if (max <= 0) return 1;
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const unit = raw / power;
  const nice = unit <= 1 ? 1 : unit <= 2 ? 2 : unit <= 5 ? 5 : 10;
  return Math.max(1, nice * power);
}

const round = (value: number): string => String(Math.round(value * 10) / 10);

/** The coordinates of a step function through `points`: each value holds until the next step count. */
function stepPath(
  points: readonly SpreadPoint[],
  pick: (point: SpreadPoint) => number,
  x: (steps: number) => number,
  y: (value: number) => number,
): string[] {
  const coordinates: string[] = [];
  const add = (coordinate: string) => {
    if (coordinates.at(-1) !== coordinate) coordinates.push(coordinate);
  };
  points.forEach((point, index) => {
    if (index > 0) add(`${round(x(point.steps))},${round(y(pick(points[index - 1] as SpreadPoint)))}`);
    add(`${round(x(point.steps))},${round(y(pick(point)))}`);
  });
  return coordinates;
}

/**
 * Renders a measure against container steps (or another x) over several runs of each contender as a standalone
 * SVG document (no dependency, no script): per series, the range over its runs as a shaded band
 * and the median as a step line; a dashed goal line, axes with ticks, and a legend.
 */
export function renderSpreadChart(options: SpreadChartOptions): string {
  const width = options.width ?? 760;
  const height = options.height ?? 420;
  const subtitle =
    options.subtitle === undefined ? [] : typeof options.subtitle === 'string' ? [options.subtitle] : options.subtitle;
  const legendY = 66 + 16 * Math.max(0, subtitle.length - 1);
  const margin = { top: legendY + 20, right: 28, bottom: 56, left: 60 };
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const maxSteps = Math.max(1, ...options.series.flatMap((series) => series.curves.map((curve) => curve.endSteps)));
  const maxValue = Math.max(1, options.yMax);
  const x = (steps: number): number => margin.left + (Math.min(steps, maxSteps) / maxSteps) * plotWidth;
  const y = (value: number): number => margin.top + plotHeight - (Math.max(0, value) / maxValue) * plotHeight;

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${margin.left}" y="26" font-size="16" font-weight="600" fill="#111827">${escapeXml(options.title)}</text>`,
  );
  subtitle.forEach((line, index) => {
    parts.push(`<text x="${margin.left}" y="${44 + 16 * index}" fill="#6b7280">${escapeXml(line)}</text>`);
  });

  // Grid and ticks.
  const xStep = tickStep(maxSteps, 8);
  for (let value = 0; value <= maxSteps; value += xStep) {
    parts.push(
      `<line x1="${round(x(value))}" y1="${margin.top}" x2="${round(x(value))}" y2="${margin.top + plotHeight}" stroke="#f0f0f0"/>`,
      `<text x="${round(x(value))}" y="${margin.top + plotHeight + 18}" text-anchor="middle" fill="#4b5563">${value}</text>`,
    );
  }
  const yStep = tickStep(maxValue, 6);
  for (let value = 0; value <= maxValue; value += yStep) {
    parts.push(
      `<line x1="${margin.left}" y1="${round(y(value))}" x2="${margin.left + plotWidth}" y2="${round(y(value))}" stroke="#f0f0f0"/>`,
      `<text x="${margin.left - 8}" y="${round(y(value) + 4)}" text-anchor="end" fill="#4b5563">${value}</text>`,
    );
  }
  parts.push(
    `<line x1="${margin.left}" y1="${margin.top + plotHeight}" x2="${margin.left + plotWidth}" y2="${margin.top + plotHeight}" stroke="#374151"/>`,
    `<line x1="${margin.left}" y1="${margin.top}" x2="${margin.left}" y2="${margin.top + plotHeight}" stroke="#374151"/>`,
    `<text x="${margin.left + plotWidth / 2}" y="${height - 14}" text-anchor="middle" fill="#111827">${escapeXml(options.xLabel ?? 'container steps')}</text>`,
    `<text transform="translate(18 ${margin.top + plotHeight / 2}) rotate(-90)" text-anchor="middle" fill="#111827">${escapeXml(options.yLabel)}</text>`,
  );
  if (options.goal !== undefined) {
    const goalY = round(y(options.goal.value));
    parts.push(
      `<line x1="${margin.left}" y1="${goalY}" x2="${margin.left + plotWidth}" y2="${goalY}" stroke="#9ca3af" stroke-dasharray="6 4"/>`,
      `<text x="${margin.left + plotWidth - 4}" y="${round(y(options.goal.value) - 6)}" text-anchor="end" fill="#6b7280">${escapeXml(options.goal.label)}</text>`,
    );
  }

  // Bands first, so that no band covers another series' median line.
  const spreads = options.series.map((series) => spread(series.curves));
  options.series.forEach((series, index) => {
    const points = spreads[index] as SpreadPoint[];
    if (points.length === 0 || series.curves.length < 2) return;
    const upper = stepPath(points, (point) => point.high, x, y);
    const lower = stepPath(points, (point) => point.low, x, y).reverse();
    parts.push(
      `<polygon data-band="${escapeXml(series.name)}" fill="${escapeXml(series.color)}" fill-opacity="0.16" stroke="none" points="${[...upper, ...lower].join(' ')}"/>`,
    );
  });
  let legendX = margin.left;
  options.series.forEach((series, index) => {
    const points = spreads[index] as SpreadPoint[];
    if (points.length > 0) {
      parts.push(
        `<polyline data-series="${escapeXml(series.name)}" fill="none" stroke="${escapeXml(series.color)}" stroke-width="2.5" stroke-linejoin="round" points="${stepPath(points, (point) => point.median, x, y).join(' ')}"/>`,
      );
    }
    // Above the plot, where no line can cover it; each entry as wide as its text (about 6.5 px a character).
    const legend = series.curves.length > 1 ? `${series.name} (median of ${series.curves.length})` : series.name;
    if (series.curves.length > 1) {
      parts.push(
        `<rect x="${legendX}" y="${legendY - 7}" width="22" height="14" fill="${escapeXml(series.color)}" fill-opacity="0.16"/>`,
      );
    }
    parts.push(
      `<line x1="${legendX}" y1="${legendY}" x2="${legendX + 22}" y2="${legendY}" stroke="${escapeXml(series.color)}" stroke-width="3"/>`,
      `<text x="${legendX + 28}" y="${legendY + 4}" fill="#111827">${escapeXml(legend)}</text>`,
    );
    legendX += 28 + legend.length * 6.5 + 24;
  });
  if (options.series.some((series) => series.curves.length > 1)) {
    parts.push(`<text x="${legendX}" y="${legendY + 4}" fill="#6b7280">shaded: lowest to highest run</text>`);
  }

  parts.push('</svg>', '');
  return parts.join('\n');
}
