import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { quoteCommandLine, quoteShellArg } from './shell-quote.js';

// What a real POSIX shell makes of a quoted command line: one argument per line, NUL-separated.
function shellWords(line: string): string[] {
  const out = execFileSync('sh', ['-c', `printf '%s\\0' ${line}`], { encoding: 'utf8' });
  return out.split('\0').slice(0, -1);
}

describe('quoteShellArg', () => {
  const awkward = [
    '',
    'plain',
    'two  spaces',
    "it's",
    '"double"',
    '$HOME and `date` and $(id)',
    'back\\slash',
    'new\nline',
    '*.txt',
    'semi;colon|pipe&amp',
    "''",
    'ünïcödé ✓',
    '-n',
  ];

  it('survives a real shell unchanged, whatever the characters', () => {
    expect(shellWords(quoteCommandLine(awkward))).toEqual(awkward);
  });

  it('leaves safe words bare and single-quotes the rest', () => {
    expect(quoteShellArg('/tmp/a-b_c.txt')).toBe('/tmp/a-b_c.txt');
    expect(quoteShellArg('KEY=value')).toBe('KEY=value');
    expect(quoteShellArg('')).toBe("''");
    expect(quoteShellArg("it's")).toBe("'it'\\''s'");
  });
});
