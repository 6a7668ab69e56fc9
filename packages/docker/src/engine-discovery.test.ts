import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { BackendUnavailableError } from '@snapbox/core';
import { tinyImage } from '@snapbox/test-support';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeEndpoint, discoveredSource, resolveDocker } from './docker-connection.js';
import { createDockerFactory } from './docker-factory.js';
import {
  type DiscoveryEnvironment,
  discoverEngine,
  discoverEngineOnce,
  discoveryEnvironment,
  type SystemSockets,
} from './engine-discovery.js';

/**
 * A stand-in engine on a real socket: answers `/_ping` with `OK` (or never, or with a 404) and
 * `/version` like Docker, and counts the requests it got.
 */
interface FakeEngine {
  path: string;
  requests: string[];
  close(): Promise<void>;
}

const servers: Server[] = [];

async function fakeEngine(path: string, answer: 'ok' | 'hang' | 'not-an-engine' = 'ok'): Promise<FakeEngine> {
  await mkdir(dirname(path), { recursive: true });
  const requests: string[] = [];
  const server = createServer((request, response) => {
    requests.push(request.url ?? '');
    if (answer === 'hang') return;
    if (answer === 'not-an-engine') {
      response.writeHead(404).end('nothing here');
      return;
    }
    if (request.url?.endsWith('/_ping')) {
      response.end('OK');
    } else if (request.url?.endsWith('/version')) {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ Version: '99.0-fake', Components: [{ Name: 'Engine' }] }));
    } else {
      response.writeHead(404).end('{"message":"not faked"}');
    }
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return {
    path,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A socket file nobody listens on: what a crashed engine leaves behind. */
function staleSocket(path: string): void {
  const child = spawnSync(process.execPath, [
    '-e',
    `require('node:net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`,
  ]);
  expect(child.signal).toBe('SIGKILL');
}

/** A docker CLI context named `name` under `configDir`, as `docker context create` writes it. */
async function writeContext(configDir: string, name: string, host: string): Promise<void> {
  const hash = createHash('sha256').update(name).digest('hex');
  const dir = join(configDir, 'contexts', 'meta', hash);
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, 'meta.json'),
    JSON.stringify({ Name: name, Metadata: {}, Endpoints: { docker: { Host: host, SkipTLSVerify: false } } }),
  );
}

let root: string;
let env: DiscoveryEnvironment;
let sockets: SystemSockets;

beforeEach(async () => {
  // Short paths: a unix socket path must stay under ~107 bytes.
  root = await mkdtemp(join(tmpdir(), 'sbx-disc-'));
  env = { HOME: join(root, 'home'), XDG_RUNTIME_DIR: join(root, 'xdg') };
  sockets = {
    docker: join(root, 'var-run', 'docker.sock'),
    podman: join(root, 'run-podman', 'podman.sock'),
    userRuntimeDir: join(root, 'run-user'),
  };
  await mkdir(env.HOME as string, { recursive: true });
});

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  await rm(root, { recursive: true, force: true });
});

