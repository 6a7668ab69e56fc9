import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { SnapboxError } from '@snapbox/core';
import { helperEnvironment, hostBinary } from './host-binaries.js';

/**
 * The relay, run by this Node binary inside the sandbox's network namespace only (the host's
 * filesystem: the mount namespace is not entered). It receives listening sockets that this
 * process opened on the host's loopback (a socket keeps the namespace it was made in), accepts
 * on them, and connects each connection to the container port on its own loopback. No process
 * per connection; it ends when this process does (its IPC channel closes).
 */
const relayScript = `
const net = require('node:net');
process.on('message', (message, server) => {
  if (server === undefined) return;
  server.on('connection', (socket) => {
    const inside = net.connect(message.port, '127.0.0.1');
    socket.on('error', () => inside.destroy());
    // Nothing listening inside, or the server reset: the client gets what was relayed and then an
    // orderly close, as from a published port. A destroy() here would reset the client whenever
    // its request was still unread, and the bytes already sent to it could be lost with it.
    inside.on('error', () => {
      socket.unpipe(inside);
      socket.resume();
      socket.end();
    });
    socket.pipe(inside).pipe(socket);
  });
  process.send({ relaying: message.port });
});
process.on('disconnect', () => process.exit(0));
`;

/**
 * Makes a container's TCP ports, in a sandbox with its own network namespace, reachable from
 * this machine: one listener per port on 127.0.0.1 (an ephemeral port), and one relay process in
 * the sandbox's network namespace that serves them all. Started on the first `endpoint()` call.
 */
export class PortRelay {
  readonly #child: ChildProcess;
  readonly #endpoints = new Map<number, number>();
  /** Resolves once every port is relayed. */
  readonly ready: Promise<void>;
  readonly #exited: Promise<void>;
  #closed = false;

  /**
   * @param netnsPid A process in the sandbox's network namespace (its init).
   * @param rootless The namespace belongs to this user's user namespace, which must be entered first.
   */
  constructor(netnsPid: number, rootless: boolean, ports: readonly number[]) {
    const argv = [
      hostBinary('nsenter'),
      '--target',
      String(netnsPid),
      // As an ordinary user, the network namespace is reachable only from inside its owner, the
      // sandbox's user namespace; keep this process's ids (see nsenterArgv).
      ...(rootless ? ['--user', '--preserve-credentials'] : []),
      '--net',
      '--',
      process.execPath,
      '-e',
      relayScript,
    ];
    // Only PATH (no NODE_OPTIONS from a test runner, no host secret); Node adds the IPC channel's fd.
    this.#child = spawn(argv[0] as string, argv.slice(1), {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: helperEnvironment(),
    });
    const child = this.#child;
    this.#exited = new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', () => resolve());
    });
    this.ready = this.#relay(ports);
    this.ready.catch(() => void this.close());
  }

  /** Whether the relay still runs. */
  get alive(): boolean {
    return !this.#closed && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** The host port leading to container `port` (after {@link PortRelay.ready}). */
  hostPort(port: number): number | undefined {
    return this.#endpoints.get(port);
  }

  async #relay(ports: readonly number[]): Promise<void> {
    const child = this.#child;
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const acknowledged = new Set<number>();
    let notify: () => void = () => undefined;
    child.on('message', (message: { relaying?: number }) => {
      if (typeof message?.relaying === 'number') acknowledged.add(message.relaying);
      notify();
    });
    const failed = new Promise<never>((_, reject) => {
      const fail = (why: string) =>
        reject(
          new SnapboxError('PORT_RELAY_FAILED', {
            message: `Could not relay the container's ports to this machine: ${why}${stderr.trim() === '' ? '' : ` (${stderr.trim()})`}`,
          }),
        );
      child.once('error', (error: NodeJS.ErrnoException) =>
        fail(`could not run nsenter (${error.code ?? error.message})`),
      );
      child.once('exit', (code, signal) => fail(`the relay exited (${signal ?? `exit ${code}`})`));
    });
    failed.catch(() => undefined);
    const servers: Server[] = [];
    try {
      for (const port of ports) {
        const server = createServer();
        servers.push(server);
        await Promise.race([
          new Promise<void>((resolve, reject) => {
            server.once('error', reject);
            server.listen(0, '127.0.0.1', () => resolve());
          }),
          failed,
        ]);
        this.#endpoints.set(port, (server.address() as { port: number }).port);
        child.send({ port }, server);
      }
      await Promise.race([
        new Promise<void>((resolve) => {
          notify = () => {
            if (ports.every((port) => acknowledged.has(port))) resolve();
          };
          notify();
        }),
        failed,
      ]);
    } finally {
      // The relay holds its own copies of the listening sockets; this process must not accept.
      for (const server of servers) server.close();
    }
    // The relay must not keep this process alive, and its errors are no longer of interest.
    child.stderr?.destroy();
    child.unref();
    (child.channel as { unref?: () => void } | undefined)?.unref?.();
  }

  /**
   * Kills the relay: the listeners close with it. Idempotent; resolves once the relay is gone, so
   * its ports refuse connections.
   */
  close(): Promise<void> {
    if (this.#closed) return this.#exited;
    this.#closed = true;
    this.#child.kill('SIGKILL');
    this.#child.stderr?.destroy();
    if (this.#child.connected) this.#child.disconnect();
    // Referenced again until it is gone: a stop() awaiting this must not find the event loop
    // empty and end the process mid-stop.
    this.#child.ref();
    return this.#exited;
  }
}
