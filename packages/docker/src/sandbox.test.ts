import { InvalidArgumentError } from '@snapbox/core';
import { debianImage, tinyImage } from '@snapbox/test-support';
import type Docker from 'dockerode';
import { afterAll, describe, expect, it } from 'vitest';
import { createDockerFactory, type DockerContainer, dockerSandboxDefaults } from './index.js';
import { engine } from './test-support/engine.js';

/**
 * The sandbox controls on the real engine, each bounded so that a 2-core machine shared with
 * other work survives it: limits are small (64 processes, 64 MiB) and every container is removed.
 */
const factory = createDockerFactory();
const started: DockerContainer[] = [];
async function start(container: DockerContainer): Promise<DockerContainer> {
  started.push(container);
  await container.start();
  return container;
}
afterAll(async () => {
  await Promise.allSettled(started.map((container) => container.stop()));
});

const hostConfigOf = async (container: DockerContainer): Promise<Docker.HostConfig> =>
  (await engine.getContainer(container.id as string).inspect()).HostConfig;

/** The container's process count as the engine's stats report it. */
async function processCount(container: DockerContainer): Promise<number> {
  // one-shot: a single sample at once, instead of two a second apart.
  const stats = (await engine
    .getContainer(container.id as string)
    .stats({ stream: false, 'one-shot': true } as { stream: false })) as {
    pids_stats?: { current?: number };
  };
  return stats.pids_stats?.current ?? -1;
}

describe('safe defaults for code nobody reviewed', () => {
  it('a container gets a process limit, no-new-privileges and no NET_RAW unless told otherwise', async () => {
    const box = await start(factory.fromImage({ image: tinyImage }));
    const host = await hostConfigOf(box);
    expect(host.PidsLimit).toBe(dockerSandboxDefaults.PidsLimit);
    expect(host.SecurityOpt).toEqual(['no-new-privileges']);
    expect(host.CapDrop).toEqual(['NET_RAW']);
    const status = await box.exec('grep -E "^(NoNewPrivs|CapBnd)" /proc/self/status');
    expect(status.stdout).toMatch(/NoNewPrivs:\s+1/);
    const bounding = BigInt(`0x${/CapBnd:\s+([0-9a-f]+)/.exec(status.stdout)?.[1]}`);
    // CAP_NET_RAW is capability 13.
    expect(bounding & (1n << 13n)).toBe(0n);
  });

  it('hostConfig replaces a default, per factory and per container, under the contract options', async () => {
    const permissive = createDockerFactory({ hostConfig: { CapDrop: [], PidsLimit: 2000, Init: false } });
    const box = await start(
      permissive.fromImage({
        image: tinyImage,
        resources: { pids: 300 },
        hostConfig: { SecurityOpt: [], Ulimits: [{ Name: 'nofile', Soft: 512, Hard: 512 }] },
      }),
    );
    const host = await hostConfigOf(box);
    expect(host.CapDrop ?? []).toEqual([]);
    expect(host.SecurityOpt ?? []).toEqual([]);
    // The contract's option wins over the escape hatch, and snapbox keeps its init process.
    expect(host.PidsLimit).toBe(300);
    expect(host.Init).toBe(true);
    expect((await box.exec('ulimit -n')).stdout).toBe('512\n');
    const status = await box.exec('grep NoNewPrivs /proc/self/status');
    expect(status.stdout).toMatch(/NoNewPrivs:\s+0/);
  });

  it('refuses a hostConfig that is not an object, and ports together with network none', () => {
    expect(() => createDockerFactory({ hostConfig: 'privileged' as never })).toThrow(/hostConfig/);
    expect(() => factory.fromImage({ image: tinyImage, network: 'none', ports: [80] })).toThrow(/ports/);
  });
});

describe('process limit', () => {
  it('a fork bomb stops at the limit, and the engine and another container keep working', async () => {
    const bounded = await start(
      factory.fromImage({ image: tinyImage, resources: { pids: 64, cpu: 0.5, memoryMiB: 256 } }),
    );
    const neighbour = await start(factory.fromImage({ image: tinyImage }));
    // Every bomb process forks two more and then sleeps, so the bomb fills the limit and then
    // waits instead of spinning (a churning bomb would eat a shared CPU for nothing). bash, not
    // sh: a shell whose fork fails must wait and retry, not exit and free its slot.
    const launched = await bounded.exec(['bash', '-c', 'b() { b & b & sleep 600; }; b >/dev/null 2>&1 &']);
    expect(launched.exitCode).toBe(0);
    let count = 0;
    const deadline = Date.now() + 30_000;
    while (count < 60 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      count = await processCount(bounded);
    }
    expect(count).toBeGreaterThanOrEqual(60);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await processCount(bounded)).toBeLessThanOrEqual(64);
    expect((await neighbour.exec('echo fine')).stdout).toBe('fine\n');
    expect(await engine.ping()).toBeTruthy();
    const removal = Date.now();
    await bounded.stop();
    expect(Date.now() - removal).toBeLessThan(30_000);
    expect((await neighbour.exec('echo still fine')).stdout).toBe('still fine\n');
  }, 120_000);
});

