import { mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnNode } from './node-child.js';

let dir = '';
beforeAll(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), 'snapbox-node-child-')));
  await writeFile(
    join(dir, 'reporter.mjs'),
    [
      'const [mode] = process.argv.slice(2);',
      "if (mode === 'silent') { process.stderr.write('gave up\\n'); process.exit(4); }",
      "if (mode === 'garbled') { process.stdout.write('not json\\n'); process.exit(0); }",
      "process.stdout.write(JSON.stringify({ cwd: process.cwd(), flavour: process.env.FLAVOUR }) + '\\n');",
      "process.stdout.write('second\\n');",
      "if (mode === 'wait') setInterval(() => undefined, 1000);",
    ].join('\n'),
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('spawnNode', () => {
  it('reports the first stdout line as JSON, passes env and cwd, and sees every line', async () => {
    const lines: string[] = [];
    const run = spawnNode(join(dir, 'reporter.mjs'), ['exit'], {
      env: { ...process.env, FLAVOUR: 'mint' },
      cwd: dir,
      onLine: (line) => lines.push(line),
    });
    expect(await run.report()).toEqual({ cwd: dir, flavour: 'mint' });
    const end = await run.ended;
    expect(end).toMatchObject({ code: 0, signal: null, stderr: '' });
    expect(end.stdout.split('\n')[1]).toBe('second');
    expect(lines).toEqual([JSON.stringify({ cwd: dir, flavour: 'mint' }), 'second']);
    // Asked again after the end, the report is still there.
    expect(await run.report()).toEqual({ cwd: dir, flavour: 'mint' });
  });

  it('ends with the signal that killed the program', async () => {
    const run = spawnNode(join(dir, 'reporter.mjs'), ['wait']);
    await run.report();
    run.child.kill('SIGKILL');
    expect(await run.ended).toMatchObject({ code: null, signal: 'SIGKILL' });
  });

  it('refuses a report from a program that ended without one, or wrote something else, with its stderr', async () => {
    const silent = spawnNode(join(dir, 'reporter.mjs'), ['silent']);
    await expect(silent.report()).rejects.toThrow(/reporter\.mjs ended before reporting; stderr:\ngave up/);
    expect(await silent.ended).toMatchObject({ code: 4, stdout: '' });
    const garbled = spawnNode(join(dir, 'reporter.mjs'), ['garbled']);
    await expect(garbled.report()).rejects.toThrow(/reported a line that is not JSON: not json/);
  });
});
