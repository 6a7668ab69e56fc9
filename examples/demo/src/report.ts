/** Formats a table with a left label column and one column per contender, padded to align. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, column) => Math.max(...all.map((row) => (row[column] ?? '').length)));
  const line = (row: readonly string[]): string =>
    row
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('   ')
      .trimEnd();
  const rule = widths.map((width) => '─'.repeat(width)).join('   ');
  return [line(header), rule, ...rows.map(line)].join('\n');
}

/** A rate with two decimals below 10, one above: `3.65`, `12.4`. */
export function perSecond(value: number): string {
  return value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

/** A speed-up: `7.8×`, `23×`. */
export function ratio(value: number): string {
  return `${value >= 10 ? Math.round(value) : value.toFixed(1)}×`;
}

/** `12.3 s` for milliseconds. */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Statistics of one live progress update. */
export interface LiveFields {
  readonly label: string;
  readonly parts: readonly string[];
  readonly elapsedMs: number;
}

export function formatLive(fields: LiveFields): string {
  return `${fields.label.padEnd(11)} ${fields.parts.join(' | ')} | ${seconds(fields.elapsedMs)}`;
}

/**
 * A progress line on a stream: redrawn in place (at most ~10 times a second) on a terminal, and
 * printed as a plain line every `plainEveryMs` otherwise, so logs stay readable.
 */
export class LiveLine {
  readonly #stream: NodeJS.WriteStream;
  readonly #tty: boolean;
  readonly #plainEveryMs: number;
  #last = '';
  #lastDrawn = Number.NEGATIVE_INFINITY;

  constructor(stream: NodeJS.WriteStream, options: { plainEveryMs?: number } = {}) {
    this.#stream = stream;
    this.#tty = stream.isTTY === true;
    this.#plainEveryMs = options.plainEveryMs ?? 5_000;
  }

  update(fields: LiveFields): void {
    this.#last = formatLive(fields);
    const now = performance.now();
    if (now - this.#lastDrawn < (this.#tty ? 100 : this.#plainEveryMs)) return;
    this.#lastDrawn = now;
    this.#draw();
  }

  /** Draws the latest state for good and moves to a new line. */
  finish(): void {
    if (this.#last === '') return;
    this.#draw();
    if (this.#tty) this.#stream.write('\n');
    this.#last = '';
    this.#lastDrawn = Number.NEGATIVE_INFINITY;
  }

  #draw(): void {
    // Some terminals (and pseudo-terminals under `script`) report 0 columns: take that as unknown.
    const columns = this.#stream.columns || 120;
    if (this.#tty) this.#stream.write(`\r\x1b[2K${this.#last.slice(0, Math.max(20, columns - 1))}`);
    else this.#stream.write(`${this.#last}\n`);
  }
}
