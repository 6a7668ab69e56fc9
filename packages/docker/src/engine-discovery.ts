/**
 * Finding the engine when the caller names none and DOCKER_HOST is unset, in the spirit of
 * testcontainers: the current docker context, then the well-known sockets of rootful Docker,
 * rootless Docker (and Docker Desktop) and Podman. The first that answers a ping wins, and the
 * choice is kept for the rest of the process. Nothing here runs before the first engine call.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { BackendUnavailableError } from '@snapbox/core';
import type Docker from 'dockerode';
import { dockerLog as log } from './debug-logs.js';
import { explicitClient } from './explicit-client.js';

/** The variables discovery reads; captured when a client is made, so later changes do not move it. */
export const discoveryVariables = [
  'DOCKER_CONTEXT',
  'DOCKER_CONFIG',
  'HOME',
  'XDG_RUNTIME_DIR',
  'SSH_AUTH_SOCK',
] as const;

/** The part of the environment discovery depends on. */
export type DiscoveryEnvironment = Partial<Record<(typeof discoveryVariables)[number], string>>;

/** A copy of the variables discovery reads, from `env`. */
export function discoveryEnvironment(env: NodeJS.ProcessEnv = process.env): DiscoveryEnvironment {
  const out: DiscoveryEnvironment = {};
  for (const name of discoveryVariables) {
    const value = env[name];
    if (value !== undefined && value !== '') out[name] = value;
  }
  return out;
}

/** Fixed places outside the environment; tests point them into a temporary folder. */
export interface SystemSockets {
  /** Rootful Docker. Default `/var/run/docker.sock`. */
  docker: string;
  /** Rootful Podman. Default `/run/podman/podman.sock`. */
  podman: string;
  /** The user's runtime folder when XDG_RUNTIME_DIR is unset. Default `/run/user/<uid>`. */
  userRuntimeDir: string | undefined;
}

export function defaultSystemSockets(): SystemSockets {
  const uid = process.getuid?.();
  return {
    docker: '/var/run/docker.sock',
    podman: '/run/podman/podman.sock',
    userRuntimeDir: uid === undefined ? undefined : `/run/user/${uid}`,
  };
}

/** A place an engine may listen. */
export interface EngineCandidate {
  /** Where the candidate comes from, for messages: `docker context "colima"`, `rootless Docker`, ... */
  source: string;
  /** `unix:///path`, `tcp://host:port`, `ssh://user@host`. */
  endpoint: string;
  /** The dockerode options that reach it. */
  options: Docker.DockerOptions;
  /** Why it cannot be tried at all (an unreadable context), if so. */
  problem?: string;
  /** Remote endpoints get a longer ping timeout (an ssh handshake). */
  remote?: boolean;
}

/** One line of what discovery did. */
export interface DiscoveryAttempt {
  source: string;
  endpoint: string;
  /** `'answered'`, or why not. */
  outcome: string;
}

/** The engine discovery chose. */
export interface DiscoveredEngine {
  candidate: EngineCandidate;
  attempts: DiscoveryAttempt[];
}

/** Options of {@link discoverEngine}. */
export interface DiscoveryOptions {
  env?: DiscoveryEnvironment;
  sockets?: Partial<SystemSockets>;
  /** Ping timeout of a local socket. Default 2000 ms. */
  timeoutMs?: number;
  /** Ping timeout of a remote endpoint (tcp, ssh) named by a context. Default 10 000 ms. */
  remoteTimeoutMs?: number;
}

interface ContextSelection {
  /** The chosen context's candidate; none for no context or the "default" one. */
  candidate?: EngineCandidate;
  /** A line for the error message when no engine answers. */
  note: string;
  /** DOCKER_CONTEXT names it: a failure is final, as with DOCKER_HOST. */
  explicit: boolean;
}

function configDir(env: DiscoveryEnvironment): string {
  return env.DOCKER_CONFIG ?? join(env.HOME ?? homedir(), '.docker');
}

