/** One line of the chart: the best score as a step function of container steps. */
export interface ChartSeries {
  readonly name: string;
  readonly color: string;
  /** Rises of the best score, in step order; the first is usually `{ steps: 0, score: 0 }`. */
  readonly points: readonly { readonly steps: number; readonly score: number }[];
  /** The step count where the series ends (its budget); the last score holds until there. */
  readonly endSteps: number;
}

export interface ChartOptions {
  readonly title: string;
  readonly subtitle?: string;
  /** The top of the y axis, drawn as a dashed goal line (the lock's length). */
  readonly goal: number;
  readonly goalLabel: string;
  readonly series: readonly ChartSeries[];
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

/**
 * Renders best score against container steps as a standalone SVG document (no dependency, no
 * script): one step line per series, a dashed goal line, axes with ticks, and a legend.
 */
export function renderProgressChart(options: ChartOptions): string {
  const width = options.width ?? 760;
  const height = options.height ?? 420;
  const margin = { top: 86, right: 28, bottom: 56, left: 60 };
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const maxSteps = Math.max(1, ...options.series.map((series) => series.endSteps));
  const maxScore = Math.max(1, options.goal);
  const x = (steps: number): number => margin.left + (steps / maxSteps) * plotWidth;
  const y = (score: number): number => margin.top + plotHeight - (Math.max(0, score) / maxScore) * plotHeight;

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${margin.left}" y="26" font-size="16" font-weight="600" fill="#111827">${escapeXml(options.title)}</text>`,
  );
  if (options.subtitle !== undefined) {
    parts.push(`<text x="${margin.left}" y="44" fill="#6b7280">${escapeXml(options.subtitle)}</text>`);
  }

  // Grid and ticks.
  const xStep = tickStep(maxSteps, 8);
  for (let value = 0; value <= maxSteps; value += xStep) {
    parts.push(
      `<line x1="${round(x(value))}" y1="${margin.top}" x2="${round(x(value))}" y2="${margin.top + plotHeight}" stroke="#f0f0f0"/>`,
      `<text x="${round(x(value))}" y="${margin.top + plotHeight + 18}" text-anchor="middle" fill="#4b5563">${value}</text>`,
    );
  }
  const yStep = tickStep(maxScore, 6);
  for (let value = 0; value <= maxScore; value += yStep) {
    parts.push(
      `<line x1="${margin.left}" y1="${round(y(value))}" x2="${margin.left + plotWidth}" y2="${round(y(value))}" stroke="#f0f0f0"/>`,
      `<text x="${margin.left - 8}" y="${round(y(value) + 4)}" text-anchor="end" fill="#4b5563">${value}</text>`,
    );
  }
  parts.push(
    `<line x1="${margin.left}" y1="${margin.top + plotHeight}" x2="${margin.left + plotWidth}" y2="${margin.top + plotHeight}" stroke="#374151"/>`,
    `<line x1="${margin.left}" y1="${margin.top}" x2="${margin.left}" y2="${margin.top + plotHeight}" stroke="#374151"/>`,
    `<text x="${margin.left + plotWidth / 2}" y="${height - 14}" text-anchor="middle" fill="#111827">container steps</text>`,
    `<text transform="translate(18 ${margin.top + plotHeight / 2}) rotate(-90)" text-anchor="middle" fill="#111827">best lock position</text>`,
    `<line x1="${margin.left}" y1="${round(y(options.goal))}" x2="${margin.left + plotWidth}" y2="${round(y(options.goal))}" stroke="#9ca3af" stroke-dasharray="6 4"/>`,
    `<text x="${margin.left + plotWidth - 4}" y="${round(y(options.goal) - 6)}" text-anchor="end" fill="#6b7280">${escapeXml(options.goalLabel)}</text>`,
  );

  // One step line per series: the best score holds until the next rise.
  options.series.forEach((series, index) => {
    const coordinates: string[] = [];
    let score = 0;
    coordinates.push(`${round(x(0))},${round(y(0))}`);
    for (const point of series.points) {
      coordinates.push(`${round(x(point.steps))},${round(y(score))}`);
      score = point.score;
      coordinates.push(`${round(x(point.steps))},${round(y(score))}`);
    }
    coordinates.push(`${round(x(series.endSteps))},${round(y(score))}`);
    parts.push(
      `<polyline data-series="${escapeXml(series.name)}" fill="none" stroke="${escapeXml(series.color)}" stroke-width="2.5" stroke-linejoin="round" points="${coordinates.join(' ')}"/>`,
    );
    // Above the plot, where no line can cover it.
    const legendX = margin.left + index * 230;
    const legendY = 66;
    parts.push(
      `<line x1="${legendX}" y1="${legendY}" x2="${legendX + 22}" y2="${legendY}" stroke="${escapeXml(series.color)}" stroke-width="3"/>`,
      `<text x="${legendX + 28}" y="${legendY + 4}" fill="#111827">${escapeXml(series.name)}</text>`,
    );
  });

  parts.push('</svg>', '');
  return parts.join('\n');
}
