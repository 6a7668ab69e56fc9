import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Container,
  type ContainerEndpoint,
  type ContainerFactory,
  ContainerNotStartedError,
  type ContainerOptions,
  InvalidArgumentError,
  type ProgressEvent,
  StartAbortedError,
  StartTimeoutError,
  UnsupportedCapabilityError,
} from '@snapbox/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** Capabilities of the sandbox group that a backend may lack, each with the reason. */
export interface SandboxUnsupported {
  /** Why `network: 'none'` cannot be enforced: the suite then checks that it is refused. */
  network?: string;
  /**
   * Why the backend's containers cannot reach this machine even on the default network (a
   * cloud or an in-memory backend). The proof that `network: 'none'` cuts the host off needs
   * a container that reaches it without the option, so it is skipped with this reason.
   */
  hostNetwork?: string;
  /** Why `resources.pids` cannot be enforced: the suite then checks that it is refused. */
  pids?: string;
  /** Why `user` cannot be enforced: the suite then checks that it is refused. */
  user?: string;
  /** Why `ports` cannot be exposed: the suite then checks that they and `endpoint()` are refused. */
  ports?: string;
  /**
   * Why this machine cannot reach a published port although the backend publishes it (an
   * engine without port forwarding, say): the test that fetches from a server inside through
   * `endpoint()` is skipped with this reason; `endpoint()` itself is still checked.
   */
  hostPorts?: string;
}

/** How the `ports` test reaches a server through an endpoint. */
export interface EndpointRequest {
  /** The base URL (the test appends `/probe.txt`), e.g. `http://127.0.0.1:49153`. */
  url: string;
  /** Headers to send, e.g. a preview token. */
  headers?: Record<string, string>;
}

/** What the sandbox group needs from the main suite. */
export interface SandboxSuiteContext {
  factory: ContainerFactory;
  image: string;
  containerOptions: ContainerOptions | undefined;
  unsupported: SandboxUnsupported;
  /** Why the backend cannot build from a Dockerfile (the main suite's `unsupported.fromDockerfile`): the build tests are skipped. */
  fromDockerfileUnsupported: string | undefined;
  serverCommand: (port: number, directory: string) => string;
  endpointRequest: (endpoint: ContainerEndpoint) => EndpointRequest;
  ownedResources: (() => Promise<readonly string[]>) | undefined;
  /** Tracks a container for the final cleanup. */
  track(container: Container): void;
  /** Creates a container (not started) and tracks it for the final cleanup. */
  make(extra?: ContainerOptions): Container;
  /** Starts a tracked container. */
  started(extra?: ContainerOptions): Promise<Container>;
  /** Runs a command that must succeed and returns its stdout. */
  text(container: Container, command: string | readonly string[]): Promise<string>;
}

/**
 * The default of `serverCommand`: busybox's httpd or Python's http.server, whichever the image
 * has, serving `directory` on `port` in the foreground.
 */
export function defaultServerCommand(port: number, directory: string): string {
  return [
    `if command -v busybox >/dev/null 2>&1; then exec busybox httpd -f -p ${port} -h ${directory};`,
    `elif command -v python3 >/dev/null 2>&1; then exec python3 -m http.server ${port} --directory ${directory};`,
    'else echo "no HTTP server in the image: pass serverCommand to describeContainerConformance" >&2; exit 127; fi',
  ].join(' ');
}

const failure = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

const skipReason = (reason: string | undefined) => (reason === undefined ? '' : ` (not supported: ${reason})`);

