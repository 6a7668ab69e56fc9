import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { processStartTime, readProcessStat } from './owner-liveness.js';

describe('readProcessStat', () => {
  it("reads a process's state, parent and start, even when its name holds spaces and parentheses", async () => {
    // A process named `a) b (c` (its comm, field 2 of /proc/<pid>/stat: the name it was run by),
    // stopped so that its state is known.
    const dir = mkdtempSync(join(tmpdir(), 'snapbox-stat-'));
    const name = join(dir, 'a) b (c');
    symlinkSync(spawnSync('sh', ['-c', 'command -v sleep'], { encoding: 'utf8' }).stdout.trim(), name);
    const child = spawn(name, ['30'], { stdio: 'ignore' });
    try {
      await new Promise((resolve) => child.once('spawn', resolve));
      const pid = child.pid as number;
      expect(readFileSync(`/proc/${pid}/comm`, 'utf8')).toBe('a) b (c\n');
      process.kill(pid, 'SIGSTOP');
      for (let waited = 0; waited < 2000 && readProcessStat(pid)?.state !== 'T'; waited += 10) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const stat = readProcessStat(pid);
      expect(stat).toMatchObject({ state: 'T', parent: process.pid });
      // Started after this process, and within the last minute.
      const started = processStartTime(pid) as number;
      expect(started).toBeGreaterThanOrEqual((processStartTime(process.pid) as number) - 10);
      expect(Math.abs(Date.now() - started)).toBeLessThan(60_000);
    } finally {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is undefined for a process that is gone', () => {
    const ended = spawnSync(process.execPath, ['-e', '']).pid as number;
    expect(readProcessStat(ended)).toBeUndefined();
    expect(processStartTime(ended)).toBeUndefined();
  });
});
