import { existsSync } from 'node:fs';
import { type IncomingMessage, request } from 'node:http';
import { BackendUnavailableError, SnapboxError } from '@snapbox/core';

/**
 * Just enough of the Docker Engine API (which Podman serves too) to find an image and export it,
 * over the engine's local socket. The backend never needs the engine to run containers: it reads
 * images from it, once each.
 */
export interface EngineImageInfo {
  /** `sha256:<hex>`. */
  Id: string;
  Config?: { Env?: string[] | null; WorkingDir?: string; User?: string } | null;
}

/** The local engine sockets tried, in order, when no socket is given. */
export function candidateSockets(env: NodeJS.ProcessEnv = process.env): string[] {
  const sockets: string[] = [];
  const host = env.DOCKER_HOST;
  if (host?.startsWith('unix://')) sockets.push(host.slice('unix://'.length));
  sockets.push('/var/run/docker.sock');
  if (env.XDG_RUNTIME_DIR) sockets.push(`${env.XDG_RUNTIME_DIR}/podman/podman.sock`);
  sockets.push('/run/podman/podman.sock');
  return sockets;
}

/** A client of one engine socket. */
export class EngineClient {
  readonly socketPath: string;

  constructor(socketPath: string) {
    this.socketPath = socketPath;
  }

  /** The first candidate socket that exists, or undefined. */
  static find(explicit?: string): EngineClient | undefined {
    if (explicit !== undefined) return new EngineClient(explicit);
    const found = candidateSockets().find((path) => existsSync(path));
    return found === undefined ? undefined : new EngineClient(found);
  }

  /** Inspects an image; undefined when the engine does not have it. */
  async inspectImage(name: string): Promise<EngineImageInfo | undefined> {
    const response = await this.#get(`/images/${encodeURIComponent(name)}/json`);
    if (response.statusCode === 404) {
      response.resume();
      return undefined;
    }
    const body = await readBody(response);
    if (response.statusCode !== 200) throw this.#failure(`inspect image ${name}`, response.statusCode, body);
    return JSON.parse(body) as EngineImageInfo;
  }

  /** Streams `docker save` of an image: a tar with manifest.json, the config and the layers. */
  async exportImage(id: string): Promise<IncomingMessage> {
    const response = await this.#get(`/images/${encodeURIComponent(id)}/get`);
    if (response.statusCode !== 200) {
      throw this.#failure(`export image ${id}`, response.statusCode, await readBody(response));
    }
    return response;
  }

  #get(path: string): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const req = request({ socketPath: this.socketPath, path, method: 'GET' }, resolve);
      req.on('error', (error: NodeJS.ErrnoException) => {
        reject(
          new BackendUnavailableError({
            backend: 'bubblewrap',
            endpoint: `unix://${this.socketPath}`,
            detail: `no Docker or Podman engine answers there to read images from (${error.code ?? error.message}); start one, or give a root filesystem folder or tarball as the image`,
            cause: error,
          }),
        );
      });
      req.end();
    });
  }

  #failure(action: string, status: number | undefined, body: string): SnapboxError {
    let message = body.trim();
    try {
      message = (JSON.parse(body) as { message?: string }).message ?? message;
    } catch {
      // Not JSON: keep the text.
    }
    return new SnapboxError('ENGINE_ERROR', {
      message: `The engine at unix://${this.socketPath} could not ${action} (HTTP ${status}): ${message}`,
    });
  }
}

async function readBody(response: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
