import { execFileSync, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError } from '@snapbox/core';
import { describe, expect, it } from 'vitest';
import type { BubblewrapContainer } from './bubblewrap-container.js';
import { createBubblewrapFactory } from './index.js';
import { debianImage, startsContainers, testStateDir, tinyImage } from './test-support/fixtures.js';

// What the conformance suite does not pin down about the bubblewrap backend's own choices:
// each container's network against its factory's, the port relay's lifetime, and who owns
// what the backend creates for a container's user.
const stateDir = testStateDir('sandbox-controls');
const noneFactory = createBubblewrapFactory({ stateDir });
const hostFactory = createBubblewrapFactory({ stateDir, network: 'default' });
const started = startsContainers();

const interfaces = async (box: BubblewrapContainer) =>
  (await box.exec("tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '")).stdout.trim().split('\n');

/** Sends `line` to 127.0.0.1:`port` and resolves with everything read until the peer closes. */
function exchange(port: number, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.on('data', (chunk: Buffer) => {
      data += chunk.toString('utf8');
    });
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
    socket.end(line);
  });
}

describe('network per container', () => {
  it("a container's own network wins over its factory's, both ways", async () => {
    const [closed, open] = await Promise.all([
      started(hostFactory.fromImage({ image: tinyImage, network: 'none' })),
      started(noneFactory.fromImage({ image: tinyImage, network: 'default' })),
    ]);
    expect(await interfaces(closed)).toEqual(['lo']);
    expect((await interfaces(open)).length).toBeGreaterThan(1);
    // And the factory's network stays the default of the others.
    const plain = await started(hostFactory.fromImage({ image: tinyImage }));
    expect((await interfaces(plain)).length).toBeGreaterThan(1);
  });
});

