import { BackendUnavailableError, SnapboxError } from '@snapbox/core';
import Docker from 'dockerode';
import { httpLog } from './debug-logs.js';
import {
  type DiscoveredEngine,
  type DiscoveryEnvironment,
  discoverEngineOnce,
  discoveryEnvironment,
} from './engine-discovery.js';
import { type Dial, defaultRequestPolicy, guardDial, type RequestPolicy } from './engine-requests.js';
import { explicitClient } from './explicit-client.js';

/**
 * A dockerode instance, or the options to build one. Without an endpoint (`socketPath`, `host`):
 * `DOCKER_HOST` when set, else the engine found on first use (the docker context, then the
 * usual Docker and Podman sockets).
 */
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

/** How a client of ours got its endpoint; shapes the advice of a connection error. */
type Origin =
  | { kind: 'explicit' }
  | { kind: 'DOCKER_HOST'; value: string }
  | { kind: 'discovery'; env: DiscoveryEnvironment; found?: DiscoveredEngine };

const origins = new WeakMap<Docker, Origin>();

/** Fields of a modem that say where it connects; copied over once discovery has chosen. */
const endpointFields = [
  'socketPath',
  'socketPathCache',
  'host',
  'port',
  'protocol',
  'username',
  'password',
  'sshOptions',
  'ca',
  'cert',
  'key',
  'pathPrefix',
] as const;

const policies = new WeakMap<Docker, RequestPolicy>();
const instrumented = new WeakSet<object>();

/**
 * Sets how the requests of `docker` are timed and retried (see `DockerRequestOptions`); the
 * last factory to set it for a shared client wins.
 */
export function setRequestPolicy(docker: Docker, policy: RequestPolicy): void {
  policies.set(docker, policy);
}

/**
 * Puts our own `dial` on the client's modem (every dockerode request goes through it): every
 * request gets a deadline and, when safe to repeat, retries (engine-requests.ts); with a
 * pending discovery, it waits for the engine to be found and points the modem at it first; with
 * `snapbox:docker:http` on, it logs each attempt. dockerode objects made before discovery
 * (containers, execs) share this modem, so they follow too.
 */
function instrument(docker: Docker, origin: Origin, baseOptions: Docker.DockerOptions | undefined): void {
  const discovery = origin.kind === 'discovery' ? origin : undefined;
  const modem = modemOf(docker) as unknown as { dial: Dial };
  // A dockerode instance given twice (to two factories) is wrapped once.
  if (instrumented.has(modem)) return;
  instrumented.add(modem);
  const fields = modem as unknown as Record<string, unknown>;
  const dial = modem.dial;
  const logged: Dial = httpLog.enabled
    ? (options, callback) => {
        const started = Date.now();
        // The path before dockerode adds the query: ids and names, never query values.
        const request = `${options.method ?? 'GET'} ${(options.path ?? '').replace(/\?$/, '')}`;
        dial.call(modem, options, (error, data) => {
          const outcome =
            error === null || error === undefined
              ? 'ok'
              : `failed: ${statusOf(error) ?? (error as { code?: unknown }).code ?? ''} ${engineMessage(error)}`.trim();
          httpLog('%s %s %s (%d ms)', describeEndpoint(docker), request, outcome, Date.now() - started);
          callback(error, data);
        });
      }
    : (options, callback) => dial.call(modem, options, callback);
  const send = guardDial(logged, () => policies.get(docker) ?? defaultRequestPolicy);
  if (discovery === undefined) {
    modem.dial = send;
    return;
  }
  modem.dial = (options, callback) => {
    if (discovery.found !== undefined) {
      send(options, callback);
      return;
    }
    discoverEngineOnce(discovery.env).then(
      (found) => {
        if (discovery.found === undefined) {
          const chosen = modemOf(explicitClient({ ...baseOptions, ...found.candidate.options })) as Record<
            string,
            unknown
          >;
          for (const field of endpointFields) {
            if (chosen[field] === undefined) delete fields[field];
            else fields[field] = chosen[field];
          }
          discovery.found = found;
        }
        send(options, callback);
      },
      (error: unknown) => callback(error, null),
    );
  };
}