/** The sandbox controls and the start options: network, pids, user, ports, cancellation, progress. */
export function describeSandboxConformance(context: SandboxSuiteContext): void {
  const { unsupported, make, started, text } = context;

  /** The option must be refused, by the factory or at the latest by `start()`, never ignored. */
  async function expectRefused(extra: ContainerOptions, capability: string): Promise<void> {
    let container: Container;
    try {
      container = make(extra);
    } catch (error) {
      expect(UnsupportedCapabilityError.isInstance(error), String(error)).toBe(true);
      expect((error as UnsupportedCapabilityError).capability).toBe(capability);
      return;
    }
    const error = await failure(container.start());
    expect(
      UnsupportedCapabilityError.isInstance(error),
      `start() with ${JSON.stringify(extra)}: ${String(error)}`,
    ).toBe(true);
    expect((error as UnsupportedCapabilityError).capability).toBe(capability);
    expect(container.state).not.toBe('running');
  }

  describe('sandbox: network', () => {
    if (unsupported.network !== undefined) {
      it(`refuses network 'none' with UnsupportedCapabilityError${skipReason(unsupported.network)}`, async () => {
        await expectRefused({ network: 'none' }, 'network');
      });
      return;
    }

    it.skipIf(unsupported.hostNetwork !== undefined)(
      `a container with network 'none' cannot reach the engine host${skipReason(unsupported.hostNetwork)}`,
      async () => {
        const listener = await listenOnAllAddresses();
        try {
          const candidates = hostAddresses();
          expect(candidates.length, 'this machine has no non-loopback IPv4 address to probe').toBeGreaterThan(0);
          // Asked for explicitly: a backend may keep its containers off the network by default.
          const open = await started({ network: 'default' });
          const reached = await probe(open, candidates, listener.port);
          expect(
            reached.length,
            `with network 'default', a container should reach this machine on one of ${candidates.join(', ')} (port ${listener.port}); if this backend's containers never can, declare unsupported.hostNetwork`,
          ).toBeGreaterThan(0);
          const closed = await started({ network: 'none' });
          expect(await probe(closed, candidates, listener.port)).toEqual([]);
          // Loopback still works inside, and the container still runs commands.
          expect(await text(closed, 'echo still here')).toBe('still here\n');
          await Promise.all([open.stop(), closed.stop()]);
        } finally {
          await listener.close();
        }
      },
    );

    it("takes network 'default' as the default", async () => {
      const container = await started({ network: 'default' });
      expect(await text(container, 'echo ok')).toBe('ok\n');
      await container.stop();
    });
  });

  describe('sandbox: process limit', () => {
    if (unsupported.pids !== undefined) {
      it(`refuses resources.pids with UnsupportedCapabilityError${skipReason(unsupported.pids)}`, async () => {
        await expectRefused({ resources: { pids: 64 } }, 'resources.pids');
      });
      return;
    }

    // `sh`, not bash: bash retries a failed fork for a quarter of a minute before giving up.
    const spawnMany = (count: number) => [
      'sh',
      '-c',
      `i=0; while [ $i -lt ${count} ]; do sleep 5 >/dev/null 2>&1 & i=$((i+1)); echo $i; done`,
    ];
    const lastCount = (stdout: string) => Number(stdout.trim().split('\n').pop() ?? '0');

    it('a pids limit holds: processes past it are refused', async () => {
      const limit = 24;
      const free = await started();
      const unlimited = await free.exec(spawnMany(60), { timeoutMs: 30_000 });
      expect(lastCount(unlimited.stdout), unlimited.output).toBe(60);
      const bounded = await started({ resources: { ...context.containerOptions?.resources, pids: limit } });
      const limited = await bounded.exec(spawnMany(60), { timeoutMs: 30_000 });
      const spawned = lastCount(limited.stdout);
      expect(spawned, limited.output).toBeGreaterThan(0);
      expect(spawned, limited.output).toBeLessThanOrEqual(limit);
      await Promise.all([free.stop(), bounded.stop()]);
    });
  });

  describe('sandbox: user', () => {
    if (unsupported.user !== undefined) {
      it(`refuses user and ExecOptions.user with UnsupportedCapabilityError${skipReason(unsupported.user)}`, async () => {
        await expectRefused({ user: '1234' }, 'user');
        const container = await started();
        const error = await failure(container.exec('id -u', { user: '1234' }));
        expect(UnsupportedCapabilityError.isInstance(error), String(error)).toBe(true);
        await container.stop();
      });
      return;
    }

    let asUser: Container;
    beforeAll(async () => {
      asUser = await started({ user: '1234:2345', defaultWorkdir: '/tmp/snapbox-user-home' });
    });

    it("every exec runs as the container's user; ExecOptions.user overrides it for one call", async () => {
      expect(await text(asUser, 'id -u; id -g')).toBe('1234\n2345\n');
      expect(await text(asUser, ['id', '-u'])).toBe('1234\n');
      expect((await asUser.exec('id -u', { user: '0' })).stdout).toBe('0\n');
      expect((await asUser.exec(['id', '-u'], { user: '4321:4321' })).stdout).toBe('4321\n');
      expect(await text(asUser, 'id -u')).toBe('1234\n');
      const plain = await started();
      expect((await plain.exec('id -u', { user: '4321' })).stdout).toBe('4321\n');
      await plain.stop();
    });

    it("files written into the container and its defaultWorkdir belong to the container's user", async () => {
      await asUser.writeFile('/tmp/snapbox-user/owned.txt', 'first\n');
      expect(await text(asUser, 'echo second >> /tmp/snapbox-user/owned.txt && cat /tmp/snapbox-user/owned.txt')).toBe(
        'first\nsecond\n',
      );
      expect(await text(asUser, 'touch made-here && pwd')).toBe('/tmp/snapbox-user-home\n');
    });

    it('refuses a malformed user with InvalidArgumentError', async () => {
      expect(() => make({ user: 'two words' })).toThrow(/user/);
      await expect(asUser.exec('true', { user: '' })).rejects.toSatisfy(InvalidArgumentError.isInstance);
    });

    afterAll(async () => {
      await asUser?.stop();
    });
  });

  describe('sandbox: ports', () => {
    if (unsupported.ports !== undefined) {
      it(`refuses ports and endpoint() with UnsupportedCapabilityError${skipReason(unsupported.ports)}`, async () => {
        await expectRefused({ ports: [8080] }, 'ports');
        const container = await started();
        const error = await failure(container.endpoint(8080));
        expect(UnsupportedCapabilityError.isInstance(error), String(error)).toBe(true);
        await container.stop();
      });
      return;
    }

    it('endpoint() answers for the listed ports of a running container only', async () => {
      const container = make({ ports: [8080, 9090] });
      await expect(container.endpoint(8080)).rejects.toSatisfy(ContainerNotStartedError.isInstance);
      await container.start();
      for (const port of [8080, 9090]) {
        const where = await container.endpoint(port);
        expect(typeof where.host, `host of port ${port}`).toBe('string');
        expect(where.host.length).toBeGreaterThan(0);
        expect(Number.isInteger(where.port) && where.port > 0, `port of port ${port}: ${where.port}`).toBe(true);
      }
      await expect(container.endpoint(8081)).rejects.toSatisfy(InvalidArgumentError.isInstance);
      await container.stop();
      await expect(container.endpoint(8080)).rejects.toSatisfy(ContainerNotStartedError.isInstance);
    });

    it.skipIf(unsupported.hostPorts !== undefined)(
      `a server inside is reachable through endpoint()${skipReason(unsupported.hostPorts)}`,
      async () => {
        const port = 8080;
        const container = await started({ ports: [port] });
        const nonce = Math.random().toString(36).slice(2);
        await container.writeFile('/tmp/snapbox-www/probe.txt', `served ${nonce}\n`);
        const serve = context.serverCommand(port, '/tmp/snapbox-www');
        // No nohup: small images lack it, and a background job of a non-interactive shell gets no SIGHUP.
        await text(container, `sh -c ${shellQuote(serve)} >/tmp/snapbox-www.log 2>&1 &`);
        const request = context.endpointRequest(await container.endpoint(port));
        const body = await fetchWithin(
          `${request.url.replace(/\/$/, '')}/probe.txt`,
          request.headers ?? {},
          20_000,
        ).catch(async (error: unknown) => {
          const log = await container.exec('cat /tmp/snapbox-www.log');
          throw new Error(`${String(error)}; the server's log: ${log.output}`);
        });
        expect(body).toBe(`served ${nonce}\n`);
        await container.stop();
      },
    );
  });

  describe('start: cancellation and progress', () => {
    let buildDir = '';
    beforeAll(async () => {
      buildDir = await mkdtemp(join(tmpdir(), 'snapbox-conformance-build-'));
    });
    afterAll(async () => {
      await rm(buildDir, { recursive: true, force: true });
    });
    const dockerfile = async (name: string, lines: string[]): Promise<string> => {
      const path = join(buildDir, `${name}.Dockerfile`);
      await writeFile(path, `FROM ${context.image}\n${lines.join('\n')}\n`);
      return path;
    };
    const fromDockerfile = (dockerfilePath: string): Container => {
      const container = context.factory.fromDockerfile({ dockerfilePath, ...context.containerOptions });
      context.track(container);
      return container;
    };
    const resources = async () => new Set(context.ownedResources === undefined ? [] : await context.ownedResources());
    const expectNothingNew = async (before: Set<string>) => {
      const after = await resources();
      expect([...after].filter((id) => !before.has(id))).toEqual([]);
    };
    const expectCancelled = async (container: Container) => {
      expect(container.state).toBe('stopped');
      await expect(container.exec('true')).rejects.toSatisfy(ContainerNotStartedError.isInstance);
      await expect(container.start()).rejects.toSatisfy(InvalidArgumentError.isInstance);
    };

    it('onProgress receives start events', async () => {
      const events: ProgressEvent[] = [];
      const container = make();
      await container.start({ onProgress: (event) => events.push(event) });
      expect(events.length).toBeGreaterThan(0);
      for (const event of events) {
        expect(typeof event.phase).toBe('string');
        expect(typeof event.message).toBe('string');
      }
      expect(events.some((event) => event.phase === 'start')).toBe(true);
      await container.stop();
    });

    const noBuild = context.fromDockerfileUnsupported;
    it.skipIf(noBuild !== undefined)(
      `a build reports its log lines to onProgress as it prints them${skipReason(noBuild)}`,
      async () => {
        const nonce = Math.random().toString(36).slice(2);
        // The shell computes 42: the line the build prints differs from the instruction it echoes.
        const path = await dockerfile(`progress-${nonce}`, [`RUN echo snapbox-build-$((6*7))-${nonce}`]);
        const events: ProgressEvent[] = [];
        const container = fromDockerfile(path);
        await container.start({ onProgress: (event) => events.push(event) });
        const line = `snapbox-build-42-${nonce}`;
        expect(
          events.some((event) => event.phase === 'build' && event.message.trim() === line),
          JSON.stringify(events),
        ).toBe(true);
        expect(await text(container, 'echo built')).toBe('built\n');
        await container.stop();
      },
    );

    it('a signal aborted before start rejects with StartAbortedError and starts nothing', async () => {
      const before = await resources();
      const reason = new Error('not needed after all');
      const container = make();
      const error = await failure(container.start({ signal: AbortSignal.abort(reason) }));
      expect(StartAbortedError.isInstance(error), String(error)).toBe(true);
      expect((error as StartAbortedError).cause).toBe(reason);
      await expectCancelled(container);
      await expectNothingNew(before);
    });

    it('aborting during the start rejects with StartAbortedError and leaves nothing behind', async () => {
      const before = await resources();
      const controller = new AbortController();
      const container = make();
      const error = await failure(container.start({ signal: controller.signal, onProgress: () => controller.abort() }));
      expect(StartAbortedError.isInstance(error), String(error)).toBe(true);
      await expectCancelled(container);
      await expectNothingNew(before);
    });

    it.skipIf(noBuild !== undefined)(
      `a start that times out during a build rejects with StartTimeoutError and leaves nothing behind${skipReason(noBuild)}`,
      async () => {
        const before = await resources();
        const nonce = Math.random().toString(36).slice(2);
        const path = await dockerfile(`slow-${nonce}`, [`RUN echo slow-build-${nonce} && sleep 30`]);
        const container = fromDockerfile(path);
        const began = Date.now();
        const error = await failure(container.start({ timeoutMs: 3000 }));
        expect(StartTimeoutError.isInstance(error), String(error)).toBe(true);
        expect((error as StartTimeoutError).timeoutMs).toBe(3000);
        expect((error as StartTimeoutError).phase).toBe('build');
        expect(Date.now() - began).toBeLessThan(25_000);
        await expectCancelled(container);
        await expectNothingNew(before);
      },
    );

    it('an onProgress that throws stops the start, which rejects with that error', async () => {
      const before = await resources();
      const thrown = new Error('progress display failed');
      const container = make();
      const error = await failure(
        container.start({
          onProgress: () => {
            throw thrown;
          },
        }),
      );
      expect(error).toBe(thrown);
      await expectCancelled(container);
      await expectNothingNew(before);
    });

    it('rejects bad start options with InvalidArgumentError naming them', async () => {
      await expect(make().start({ timeoutMs: -1 })).rejects.toThrow(/timeoutMs/);
      await expect(make().start({ onProgress: 'log' as never })).rejects.toThrow(/onProgress/);
      await expect(make().start({ signal: {} as AbortSignal })).rejects.toThrow(/signal/);
    });
  });
}