async function readIfPresent(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** dockerode options for a Docker host URL (`unix://`, `tcp://`, `ssh://`), as the docker CLI reads it. */
export function optionsForHost(
  host: string,
  tls: { ca?: string; cert?: string; key?: string },
  env: DiscoveryEnvironment,
): { options: Docker.DockerOptions; remote: boolean } {
  if (host.startsWith('unix://')) return { options: { socketPath: host.slice('unix://'.length) }, remote: false };
  const url = new URL(host.includes('://') ? host : `tcp://${host}`);
  if (url.protocol === 'ssh:') {
    return {
      options: {
        protocol: 'ssh',
        host: url.hostname,
        ...(url.port === '' ? {} : { port: url.port }),
        ...(url.username === '' ? {} : { username: decodeURIComponent(url.username) }),
        sshOptions: env.SSH_AUTH_SOCK === undefined ? {} : { agent: env.SSH_AUTH_SOCK },
      },
      remote: true,
    };
  }
  if (url.protocol !== 'tcp:' && url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`the endpoint ${host} uses a scheme snapbox cannot reach (unix, tcp and ssh work)`);
  }
  const secure = url.protocol === 'https:' || tls.cert !== undefined || url.port === '2376';
  return {
    options: {
      protocol: secure ? 'https' : 'http',
      host: url.hostname,
      port: url.port === '' ? (secure ? 2376 : 2375) : url.port,
      ...(tls.ca === undefined ? {} : { ca: tls.ca }),
      ...(tls.cert === undefined ? {} : { cert: tls.cert }),
      ...(tls.key === undefined ? {} : { key: tls.key }),
    },
    remote: true,
  };
}

/**
 * The context the docker CLI would use: DOCKER_CONTEXT, else `currentContext` of the CLI's
 * config.json; "default" (or none) means the default socket, which later candidates cover.
 * Its endpoint is in `contexts/meta/<sha256 of the name>/meta.json`, its TLS files (if any)
 * in `contexts/tls/<sha256>/docker/`.
 */
async function selectContext(env: DiscoveryEnvironment): Promise<ContextSelection> {
  const dir = configDir(env);
  const configPath = join(dir, 'config.json');
  let name = env.DOCKER_CONTEXT;
  const explicit = name !== undefined;
  if (name === undefined) {
    let text: string | undefined;
    try {
      text = await readIfPresent(configPath);
    } catch (error) {
      return { note: `docker context: ${configPath} is unreadable (${(error as Error).message})`, explicit };
    }
    if (text === undefined) return { note: `docker context: none (no ${configPath})`, explicit };
    try {
      const current = (JSON.parse(text) as { currentContext?: unknown }).currentContext;
      if (typeof current === 'string' && current !== '') name = current;
    } catch {
      return { note: `docker context: ${configPath} is not valid JSON, so its currentContext was ignored`, explicit };
    }
    if (name === undefined) return { note: `docker context: none selected in ${configPath}`, explicit };
  }
  const origin = explicit ? 'DOCKER_CONTEXT' : `currentContext of ${configPath}`;
  if (name === 'default') return { note: `docker context: "default" (${origin}), the default socket`, explicit: false };
  const source = `docker context "${name}" (${origin})`;
  const hash = createHash('sha256').update(name).digest('hex');
  const metaPath = join(dir, 'contexts', 'meta', hash, 'meta.json');
  const unusable = (problem: string): ContextSelection => ({
    candidate: { source, endpoint: '(unknown)', options: {}, problem },
    note: source,
    explicit,
  });
  let meta: { Endpoints?: { docker?: { Host?: unknown } } };
  try {
    const text = await readIfPresent(metaPath);
    if (text === undefined) return unusable(`no such context (no ${metaPath}); \`docker context ls\` lists them`);
    meta = JSON.parse(text) as typeof meta;
  } catch (error) {
    return unusable(`${metaPath} is unreadable (${(error as Error).message})`);
  }
  const host = meta.Endpoints?.docker?.Host;
  if (typeof host !== 'string' || host === '') return unusable(`${metaPath} names no docker endpoint`);
  const tlsDir = join(dir, 'contexts', 'tls', hash, 'docker');
  const [ca, cert, key] = await Promise.all(
    ['ca.pem', 'cert.pem', 'key.pem'].map((file) => readIfPresent(join(tlsDir, file)).catch(() => undefined)),
  );
  try {
    const { options, remote } = optionsForHost(host, { ca, cert, key }, env);
    return { candidate: { source, endpoint: host, options, remote }, note: source, explicit };
  } catch (error) {
    return {
      candidate: { source, endpoint: host, options: {}, problem: (error as Error).message },
      note: source,
      explicit,
    };
  }
}