/**
 * The client for `connection`. Options that name an endpoint (`socketPath` or `host`) are used
 * as given: docker-modem would otherwise let `DOCKER_HOST` override an explicit socket path, and
 * `SSH_AUTH_SOCK` an explicit ssh agent. Without an endpoint, `DOCKER_HOST` decides when it is
 * set (and nothing else is tried); otherwise the engine is found on the first request (see
 * engine-discovery.ts): no I/O happens here.
 */
export function resolveDocker(connection: DockerConnection | SerializedConnection | undefined): Docker {
  if (connection instanceof Docker) {
    instrument(connection, { kind: 'explicit' }, undefined);
    return connection;
  }
  const options = connection as Docker.DockerOptions | undefined;
  if (options?.socketPath === undefined && options?.host === undefined) {
    const dockerHost = process.env.DOCKER_HOST;
    if (dockerHost !== undefined && dockerHost !== '') {
      const docker = new Docker(options);
      const origin: Origin = { kind: 'DOCKER_HOST', value: dockerHost };
      origins.set(docker, origin);
      instrument(docker, origin, options);
      return docker;
    }
    const docker = new Docker(options);
    const origin: Origin = { kind: 'discovery', env: discoveryEnvironment() };
    origins.set(docker, origin);
    instrument(docker, origin, options);
    return docker;
  }
  const docker = explicitClient(options);
  const origin: Origin = { kind: 'explicit' };
  origins.set(docker, origin);
  instrument(docker, origin, options);
  return docker;
}

/**
 * Where discovery found the engine of `docker` (`docker context "x"`, `rootless Docker`, ...),
 * or undefined for a client with a given endpoint, one from `DOCKER_HOST`, or one whose first
 * request has not happened yet.
 */
export function discoveredSource(docker: Docker): string | undefined {
  const origin = origins.get(docker);
  return origin?.kind === 'discovery' ? origin.found?.candidate.source : undefined;
}

/**
 * A key that is the same for clients that reach the same engine the same way: the endpoint, or
 * for clients still waiting for discovery, the environment discovery will read.
 */
export function connectionKey(docker: Docker): string {
  const origin = origins.get(docker);
  if (origin?.kind === 'discovery' && origin.found === undefined) return `discovery:${JSON.stringify(origin.env)}`;
  return describeEndpoint(docker);
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
  return 'the engine snapbox looks for on first use';
}

/**
 * True when the engine runs on this machine: a unix socket, or a tcp address on loopback. Its
 * published ports are then reached on loopback.
 */
export function isLocalEngine(docker: Docker): boolean {
  const modem = modemOf(docker);
  if (modem.host === undefined) return true;
  if (modem.protocol === 'ssh') return false;
  return /^(?:localhost|127(?:\.\d+){3}|::1|\[::1\])$/i.test(modem.host);
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
      detail: `cannot reach the Docker engine while trying to ${action} (${(error as { code: string }).code}); ${unreachableAdvice(docker)}`,
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

/** What to check when an engine that was chosen stops answering, by how it was chosen. */
function unreachableAdvice(docker: Docker): string {
  const origin = origins.get(docker);
  if (origin?.kind === 'DOCKER_HOST') {
    return `DOCKER_HOST=${origin.value} is set, so snapbox tried only this engine and looked nowhere else: is it running there, or should DOCKER_HOST be unset to let snapbox find a local engine?`;
  }
  if (origin?.kind === 'discovery' && origin.found !== undefined) {
    return `snapbox found this engine (${origin.found.candidate.source}) on first use and it no longer answers: has it stopped?`;
  }
  return 'is the engine running at this address?';
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