describe('memory limit', () => {
  it('a memory hog is killed by the kernel, the result says so, and the container goes on', async () => {
    const box = await start(factory.fromImage({ image: tinyImage, resources: { memoryMiB: 64 } }));
    // A 160 MB shell string: bash needs it whole in memory.
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
    const hog = await box.exec('x=$(head -c 160000000 /dev/zero | tr "\\0" x); echo ${#x}', { timeoutMs: 60_000 });
    expect(hog.exitCode).toBe(137);
    expect(hog.oomKilled).toBe(true);
    const after = await box.exec('echo alive');
    expect(after.stdout).toBe('alive\n');
    expect(after.oomKilled).toBeUndefined();
    // A SIGKILL that is not the OOM killer's is not reported as one.
    const killed = await box.exec('kill -9 $$');
    expect(killed.exitCode).toBe(137);
    expect(killed.oomKilled).toBeUndefined();
    expect((await hostConfigOf(box)).MemorySwap).toBe(64 * 1024 * 1024);
  });
});

describe('network none', () => {
  it('leaves only loopback: no route to the bridge gateway', async () => {
    const open = await start(factory.fromImage({ image: tinyImage }));
    const settings = (await engine.getContainer(open.id as string).inspect()).NetworkSettings;
    const gateway = Object.values(settings.Networks)[0]?.Gateway;
    expect(gateway).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const closed = await start(factory.fromImage({ image: tinyImage, network: 'none' }));
    expect((await hostConfigOf(closed)).NetworkMode).toBe('none');
    expect((await closed.exec('ls /sys/class/net')).stdout.split(/\s+/).filter(Boolean)).toEqual(['lo']);
    // /proc/net/route holds its header line alone: no route at all, a default one least of all.
    expect((await closed.exec('tail -n +2 /proc/net/route')).stdout).toBe('');
    expect((await open.exec('tail -n +2 /proc/net/route')).stdout).not.toBe('');
    // The engine's own daemon listens on no port here, so probe with ping-free TCP: any port
    // gives "unreachable" without a route, and "refused" or a connection with one.
    const probe = `timeout 3 bash -c 'exec 3<>/dev/tcp/${gateway}/9' 2>&1; echo "exit $?"`;
    expect((await closed.exec(probe)).stdout).toMatch(/unreachable/i);
    expect((await open.exec(probe)).stdout).not.toMatch(/unreachable/i);
    expect((await closed.exec('echo on loopback')).stdout).toBe('on loopback\n');
  });
});

describe('user', () => {
  it('runs every exec as a user named in the image, and refuses a name it does not know', async () => {
    const box = await start(factory.fromImage({ image: debianImage, user: 'nobody', defaultWorkdir: '/home/agent' }));
    expect((await box.exec('id -un; id -u')).stdout).toBe('nobody\n65534\n');
    expect((await box.exec('id -un', { user: 'root' })).stdout).toBe('root\n');
    await box.writeFile('/home/agent/notes.txt', 'mine\n');
    expect((await box.exec('stat -c %U notes.txt && echo more >> notes.txt && stat -c %U .')).stdout).toBe(
      'nobody\nnobody\n',
    );
    // Uploads are the user's; the main process too (the keep-alive loop).
    expect((await box.exec('ps -o user= -p 1; ps -o user= -C sleep')).stdout).toMatch(/nobody/);
    const unknown = factory.fromImage({ image: tinyImage, user: 'no-such-user' });
    started.push(unknown);
    const error = await unknown.start().catch((e: unknown) => e);
    expect(InvalidArgumentError.isInstance(error)).toBe(true);
    expect((error as InvalidArgumentError).argument).toBe('user');
    expect(unknown.state).toBe('created'); // a failed start may be retried
  });

  it('kills a timed-out command of another user, as that user', async () => {
    const box = await start(factory.fromImage({ image: tinyImage, user: '1234:1234' }));
    const error = await box.exec('sleep 1000 & sleep 1001', { timeoutMs: 800, user: '4321' }).catch((e: unknown) => e);
    expect((error as { code?: string }).code).toBe('EXEC_TIMEOUT');
    expect((await box.exec('ps -o args | grep -c "^sleep 100[01]" || true')).stdout).toBe('0\n');
  });
});

describe('ports', () => {
  it('publishes on loopback only, by default, for a local engine', async () => {
    const box = await start(factory.fromImage({ image: tinyImage, ports: [8080, 9090] }));
    const bindings = (await hostConfigOf(box)).PortBindings as Record<string, Array<{ HostIp: string }>>;
    expect(bindings['8080/tcp']?.[0]?.HostIp).toBe('127.0.0.1');
    const where = await box.endpoint(9090);
    expect(where.host).toBe('127.0.0.1');
    expect(where.port).toBeGreaterThan(0);
    expect((await box.endpoint(8080)).port).not.toBe(where.port);
  });
});