/** Non-loopback IPv4 addresses of this machine (a bridge's gateway among them, for a local engine). */
function hostAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((entry) => entry !== undefined && entry.family === 'IPv4' && !entry.internal)
    .map((entry) => (entry as { address: string }).address);
}

/** A TCP listener on every address of this machine that greets each connection. */
async function listenOnAllAddresses(): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((socket) => {
    socket.end('snapbox-probe\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '0.0.0.0', resolve);
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the probe listener has no port');
  return {
    port: address.port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The addresses among `candidates` on which the container reached the listener. */
async function probe(container: Container, candidates: readonly string[], port: number): Promise<string[]> {
  const reached: string[] = [];
  for (const address of candidates) {
    const result = await container.exec(
      ['timeout', '3', 'bash', '-c', `exec 3<>/dev/tcp/${address}/${port} && head -n 1 <&3`],
      { timeoutMs: 15_000 },
    );
    if (result.exitCode === 0 && result.stdout === 'snapbox-probe\n') reached.push(address);
  }
  return reached;
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The default of `endpointRequest`: plain HTTP to the endpoint's host and port. */
export function defaultEndpointRequest(endpoint: ContainerEndpoint): EndpointRequest {
  const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
  return { url: `http://${host}:${endpoint.port}` };
}

/** GETs `url` until it answers 200 or `withinMs` pass; returns the body. */
async function fetchWithin(url: string, headers: Record<string, string>, withinMs: number): Promise<string> {
  const deadline = Date.now() + withinMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, { headers, signal: AbortSignal.timeout(3000) });
      if (response.ok) return await response.text();
      last = new Error(`HTTP ${response.status}`);
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${url} did not answer within ${withinMs} ms: ${String(last)}`);
}
