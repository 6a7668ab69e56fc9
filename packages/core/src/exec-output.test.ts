import { describe, expect, it } from 'vitest';
import { ExecOutputCollector } from './exec-output.js';

const bytes = (text: string) => new TextEncoder().encode(text);

describe('ExecOutputCollector', () => {
  it('keeps the streams apart and interleaves them in arrival order', () => {
    const collector = new ExecOutputCollector();
    collector.push('stdout', 'one\n');
    collector.push('stderr', bytes('two\n'));
    collector.push('stdout', 'three\n');
    expect(collector.result(0)).toEqual({
      exitCode: 0,
      output: 'one\ntwo\nthree\n',
      stdout: 'one\nthree\n',
      stderr: 'two\n',
      truncated: false,
    });
  });

  it('decodes a character split across chunks, for the result and the callbacks', () => {
    const seen: string[] = [];
    const collector = new ExecOutputCollector({ onStdout: (chunk) => seen.push(chunk) });
    const encoded = bytes('a日b✓');
    for (const byte of encoded) collector.push('stdout', Uint8Array.of(byte));
    const result = collector.result(0);
    expect(result.stdout).toBe('a日b✓');
    expect(result.output).toBe('a日b✓');
    expect(seen.join('')).toBe('a日b✓');
    expect(seen.join('')).not.toContain('\uFFFD');
  });

  it('replaces invalid bytes instead of throwing, also a sequence cut off at the end', () => {
    const collector = new ExecOutputCollector();
    collector.push('stdout', Uint8Array.of(0xff, 0xfe, 0x61));
    collector.push('stderr', bytes('日').subarray(0, 2));
    const result = collector.result(1);
    expect(result.stdout).toBe('\uFFFD\uFFFDa');
    expect(result.stderr).toBe('\uFFFD');
    expect(result.exitCode).toBe(1);
  });

  it('caps each stream separately at maxOutputBytes, while the callbacks see everything', () => {
    const out: string[] = [];
    const err: string[] = [];
    const collector = new ExecOutputCollector({
      maxOutputBytes: 5,
      onStdout: (c) => out.push(c),
      onStderr: (c) => err.push(c),
    });
    collector.push('stdout', 'abc');
    collector.push('stdout', 'defgh');
    collector.push('stderr', 'xy');
    collector.push('stdout', 'ijk');
    const result = collector.result(0);
    expect(result.stdout).toBe('abcde');
    expect(result.stderr).toBe('xy');
    expect(result.output).toBe('abcdexy');
    expect(result.truncated).toBe(true);
    expect(out.join('')).toBe('abcdefghijk');
    expect(err.join('')).toBe('xy');
  });

  it('is not truncated when the output fits exactly', () => {
    const collector = new ExecOutputCollector({ maxOutputBytes: 3 });
    collector.push('stdout', 'abc');
    collector.push('stdout', '');
    expect(collector.result(0)).toMatchObject({ stdout: 'abc', truncated: false });
  });

  it('keeps nothing with maxOutputBytes 0 but reports the truncation', () => {
    const collector = new ExecOutputCollector({ maxOutputBytes: 0 });
    collector.push('stderr', 'x');
    expect(collector.result(0)).toMatchObject({ stdout: '', stderr: '', output: '', truncated: true });
  });

  it('records the first exception of a callback, keeps collecting, and stops calling back', () => {
    const failure = new Error('callback failed');
    let calls = 0;
    const collector = new ExecOutputCollector({
      onStdout: () => {
        calls += 1;
        throw failure;
      },
      onStderr: () => {
        calls += 1;
      },
    });
    collector.push('stdout', 'a');
    collector.push('stdout', 'b');
    collector.push('stderr', 'c');
    expect(collector.callbackError).toEqual({ error: failure });
    expect(calls).toBe(1);
    expect(collector.result(0).output).toBe('abc');
  });

  it('has no callback error when callbacks succeed', () => {
    const collector = new ExecOutputCollector({ onStdout: () => {} });
    collector.push('stdout', 'ok');
    expect(collector.callbackError).toBeUndefined();
  });

  it('gives a partial result with exit code -1', () => {
    const collector = new ExecOutputCollector();
    collector.push('stdout', 'before\n');
    expect(collector.partialResult()).toEqual({
      exitCode: -1,
      output: 'before\n',
      stdout: 'before\n',
      stderr: '',
      truncated: false,
    });
  });
});
