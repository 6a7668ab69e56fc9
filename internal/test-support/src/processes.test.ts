import { execFileSync, spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { isAlive } from './processes.js';

describe('isAlive', () => {
  it('is true for a running process, false once it is a zombie and once it is gone', async () => {
    expect(isAlive(process.pid)).toBe(true);
    // `sh` starts a sleep in the background and becomes another sleep (exec), which never reaps
    // it: killed, the background sleep stays a zombie until its parent ends.
    const parent = spawn('sh', ['-c', 'sleep 60 & echo $!; exec sleep 61'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const orphan = await new Promise<number>((resolve) =>
      parent.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim()))),
    );
    try {
      expect(isAlive(orphan)).toBe(true);
      process.kill(orphan, 'SIGKILL');
      for (let tries = 0; tries < 50 && isAlive(orphan); tries++) await new Promise((r) => setTimeout(r, 20));
      expect(isAlive(orphan)).toBe(false);
      expect(execFileSync('cat', [`/proc/${orphan}/stat`], { encoding: 'utf8' })).toMatch(/\) Z /);
    } finally {
      parent.kill('SIGKILL');
    }
    await new Promise((resolve) => parent.once('exit', resolve));
    expect(isAlive(parent.pid as number)).toBe(false);
  });
});
