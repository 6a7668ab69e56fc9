import { BackendUnavailableError, SnapboxError } from '@snapbox/core';
import Docker from 'dockerode';

/** A dockerode instance, or the options to build one. Default: from the environment (`DOCKER_HOST`, ...). */
export type DockerConnection = Docker | Docker.DockerOptions;

/** The plain data needed to reconnect to the same engine from another process. */
export interface SerializedConnection {
  socketPath?: string;
  host?: string;
  port?: number | string;
  protocol?: 'https' | 'http' | 'ssh';
  username?: string;
  version?: string;
  ca?: string;
  cert?: string;
  key?: string;
}

export function resolveDocker(connection: DockerConnection | undefined): Docker {
  if (connection instanceof Docker) return connection;
  return new Docker(connection);
}

type Modem = {
  socketPath?: string | (() => Promise<string>);
  host?: string;
  port?: number | string;
  protocol?: string;
  username?: string;
  version?: string;
  ca?: unknown;
  cert?: unknown;
  key?: unknown;
};

function modemOf(docker: Docker): Modem {
  return (docker as unknown as { modem: Modem }).modem;
}

/** Where this client talks to, for error messages: `unix:///var/run/docker.sock`, `tcp://host:2375`, ... */
export function describeEndpoint(docker: Docker): string {
  const modem = modemOf(docker);
  if (typeof modem.socketPath === 'string') return `unix://${modem.socketPath}`;
  if (modem.host !== undefined) {
    const scheme = modem.protocol === 'ssh' ? 'ssh' : modem.protocol === 'https' ? 'https' : 'tcp';
    const user = modem.username ? `${modem.username}@` : '';
    return `${scheme}://${user}${modem.host}${modem.port ? `:${modem.port}` : ''}`;
  }
  return 'the default Docker socket';
}

const pemToString = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : Buffer.isBuffer(value) ? value.toString('utf8') : undefined;

export function serializeConnection(docker: Docker): SerializedConnection {
  const modem = modemOf(docker);
  const out: SerializedConnection = {};
  if (typeof modem.socketPath === 'string') out.socketPath = modem.socketPath;
  if (modem.host !== undefined) out.host = modem.host;
  if (modem.port !== undefined) out.port = modem.port;
  if (modem.protocol === 'https' || modem.protocol === 'http' || modem.protocol === 'ssh')
    out.protocol = modem.protocol;
  if (modem.username !== undefined) out.username = modem.username;
  if (modem.version !== undefined) out.version = modem.version;
  for (const field of ['ca', 'cert', 'key'] as const) {
    const pem = pemToString(modem[field]);
    if (pem !== undefined) out[field] = pem;
  }
  return out;
}

/** The HTTP status of an engine error, if it has one. */
export function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

const connectionCodes = new Set([
  'ECONNREFUSED',
  'ENOENT',
  'EACCES',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EPIPE',
]);

/** True for errors that mean "the engine could not be reached" rather than "the engine said no". */
export function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && connectionCodes.has(code);
}

/** The engine's own message, without dockerode's "(HTTP code 404) no such container -" prefix. */
export function engineMessage(error: unknown): string {
  const json = (error as { json?: { message?: unknown } } | null)?.json;
  if (json && typeof json.message === 'string') return json.message;
  return error instanceof Error ? error.message : String(error);
}

/**
 * Wraps what dockerode threw: connection failures become {@link BackendUnavailableError} naming
 * the endpoint; anything else a {@link SnapboxError} with code `ENGINE_ERROR`, the action that
 * failed and the engine's message. The original is kept as `cause`.
 */
export function wrapEngineError(error: unknown, docker: Docker, action: string): SnapboxError {
  if (SnapboxError.isInstance(error)) return error;
  if (isConnectionError(error)) {
    return new BackendUnavailableError({
      backend: 'docker',
      endpoint: describeEndpoint(docker),
      detail: `cannot reach the Docker engine while trying to ${action} (${(error as { code: string }).code}); is the engine running and is DOCKER_HOST right?`,
      cause: error,
    });
  }
  const status = statusOf(error);
  return new SnapboxError('ENGINE_ERROR', {
    message: `Docker engine failed to ${action}${status ? ` (HTTP ${status})` : ''}: ${engineMessage(error)}`,
    cause: error,
  });
}
