import { describe, expect, it } from 'vitest';
import { formatTable, LiveLine, seconds } from './report.js';

function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  const stream = { isTTY, columns: 80, write: (chunk: string) => writes.push(chunk) > 0 };
  return { stream: stream as unknown as NodeJS.WriteStream, writes };
}

describe('report helpers', () => {
  it('aligns a side-by-side table', () => {
    const table = formatTable(
      ['', 'Go-Explore', 'baseline'],
      [
        ['lock opened', 'yes', 'no'],
        ['best', '12/12', '5/12'],
      ],
    );
    expect(table.split('\n')).toEqual([
      '              Go-Explore   baseline',
      '───────────   ──────────   ────────',
      'lock opened   yes          no',
      'best          12/12        5/12',
    ]);
    expect(seconds(12_345)).toBe('12.3 s');
  });

  it('redraws one line in place on a terminal', () => {
    const { stream, writes } = fakeStream(true);
    const line = new LiveLine(stream);
    line.update({ label: 'go-explore', parts: ['iteration 1', 'cells 2'], elapsedMs: 1500 });
    line.update({ label: 'go-explore', parts: ['iteration 2', 'cells 3'], elapsedMs: 1600 });
    line.finish();
    expect(writes[0]).toBe('\r\x1b[2Kgo-explore  iteration 1 | cells 2 | 1.5 s');
    // The second update came within 100 ms: only finish() draws it, then ends the line.
    expect(writes.slice(1)).toEqual(['\r\x1b[2Kgo-explore  iteration 2 | cells 3 | 1.6 s', '\n']);
  });

  it('prints plain, periodic lines when not on a terminal', () => {
    const { stream, writes } = fakeStream(false);
    const line = new LiveLine(stream, { plainEveryMs: 60_000 });
    for (let i = 1; i <= 5; i++) line.update({ label: 'baseline', parts: [`episode ${i}`], elapsedMs: i * 1000 });
    line.finish();
    expect(writes).toEqual(['baseline    episode 1 | 1.0 s\n', 'baseline    episode 5 | 5.0 s\n']);
  });
});
