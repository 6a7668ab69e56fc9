import { describe, expect, it } from 'vitest';
import type { BubblewrapContainer } from './bubblewrap-container.js';
import { createBubblewrapFactory } from './index.js';
import { startsContainers, testStateDir, tinyImage } from './test-support/fixtures.js';

const stateDir = testStateDir('isolation');
const factory = createBubblewrapFactory({ stateDir });
const startContainer = startsContainers();
const started = (container: BubblewrapContainer, env?: Record<string, string>) =>
  startContainer(container, env === undefined ? undefined : { env });

describe('isolation', () => {
  it('each container sees only its own processes, files, hostname and IPC', async () => {
    const [a, b] = await Promise.all([
      started(factory.fromImage({ image: tinyImage, name: 'box-a' })),
      started(factory.fromImage({ image: tinyImage, name: 'box-b' })),
    ]);
    await a.exec(
      'setsid sleep 600 >/dev/null 2>&1 & echo secret > /tmp/a-only; mkdir -p /dev/shm; echo shm > /dev/shm/a',
    );
    const ps = (await b.exec('ps -o pid,args')).stdout;
    expect(ps).not.toContain('sleep 600');
    expect((await a.exec('ps -o args')).stdout).toContain('sleep 600');
    // pid 1 is the sandbox's own init.
    expect((await b.exec('cat /proc/1/cmdline | tr "\\0" " "')).stdout).toMatch(/^\S*bwrap /);
    expect((await b.exec(['test', '-e', '/tmp/a-only'])).exitCode).toBe(1);
    expect((await b.exec(['test', '-e', '/dev/shm/a'])).exitCode).toBe(1);
    expect((await a.exec('hostname')).stdout).toBe('box-a\n');
    expect((await b.exec('hostname')).stdout).toBe('box-b\n');
  });

  it('has no network but loopback unless asked for, and then the host’s', async () => {
    const none = await started(factory.fromImage({ image: tinyImage }));
    const interfaces = (await none.exec("tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '")).stdout
      .trim()
      .split('\n');
    expect(interfaces).toEqual(['lo']);
    // A server on loopback in one command is reachable from the next: the namespace is the container's.
    await none.exec('nc -l -p 7777 -e echo pong >/dev/null 2>&1 &');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await none.exec('echo ping | nc 127.0.0.1 7777')).stdout).toBe('pong\n');
    const shared = createBubblewrapFactory({ stateDir, network: 'default' });
    const host = await started(shared.fromImage({ image: tinyImage }));
    const hostInterfaces = (await host.exec("tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '")).stdout.trim();
    expect(hostInterfaces.split('\n').length).toBeGreaterThan(1);
  });

  it('passes no host environment into the sandbox', async () => {
    process.env.SNAPBOX_HOST_SECRET = 'must-not-leak';
    try {
      const box = await started(factory.fromImage({ image: tinyImage }), { MINE: 'yes' });
      const everything = (await box.exec('cat /proc/[0-9]*/environ 2>/dev/null | tr "\\0" "\\n"')).stdout;
      expect(everything).not.toContain('must-not-leak');
      expect(everything).toContain('MINE=yes');
    } finally {
      delete process.env.SNAPBOX_HOST_SECRET;
    }
  });
});