/**
 * The sockets tried after the context, in order, without duplicates: testcontainers' order for
 * Docker (the system socket, then the user's: XDG_RUNTIME_DIR, Docker Desktop's two, the user's
 * runtime folder, which is usually XDG_RUNTIME_DIR again), then Podman's, the user's first.
 */
function socketCandidates(env: DiscoveryEnvironment, sockets: SystemSockets): EngineCandidate[] {
  const home = env.HOME ?? homedir();
  const runtimeDirs = [env.XDG_RUNTIME_DIR, sockets.userRuntimeDir];
  const list: [string | undefined, string][] = [
    [sockets.docker, "Docker's default socket"],
    [env.XDG_RUNTIME_DIR && join(env.XDG_RUNTIME_DIR, 'docker.sock'), 'rootless Docker'],
    [join(home, '.docker', 'run', 'docker.sock'), 'Docker Desktop'],
    [join(home, '.docker', 'desktop', 'docker.sock'), 'Docker Desktop'],
    [sockets.userRuntimeDir && join(sockets.userRuntimeDir, 'docker.sock'), 'rootless Docker'],
    ...runtimeDirs.map((dir): [string | undefined, string] => [
      dir && join(dir, 'podman', 'podman.sock'),
      'rootless Podman',
    ]),
    [sockets.podman, 'Podman'],
  ];
  const seen = new Set<string>();
  return list.flatMap(([path, source]) => {
    if (path === undefined || seen.has(path)) return [];
    seen.add(path);
    return [{ source, endpoint: `unix://${path}`, options: { socketPath: path } }];
  });
}

/** Why a ping failed, in words a user can act on. */
function describeFailure(error: unknown, timeoutMs: number): string {
  const { code, name, statusCode } = (error ?? {}) as { code?: unknown; name?: unknown; statusCode?: unknown };
  if (name === 'AbortError' || name === 'TimeoutError' || code === 'ABORT_ERR') {
    return `no answer within ${timeoutMs} ms`;
  }
  switch (code) {
    case 'ENOENT':
      return 'no socket there';
    case 'ECONNREFUSED':
      return 'connection refused (nothing listens: the engine is stopped, or the socket file is stale)';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied (add your user to the group that owns the socket, e.g. `docker`, or use rootless mode)';
    case 'ENOTFOUND':
      return 'unknown host';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    case 'ETIMEDOUT':
      return 'connection timed out';
  }
  if (typeof statusCode === 'number') return `answered HTTP ${statusCode}, not as a Docker Engine API`;
  return error instanceof Error ? error.message : String(error);
}

