/** Small text helpers shared by the commands that print tables. */

/** `12s`, `5m`, `3h`, `2d` — the age of something created at `date`. */
export function formatAge(date: Date, now = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - date.getTime()) / 1000));
  if (seconds < 90) return `${seconds}s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)}m`;
  if (seconds < 36 * 3600) return `${Math.round(seconds / 3600)}h`;
  return `${Math.round(seconds / 86400)}d`;
}

/** `512B`, `4.3MB`, `1.2GB` (decimal units, as the docker CLI prints). */
export function formatSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)}${units[unit]}`;
}

/** Pads columns to equal width; the last column is not padded. */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) {
    for (const [index, cell] of row.entries()) widths[index] = Math.max(widths[index] ?? 0, cell.length);
  }
  return rows
    .map((row) =>
      row
        .map((cell, index) => (index === row.length - 1 ? cell : cell.padEnd(widths[index] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const durationUnits: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * Parses `90s`, `30m`, `12h`, `7d`, `2w` (or combinations like `1h30m`) into milliseconds.
 * @returns undefined for anything else.
 */
export function parseDuration(text: string): number | undefined {
  const pattern = /(\d+(?:\.\d+)?)([smhdw])/gy;
  let total = 0;
  let matched = 0;
  for (const match of text.matchAll(pattern)) {
    total += Number(match[1]) * (durationUnits[match[2] ?? ''] ?? Number.NaN);
    matched += match[0].length;
  }
  return text.length > 0 && matched === text.length && Number.isFinite(total) ? total : undefined;
}

/**
 * An id as tables show it: an engine's 64-hex id (with or without `sha256:`) cut to its first 12
 * characters, as the docker CLI does; any other id whole.
 */
export function shortId(id: string): string {
  const hex = /^(?:sha256:)?([0-9a-f]{64})$/.exec(id);
  return hex === null ? id : (hex[1] as string).slice(0, 12);
}
