import { BackendUnavailableError, SnapboxError } from '@snapbox/core';
import Docker from 'dockerode';

/** A dockerode instance, or the options to build one. Default: from the environment (`DOCKER_HOST`, ...). */
export type DockerConnection = Docker | Docker.DockerOptions;

/**
 * The plain data needed to reconnect to the same engine from another process (the cleanup
 * worker and the watchdog). Functions in the options (an ssh `hostVerifier`, a custom `agent`
 * object, `checkServerIdentity`) cannot cross a process boundary and are left out.
 */
export interface SerializedConnection {
  socketPath?: string;
  host?: string;
  port?: number | string;
  protocol?: 'https' | 'http' | 'ssh';
  username?: string;
  password?: string;
  version?: string;
  pathPrefix?: string;
  timeout?: number;
  ca?: string | string[];
  cert?: string;
  key?: string;
  /** ssh2 options of an `ssh://` connection: agent socket path, private key, passphrase, ... */
  sshOptions?: Record<string, unknown>;
}

/** What docker-modem reads from the environment when it builds a client. */
const dockerEnvironment = [
  'DOCKER_HOST',
  'DOCKER_TLS_VERIFY',
  'DOCKER_CERT_PATH',
  'DOCKER_PATH_PREFIX',
  'DOCKER_CLIENT_TIMEOUT',
] as const;

/**
 * The client for `connection`. Options that name an endpoint (`socketPath` or `host`) are used
 * as given: docker-modem would otherwise let `DOCKER_HOST` override an explicit socket path, and
 * `SSH_AUTH_SOCK` an explicit ssh agent. Without an endpoint, the environment decides.
 */
export function resolveDocker(connection: DockerConnection | SerializedConnection | undefined): Docker {
  if (connection instanceof Docker) return connection;
  const options = connection as Docker.DockerOptions | undefined;
  if (options?.socketPath === undefined && options?.host === undefined) return new Docker(options);
  const saved = dockerEnvironment.map((name) => [name, process.env[name]] as const);
  for (const [name] of saved) delete process.env[name];
  try {
    return new Docker(options);
  } finally {
    for (const [name, value] of saved) if (value !== undefined) process.env[name] = value;
  }
}

type Modem = {
  socketPath?: string | (() => Promise<string>);
  host?: string;
  port?: number | string;
  protocol?: string;
  username?: string;
  password?: unknown;
  version?: string;
  pathPrefix?: unknown;
  timeout?: unknown;
  ca?: unknown;
  cert?: unknown;
  key?: unknown;
  sshOptions?: Record<string, unknown>;
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

/** JSON-safe copies of plain data (Buffers become text); functions and class instances are dropped. */
function plainData(value: unknown): unknown {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (Array.isArray(value)) {
    const items = value.map(plainData);
    return items.includes(undefined) ? undefined : items;
  }
  if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const data = plainData(item);
      if (data !== undefined) out[key] = data;
    }
    return out;
  }
  return undefined;
}

/**
 * The connection of `docker` as plain data, for {@link resolveDocker} in another process.
 * Private keys and passwords are part of it: pass it through stdin or the environment (readable
 * only by the same user), never through the command line.
 */
export function serializeConnection(docker: Docker): SerializedConnection {
  const modem = modemOf(docker);
  const out: SerializedConnection = {};
  // A function socket path is docker-modem's default socket lookup: the other process does the same.
  if (typeof modem.socketPath === 'string') out.socketPath = modem.socketPath;
  if (modem.host !== undefined) out.host = modem.host;
  if (modem.port !== undefined) out.port = modem.port;
  if (modem.protocol === 'https' || modem.protocol === 'http' || modem.protocol === 'ssh')
    out.protocol = modem.protocol;
  if (modem.username !== undefined) out.username = modem.username;
  if (typeof modem.password === 'string') out.password = modem.password;
  if (modem.version !== undefined) out.version = modem.version;
  if (typeof modem.pathPrefix === 'string') out.pathPrefix = modem.pathPrefix;
  if (typeof modem.timeout === 'number') out.timeout = modem.timeout;
  for (const field of ['cert', 'key'] as const) {
    const pem = pemToString(modem[field]);
    if (pem !== undefined) out[field] = pem;
  }
  // DOCKER_CERT_PATH gives a list of CA certificates.
  const ca = Array.isArray(modem.ca) ? modem.ca.map(pemToString) : pemToString(modem.ca);
  if (typeof ca === 'string') out.ca = ca;
  else if (Array.isArray(ca) && ca.every((pem) => pem !== undefined)) out.ca = ca as string[];
  if (modem.protocol === 'ssh' && modem.sshOptions !== undefined) {
    const ssh = plainData(modem.sshOptions) as Record<string, unknown> | undefined;
    if (ssh !== undefined && Object.keys(ssh).length > 0) out.sshOptions = ssh;
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
  const message = engineMessage(error);
  const hint = engineHints.find(([pattern]) => pattern.test(message))?.[1];
  return new SnapboxError('ENGINE_ERROR', {
    message: `Docker engine failed to ${action}${status ? ` (HTTP ${status})` : ''}: ${message}${hint ? `. ${hint}` : ''}`,
    cause: error,
  });
}

/** Engine set-up problems whose message alone does not say what to do. */
const engineHints: [RegExp, string][] = [
  [
    /container-init binary not found|catatonit/,
    'snapbox runs every container with an init process; Podman needs catatonit for it (Debian/Ubuntu: apt-get install catatonit), or init_path set in containers.conf',
  ],
  [
    /error setting rlimit/,
    'The engine asks for more open files or processes than this host allows; with Podman, lower default_ulimits in containers.conf (see scripts/ensure-podman.sh)',
  ],
];
