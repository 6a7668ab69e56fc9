import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What the proxy does with one request: pass it on, or fail it the way a sick engine or network does. */
export type Fault = 'pass' | 'reset' | 'stall' | 502 | 503;

/** A request as the proxy saw it. */
export interface SeenRequest {
  method: string;
  path: string;
  fault: Fault;
}

/**
 * A unix socket in front of the real engine that fails chosen requests (a reset connection, a
 * 502 or 503, no answer at all) and passes the rest on, attaches included. The engine does the
 * real work; only the failures are made up, since a healthy engine cannot be asked to have them.
 */
export async function startFaultyProxy(
  choose: (request: { method: string; path: string }, index: number) => Fault,
  engineSocket = '/var/run/docker.sock',
): Promise<{ socketPath: string; seen: SeenRequest[]; close(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'snapbox-proxy-'));
  const socketPath = join(dir, 'engine.sock');
  const seen: SeenRequest[] = [];
  const stalled = new Set<IncomingMessage>();
  const decide = (incoming: IncomingMessage): Fault => {
    const entry = { method: incoming.method ?? 'GET', path: (incoming.url ?? '').replace(/\?.*$/, '') };
    const fault = choose(entry, seen.length);
    seen.push({ ...entry, fault });
    return fault;
  };
  const server = createServer((incoming, outgoing) => {
    const fault = decide(incoming);
    if (fault === 'reset') {
      incoming.socket.destroy();
      return;
    }
    if (fault === 'stall') {
      stalled.add(incoming);
      return;
    }
    if (typeof fault === 'number') {
      incoming.resume();
      outgoing.writeHead(fault, { 'content-type': 'application/json' });
      outgoing.end(JSON.stringify({ message: `injected ${fault}` }));
      return;
    }
    const upstream = request(
      { socketPath: engineSocket, method: incoming.method, path: incoming.url, headers: incoming.headers },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 500, answer.headers);
        answer.pipe(outgoing);
      },
    );
    upstream.on('error', () => outgoing.destroy());
    incoming.pipe(upstream);
  });
  // Attaches (exec start) upgrade the connection: forward the raw bytes both ways.
  server.on('upgrade', (incoming: IncomingMessage, socket, head: Buffer) => {
    decide(incoming);
    const engine = connect(engineSocket, () => {
      const headers = Object.entries(incoming.headers)
        .map(([key, value]) => `${key}: ${Array.isArray(value) ? value.join(', ') : value}`)
        .join('\r\n');
      engine.write(`${incoming.method} ${incoming.url} HTTP/1.1\r\n${headers}\r\n\r\n`);
      if (head.length > 0) engine.write(head);
      engine.pipe(socket);
      socket.pipe(engine);
    });
    engine.on('error', () => socket.destroy());
    socket.on('error', () => engine.destroy());
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    socketPath,
    seen,
    close: async () => {
      for (const incoming of stalled) incoming.socket.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