/** Resolves when the candidate answers `GET /_ping` with `OK`; rejects with the reason otherwise. */
async function ping(candidate: EngineCandidate, timeoutMs: number): Promise<void> {
  const socketPath = candidate.options.socketPath;
  if (typeof socketPath === 'string') {
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(socketPath);
    } catch (error) {
      throw new Error(describeFailure(error, timeoutMs));
    }
    if (!info.isSocket()) throw new Error('not a socket');
  }
  const client = explicitClient(candidate.options);
  let answer: unknown;
  try {
    // dockerode's types omit the options of ping; it passes abortSignal on to the request.
    const pingWith = client.ping.bind(client) as unknown as (options: { abortSignal: AbortSignal }) => Promise<unknown>;
    answer = await pingWith({ abortSignal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    throw new Error(describeFailure(error, timeoutMs));
  }
  const text = Buffer.isBuffer(answer) ? answer.toString('utf8') : String(answer);
  if (text.trim() !== 'OK')
    throw new Error(`answered ${JSON.stringify(text.slice(0, 40))}, not as a Docker Engine API`);
}

const advice =
  'Start an engine (`sudo systemctl start docker`; rootless: `systemctl --user start docker` or ' +
  '`systemctl --user start podman.socket`), or say where it is: DOCKER_HOST=unix:///path/to/socket ' +
  '(or tcp://, ssh://), `docker context use <name>`, or the `docker` option of createDockerFactory.';

/**
 * Finds the engine: the docker context, then the well-known sockets, pinging each in turn
 * (sequentially: a ping can wake a socket-activated engine, so nothing is pinged after one
 * answers). DOCKER_HOST is not handled here: when set, it is used as is and nothing else is
 * tried (see `resolveDocker`).
 * @throws BackendUnavailableError listing every candidate and why it failed, when none answers.
 */
export async function discoverEngine(options: DiscoveryOptions = {}): Promise<DiscoveredEngine> {
  const env = options.env ?? discoveryEnvironment();
  const sockets = { ...defaultSystemSockets(), ...options.sockets };
  const timeoutMs = options.timeoutMs ?? 2000;
  const remoteTimeoutMs = options.remoteTimeoutMs ?? 10_000;
  const started = Date.now();
  const context = await selectContext(env);
  const notes = ['DOCKER_HOST: not set'];
  if (context.candidate === undefined) notes.push(context.note);
  const candidates = context.explicit
    ? [context.candidate as EngineCandidate]
    : [...(context.candidate === undefined ? [] : [context.candidate]), ...socketCandidates(env, sockets)].filter(
        (candidate, index, all) =>
          candidate.problem !== undefined || all.findIndex((other) => other.endpoint === candidate.endpoint) === index,
      );
  log('looking for an engine: %s', candidates.map((candidate) => candidate.endpoint).join(', '));
  const attempts: DiscoveryAttempt[] = [];
  for (const candidate of candidates) {
    const limit = candidate.remote ? remoteTimeoutMs : timeoutMs;
    const pinged = Date.now();
    let outcome = 'answered';
    try {
      if (candidate.problem !== undefined) throw new Error(candidate.problem);
      await ping(candidate, limit);
    } catch (error) {
      outcome = (error as Error).message;
    }
    attempts.push({ source: candidate.source, endpoint: candidate.endpoint, outcome });
    log('%s (%s): %s in %d ms', candidate.endpoint, candidate.source, outcome, Date.now() - pinged);
    if (outcome === 'answered') {
      log('using %s (%s); found in %d ms', candidate.endpoint, candidate.source, Date.now() - started);
      return { candidate, attempts };
    }
  }
  const lines = attempts.map(
    (attempt, index) => `  ${index + 1}. ${attempt.endpoint} (${attempt.source}): ${attempt.outcome}`,
  );
  const explicitNote = context.explicit
    ? 'DOCKER_CONTEXT names this context, so no other engine was tried; unset it to let snapbox look for a local engine.'
    : advice;
  throw new BackendUnavailableError({
    backend: 'docker',
    detail: `no engine answered. Looked at:\n${notes.map((note) => `  - ${note}`).join('\n')}\n${lines.join('\n')}\n${explicitNote}`,
  });
}

const cache = new Map<string, Promise<DiscoveredEngine>>();

/**
 * {@link discoverEngine} for `env` with the system's sockets, once per process and environment:
 * every client made with the same variables shares the answer. A failure is not kept, so a
 * later call looks again (the engine may have been started meanwhile).
 */
export function discoverEngineOnce(env: DiscoveryEnvironment): Promise<DiscoveredEngine> {
  const key = JSON.stringify(discoveryVariables.map((name) => env[name] ?? null));
  let found = cache.get(key);
  if (found === undefined) {
    found = discoverEngine({ env });
    cache.set(key, found);
    found.catch(() => cache.delete(key));
  }
  return found;
}
