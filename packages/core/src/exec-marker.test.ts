import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { isAlive } from '@snapbox/test-support';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from './errors/index.js';
import { execMarkerVariable, killMarkedCommand, newExecMarker } from './exec-marker.js';

function markedPids(marker: string): number[] {
  return execFileSync(
    'sh',
    ['-c', `grep -l -z -x ${execMarkerVariable}=${marker} /proc/[0-9]*/environ 2>/dev/null || true`],
    { encoding: 'utf8' },
  )
    .split('\n')
    .filter(Boolean)
    .map((path) => Number(path.split('/')[2]));
}

// The script runs here on the host's sh and grep, as it would inside a container. It starts one
// grep per process, and a busy host has many more processes than a container: allow for that.
describe('killMarkedCommand', { timeout: 30_000 }, () => {
  it('kills every process carrying the marker, background and setsid ones included, and nothing else', async () => {
    const marker = newExecMarker();
    const tree = spawn('sh', ['-c', 'sleep 60 & setsid sleep 60 & echo "$!"; sleep 60'], {
      env: { ...process.env, [execMarkerVariable]: marker },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const bystander = spawn('sleep', ['60'], { stdio: 'ignore' });
    const setsidPid = await new Promise<number>((resolve) =>
      tree.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim()))),
    );
    const marked = markedPids(marker);
    expect(marked.length).toBeGreaterThanOrEqual(3);
    expect(marked).toContain(setsidPid);

    const [program, ...args] = killMarkedCommand(marker);
    expect(spawnSync(program as string, args).status).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 200));
    for (const pid of marked) expect(isAlive(pid), `pid ${pid}`).toBe(false);
    expect(isAlive(bystander.pid as number)).toBe(true);
    bystander.kill('SIGKILL');
  });

  it('exits 0 when no process carries the marker', () => {
    const [program, ...args] = killMarkedCommand(newExecMarker());
    expect(spawnSync(program as string, args).status).toBe(0);
  });

  it('rejects a marker that would change the meaning of the pattern', () => {
    for (const marker of ['', 'a.*', 'x y', '$(reboot)']) {
      expect(() => killMarkedCommand(marker), marker).toThrow(InvalidArgumentError);
    }
  });
});