describe('finding the engine', () => {
  it('takes the first that answers: context, Docker socket, rootless Docker, rootless Podman, Podman', async () => {
    const home = env.HOME as string;
    const xdg = env.XDG_RUNTIME_DIR as string;
    await writeContext(join(home, '.docker'), 'colima', `unix://${join(root, 'ctx', 'docker.sock')}`);
    await writeFile(join(home, '.docker', 'config.json'), JSON.stringify({ currentContext: 'colima' }));
    const context = await fakeEngine(join(root, 'ctx', 'docker.sock'));
    const docker = await fakeEngine(sockets.docker);
    const rootless = await fakeEngine(join(xdg, 'docker.sock'));
    const runUser = await fakeEngine(join(sockets.userRuntimeDir as string, 'docker.sock'));
    const rootlessPodman = await fakeEngine(join(xdg, 'podman', 'podman.sock'));
    const podman = await fakeEngine(sockets.podman);
    const order: string[] = [];
    for (const next of [context, docker, rootless, runUser, rootlessPodman, podman]) {
      const found = await discoverEngine({ env, sockets });
      order.push(found.candidate.source);
      expect(found.candidate.endpoint).toBe(`unix://${next.path}`);
      await next.close();
    }
    expect(order).toEqual([
      'docker context "colima" (currentContext of ' + join(home, '.docker', 'config.json') + ')',
      "Docker's default socket",
      'rootless Docker',
      'rootless Docker',
      'rootless Podman',
      'Podman',
    ]);
    // Pings stop at the first answer: the Podman socket (which systemd may start on demand)
    // was not touched while a Docker socket answered.
    expect(context.requests).toEqual(['/_ping']);
    expect(podman.requests).toEqual(['/_ping']);
    expect(docker.requests).toEqual(['/_ping']);
  });

  it('lists every candidate and why it failed when nothing answers, with what to do', async () => {
    const xdg = env.XDG_RUNTIME_DIR as string;
    await mkdir(dirname(sockets.docker), { recursive: true });
    staleSocket(sockets.docker);
    await fakeEngine(join(xdg, 'docker.sock'), 'hang');
    await fakeEngine(join(xdg, 'podman', 'podman.sock'), 'not-an-engine');
    await mkdir(dirname(sockets.podman), { recursive: true });
    await writeFile(sockets.podman, 'a regular file');
    await mkdir(join(env.HOME as string, '.docker'), { recursive: true });
    await writeFile(join(env.HOME as string, '.docker', 'config.json'), JSON.stringify({ currentContext: 'gone' }));

    const error = await discoverEngine({ env, sockets, timeoutMs: 300 }).catch((caught: unknown) => caught);
    expect(BackendUnavailableError.isInstance(error)).toBe(true);
    const message = (error as Error).message;
    const lines = message.split('\n');
    expect(lines[0]).toBe('The docker backend is unavailable: no engine answered. Looked at:');
    expect(message).toContain('  - DOCKER_HOST: not set');
    const listed = lines.filter((line) => /^ {2}\d+\. /.test(line));
    expect(listed).toEqual([
      expect.stringMatching(/^ {2}1\. \(unknown\) \(docker context "gone" .*\): no such context \(no .*meta\.json\)/),
      `  2. unix://${sockets.docker} (Docker's default socket): connection refused (nothing listens: the engine is stopped, or the socket file is stale)`,
      `  3. unix://${join(xdg, 'docker.sock')} (rootless Docker): no answer within 300 ms`,
      `  4. unix://${join(env.HOME as string, '.docker', 'run', 'docker.sock')} (Docker Desktop): no socket there`,
      `  5. unix://${join(env.HOME as string, '.docker', 'desktop', 'docker.sock')} (Docker Desktop): no socket there`,
      `  6. unix://${join(sockets.userRuntimeDir as string, 'docker.sock')} (rootless Docker): no socket there`,
      `  7. unix://${join(xdg, 'podman', 'podman.sock')} (rootless Podman): answered HTTP 404, not as a Docker Engine API`,
      `  8. unix://${join(sockets.userRuntimeDir as string, 'podman', 'podman.sock')} (rootless Podman): no socket there`,
      `  9. unix://${sockets.podman} (Podman): not a socket`,
    ]);
    expect(lines.at(-1)).toMatch(/^Start an engine .*DOCKER_HOST=unix:\/\/\/path\/to\/socket.*createDockerFactory\.$/);
  });

  it('honours DOCKER_CONFIG, and DOCKER_CONTEXT over currentContext', async () => {
    const configDir = join(root, 'elsewhere');
    await writeContext(configDir, 'remote', `unix://${join(root, 'remote.sock')}`);
    await writeContext(configDir, 'other', `unix://${join(root, 'other.sock')}`);
    await writeFile(join(configDir, 'config.json'), JSON.stringify({ currentContext: 'remote' }));
    await fakeEngine(join(root, 'remote.sock'));
    await fakeEngine(join(root, 'other.sock'));
    await fakeEngine(sockets.docker);
    // A context under $HOME/.docker is not read when DOCKER_CONFIG points elsewhere.
    await writeContext(join(env.HOME as string, '.docker'), 'remote', 'unix:///nowhere.sock');
    const viaConfig = await discoverEngine({ env: { ...env, DOCKER_CONFIG: configDir }, sockets });
    expect(viaConfig.candidate.endpoint).toBe(`unix://${join(root, 'remote.sock')}`);
    const viaVariable = await discoverEngine({
      env: { ...env, DOCKER_CONFIG: configDir, DOCKER_CONTEXT: 'other' },
      sockets,
    });
    expect(viaVariable.candidate.endpoint).toBe(`unix://${join(root, 'other.sock')}`);
    expect(viaVariable.candidate.source).toBe('docker context "other" (DOCKER_CONTEXT)');
    // "default" is the default socket, as for the docker CLI.
    const viaDefault = await discoverEngine({
      env: { ...env, DOCKER_CONFIG: configDir, DOCKER_CONTEXT: 'default' },
      sockets,
    });
    expect(viaDefault.candidate.endpoint).toBe(`unix://${sockets.docker}`);
  });

  it('falls back from a stale currentContext, but never from a context DOCKER_CONTEXT names', async () => {
    const configDir = join(env.HOME as string, '.docker');
    await writeContext(configDir, 'stopped', `unix://${join(root, 'stopped.sock')}`);
    await writeFile(join(configDir, 'config.json'), JSON.stringify({ currentContext: 'stopped' }));
    await fakeEngine(sockets.docker);
    const fallback = await discoverEngine({ env, sockets });
    expect(fallback.candidate.endpoint).toBe(`unix://${sockets.docker}`);
    expect(fallback.attempts[0]).toMatchObject({
      endpoint: `unix://${join(root, 'stopped.sock')}`,
      outcome: 'no socket there',
    });

    const error = await discoverEngine({ env: { ...env, DOCKER_CONTEXT: 'stopped' }, sockets }).catch(
      (e: unknown) => e,
    );
    expect(BackendUnavailableError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain(
      `1. unix://${join(root, 'stopped.sock')} (docker context "stopped" (DOCKER_CONTEXT)): no socket there`,
    );
    expect((error as Error).message).toContain('DOCKER_CONTEXT names this context, so no other engine was tried');
    expect((error as Error).message).not.toContain(sockets.docker);
  });

  it('reaches a context whose endpoint is tcp://', async () => {
    const server = createServer((request, response) => response.end(request.url === '/_ping' ? 'OK' : '{}'));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await writeContext(join(env.HOME as string, '.docker'), 'tcp', `tcp://127.0.0.1:${port}`);
    const found = await discoverEngine({ env: { ...env, DOCKER_CONTEXT: 'tcp' }, sockets });
    expect(found.candidate.options).toEqual({ protocol: 'http', host: '127.0.0.1', port: String(port) });
    expect(describeEndpoint(resolveDocker(found.candidate.options))).toBe(`tcp://127.0.0.1:${port}`);
  });

  it('keeps the answer for the process, but looks again after a failure', async () => {
    await writeContext(join(env.HOME as string, '.docker'), 'later', `unix://${join(root, 'later.sock')}`);
    const contextEnv = { ...env, DOCKER_CONTEXT: 'later' };
    await expect(discoverEngineOnce(contextEnv)).rejects.toThrow(/no socket there/);
    const engine = await fakeEngine(join(root, 'later.sock'));
    const first = await discoverEngineOnce(contextEnv);
    await engine.close();
    expect(await discoverEngineOnce(contextEnv)).toBe(first);
    expect(engine.requests).toEqual(['/_ping']);
  });
});

describe('clients without an endpoint', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const name of ['DOCKER_HOST', 'DOCKER_CONTEXT', 'DOCKER_CONFIG', 'HOME', 'XDG_RUNTIME_DIR']) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });

  it('do no I/O when made, and find the engine on their first request', async () => {
    await writeContext(join(env.HOME as string, '.docker'), 'fake', `unix://${join(root, 'fake.sock')}`);
    const engine = await fakeEngine(join(root, 'fake.sock'));
    delete process.env.DOCKER_HOST;
    process.env.HOME = env.HOME;
    process.env.DOCKER_CONTEXT = 'fake';
    const factory = createDockerFactory({ watchdog: false });
    factory.fromImage({ image: tinyImage });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(engine.requests).toEqual([]);
    expect(describeEndpoint(factory.docker)).toBe('the engine snapbox looks for on first use');
    // The choice is made from the environment the client was made in.
    process.env.DOCKER_CONTEXT = 'something-else';
    process.env.DOCKER_HOST = 'tcp://127.0.0.1:9';
    const version = await factory.docker.version();
    expect(version.Version).toBe('99.0-fake');
    expect(engine.requests).toEqual(['/_ping', '/version']);
    expect(describeEndpoint(factory.docker)).toBe(`unix://${join(root, 'fake.sock')}`);
    expect(discoveredSource(factory.docker)).toBe('docker context "fake" (DOCKER_CONTEXT)');
  });

  it('say what was tried when nothing answers, at start()', async () => {
    delete process.env.DOCKER_HOST;
    process.env.HOME = env.HOME;
    process.env.DOCKER_CONTEXT = 'missing';
    const box = createDockerFactory({ watchdog: false }).fromImage({ image: tinyImage });
    const error = await box.start().catch((caught: unknown) => caught);
    expect(BackendUnavailableError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/docker context "missing" \(DOCKER_CONTEXT\)\): no such context/);
    expect(box.state).toBe('created');
  });

  it('use DOCKER_HOST alone when it is set, and say so when it fails', async () => {
    const missing = join(root, 'no-engine.sock');
    process.env.DOCKER_HOST = `unix://${missing}`;
    const box = createDockerFactory({ watchdog: false }).fromImage({ image: tinyImage });
    // The local engine answers, yet nothing falls back to it.
    const error = await box.start().catch((caught: unknown) => caught);
    expect(BackendUnavailableError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain(`at unix://${missing}`);
    expect((error as Error).message).toContain(
      `DOCKER_HOST=unix://${missing} is set, so snapbox tried only this engine and looked nowhere else`,
    );
  });

  it('find the local engine of this machine by default', async () => {
    delete process.env.DOCKER_HOST;
    delete process.env.DOCKER_CONTEXT;
    const found = await discoverEngineOnce(discoveryEnvironment());
    expect(found.attempts.at(-1)?.outcome).toBe('answered');
    await using box = createDockerFactory().fromImage({ image: tinyImage });
    await box.start();
    expect((await box.exec(['echo', 'found'])).stdout).toBe('found\n');
    expect(describeEndpoint(box.docker)).toBe(found.candidate.endpoint);
    expect(discoveredSource(box.docker)).toBe(found.candidate.source);
  });
});