describe('ports', () => {
  /** GETs `path` from 127.0.0.1:`port`, retrying while the server inside is still starting. */
  async function get(port: number, path: string): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      try {
        const response = await fetch(`http://127.0.0.1:${port}${path}`);
        return await response.text();
      } catch (error) {
        if (attempt >= 50) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  it("relays a 'none' container's ports through its own loopback, many connections at once, until stop()", async () => {
    const box = await started(noneFactory.fromImage({ image: tinyImage, ports: [7001, 7002] }));
    for (let index = 0; index < 8; index++) await box.writeFile(`/www/${index}.txt`, `file ${index}\n`);
    // busybox's httpd forks one process per connection, so the requests below run at once.
    await box.exec('busybox httpd -p 7001 -h /www');
    const { host, port } = await box.endpoint(7001);
    expect(host).toBe('127.0.0.1');
    expect(port).not.toBe(7001);
    // The same relay answers later calls.
    expect((await box.endpoint(7001)).port).toBe(port);
    expect(await get(port, '/0.txt')).toBe('file 0\n');
    const bodies = await Promise.all(Array.from({ length: 8 }, (_, index) => get(port, `/${index}.txt`)));
    expect(bodies).toEqual(Array.from({ length: 8 }, (_, index) => `file ${index}\n`));
    // Nothing listens on 7002 inside: the connection is accepted, then closed without data.
    const empty = await box.endpoint(7002);
    expect(await exchange(empty.port, 'anyone?\n')).toBe('');
    // One connection's cost, for the README: no process is started per connection.
    const rounds = 20;
    const began = performance.now();
    for (let round = 0; round < rounds; round++) await exchange(port, 'GET /0.txt HTTP/1.0\r\n\r\n');
    console.log(`relayed connection with one request: ${((performance.now() - began) / rounds).toFixed(1)} ms`);
    await box.stop();
    await expect(exchange(port, 'gone?\n')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  const childScript = fileURLToPath(new URL('./test-support/ports-child.mjs', import.meta.url));
  /** Runs the child in `mode`; resolves with its JSON lines as they come, and its exit. */
  function runChild(mode: 'stop' | 'hold') {
    const child = spawn(process.execPath, [childScript, mode, stateDir, tinyImage], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines: Record<string, unknown>[] = [];
    let waiting: (() => void) | undefined;
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      let at = buffered.indexOf('\n');
      while (at >= 0) {
        lines.push(JSON.parse(buffered.slice(0, at)) as Record<string, unknown>);
        buffered = buffered.slice(at + 1);
        at = buffered.indexOf('\n');
      }
      waiting?.();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const firstLine = new Promise<Record<string, unknown>>((resolve) => {
      waiting = () => {
        if (lines[0] !== undefined) resolve(lines[0]);
      };
    });
    return { child, lines, exited, firstLine };
  }
  const refused = async (port: number) => {
    for (let waited = 0; waited < 5000; waited += 100) {
      const error = await exchange(port, 'x').then(
        () => undefined,
        (failure: NodeJS.ErrnoException) => failure,
      );
      if (error?.code === 'ECONNREFUSED') return true;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return false;
  };

  it('stop() returns in a script with nothing else to do (the relay keeps it alive until gone)', async () => {
    const run = runChild('stop');
    expect(await run.exited).toBe(0);
    expect(run.lines).toEqual([{ port: expect.any(Number) }, { stopped: true }]);
    expect(await refused(run.lines[0]?.port as number)).toBe(true);
  });

  it('the relay ends with its owner, SIGKILL included', async () => {
    const run = runChild('hold');
    const { port } = (await run.firstLine) as { port: number };
    // Listening while the owner lives.
    await expect(exchange(port, 'x')).resolves.toBe('');
    run.child.kill('SIGKILL');
    await run.exited;
    expect(await refused(port)).toBe(true);
  });

  it("a 'default' container's endpoint is the host's own port", async () => {
    const box = await started(noneFactory.fromImage({ image: tinyImage, network: 'default', ports: [7003] }));
    expect(await box.endpoint(7003)).toEqual({ host: '127.0.0.1', port: 7003 });
  });
});

describe('user', () => {
  it("sets HOME as Docker does, from the image's /etc/passwd for whoever runs the command", async () => {
    const box = await started(noneFactory.fromImage({ image: debianImage, user: 'nobody' }));
    expect((await box.exec('printf %s "$HOME"')).stdout).toBe('/nonexistent');
    for (const user of ['root', 'daemon', 'nobody', '1234']) {
      const inside = (await box.exec('printf %s "$HOME"', { user })).stdout;
      const docker = execFileSync(
        'docker',
        ['run', '--rm', '--network', 'none', '--user', user, debianImage, 'sh', '-c', 'printf %s "$HOME"'],
        { encoding: 'utf8' },
      );
      expect(inside, `HOME of ${user}`).toBe(docker);
    }
  });

  it('takes a name from the image, and refuses one it lacks with InvalidArgumentError', async () => {
    const box = await started(noneFactory.fromImage({ image: tinyImage, user: 'nobody' }));
    expect((await box.exec('id -u; id -g')).stdout).toBe('65534\n65534\n');
    expect((await box.exec('id -u', { user: 'root' })).stdout).toBe('0\n');
    await expect(box.exec('true', { user: 'nosuchuser' })).rejects.toSatisfy(InvalidArgumentError.isInstance);
    const unknown = noneFactory.fromImage({ image: tinyImage, user: 'nosuchuser' });
    await expect(started(unknown)).rejects.toSatisfy(InvalidArgumentError.isInstance);
    // A refused start may be retried, as after any failed start.
    expect(unknown.state).toBe('created');
  });

  it("gives what it creates to the container's user, where the user could not have made it, and only that", async () => {
    const box = await started(
      noneFactory.fromImage({ image: tinyImage, user: '1234:2345', defaultWorkdir: '/etc/snapbox-app/work' }),
    );
    await box.writeFile('/etc/snapbox-new/deep/file.txt', 'x');
    await box.writeFile('/etc/snapbox-owned.conf', 'y');
    const owners = await box.exec(
      'stat -c "%n %u:%g" /etc /etc/snapbox-app /etc/snapbox-app/work /etc/snapbox-new /etc/snapbox-new/deep /etc/snapbox-new/deep/file.txt /etc/snapbox-owned.conf',
      { user: '0' },
    );
    expect(owners.stdout).toBe(
      [
        '/etc 0:0',
        '/etc/snapbox-app 1234:2345',
        '/etc/snapbox-app/work 1234:2345',
        '/etc/snapbox-new 1234:2345',
        '/etc/snapbox-new/deep 1234:2345',
        '/etc/snapbox-new/deep/file.txt 1234:2345',
        '/etc/snapbox-owned.conf 1234:2345',
        '',
      ].join('\n'),
    );
  });
});
