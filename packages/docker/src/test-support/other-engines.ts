import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type Docker from 'dockerode';
import { defaultSystemSockets, discoveryEnvironment, optionsForHost } from '../engine-discovery.js';

/** An engine the engine suite runs against: the local one, Podman, a remote dockerd. */
export interface EngineUnderTest {
  /** Shown in suite titles. */
  name: string;
  /** Explicit connection options, as a user passes them in `docker`. */
  connection: Docker.DockerOptions;
  /** The same engine for a child process that builds its client from the environment. */
  env: Record<string, string>;
  /** The init process every container runs (`/proc/1/comm`): docker-init, or catatonit's podman-init. */
  initProcess: string;
  /** What the engine says in an endpoint-related error: `unix:///...`, `tcp://...`, `ssh://...`. */
  endpoint: string;
}

const root = fileURLToPath(new URL('../../../../', import.meta.url));

/**
 * Runs a project script that starts an engine (a no-op when it answers already). A failure
 * throws while the test file loads, so the file fails: a missing engine is never a skip.
 */
function runScript(script: string, ...args: string[]): void {
  execFileSync('bash', [`scripts/${script}`, ...args], { cwd: root, stdio: 'inherit' });
}

/**
 * The local engine that the global setup makes sure of: `DOCKER_HOST` when set, else the default
 * socket. Child processes are pointed at it through `DOCKER_HOST` as well.
 */
export function localEngine(): EngineUnderTest {
  const host = process.env.DOCKER_HOST || `unix://${defaultSystemSockets().docker}`;
  return {
    name: 'docker',
    connection: optionsForHost(host, {}, discoveryEnvironment()).options,
    env: { DOCKER_HOST: host },
    initProcess: 'docker-init',
    endpoint: host,
  };
}

/** Podman's Docker-compatible API on its unix socket (scripts/ensure-podman.sh). */
export function podmanEngine(): EngineUnderTest {
  runScript('ensure-podman.sh');
  const socketPath = process.env.SNAPBOX_PODMAN_SOCKET ?? '/run/podman/podman.sock';
  return {
    name: 'podman',
    connection: { socketPath },
    env: { DOCKER_HOST: `unix://${socketPath}` },
    initProcess: 'podman-init',
    endpoint: `unix://${socketPath}`,
  };
}

/** A second dockerd on a loopback TCP port, with its own storage (scripts/ensure-remote-engines.sh). */
export function tcpEngine(): EngineUnderTest {
  runScript('ensure-remote-engines.sh', 'tcp');
  const port = Number(process.env.SNAPBOX_TCP_ENGINE_PORT ?? 23750);
  return {
    name: 'docker over tcp',
    connection: { host: '127.0.0.1', port, protocol: 'http' },
    env: { DOCKER_HOST: `tcp://127.0.0.1:${port}` },
    initProcess: 'docker-init',
    endpoint: `tcp://127.0.0.1:${port}`,
  };
}

export const sshUser = 'snapbox-remote';
export const sshKeyPath = `${process.env.SNAPBOX_TEST_ENGINES_DIR ?? '/var/lib/snapbox-test-engines'}/sshd/client_key`;

/**
 * The local dockerd reached over ssh: an sshd on loopback lets a test user in with a key made
 * by scripts/ensure-remote-engines.sh, and `docker system dial-stdio` carries the API. The
 * connection passes the key explicitly; a child process finds it through an ssh agent
 * (`SSH_AUTH_SOCK`), as `DOCKER_HOST=ssh://...` users do: see {@link withSshAgent}.
 */
export function sshEngine(): EngineUnderTest {
  runScript('ensure-remote-engines.sh', 'ssh');
  const port = Number(process.env.SNAPBOX_SSH_ENGINE_PORT ?? 22022);
  return {
    name: 'docker over ssh',
    connection: {
      protocol: 'ssh',
      host: '127.0.0.1',
      port,
      username: sshUser,
      sshOptions: { privateKey: readFileSync(sshKeyPath) },
    },
    env: { DOCKER_HOST: `ssh://${sshUser}@127.0.0.1:${port}` },
    initProcess: 'docker-init',
    endpoint: `ssh://${sshUser}@127.0.0.1:${port}`,
  };
}

/**
 * Starts an ssh agent holding the test key, for `DOCKER_HOST=ssh://...` in child processes;
 * returns its environment and a function that stops it.
 */
export function withSshAgent(): { env: Record<string, string>; stop(): void } {
  const output = execFileSync('ssh-agent', ['-s'], { encoding: 'utf8' });
  const socket = /SSH_AUTH_SOCK=([^;]+);/.exec(output)?.[1];
  const pid = Number(/SSH_AGENT_PID=(\d+);/.exec(output)?.[1]);
  if (socket === undefined || !Number.isInteger(pid)) throw new Error(`unexpected ssh-agent output: ${output}`);
  const env = { SSH_AUTH_SOCK: socket, SSH_AGENT_PID: String(pid) };
  execFileSync('ssh-add', ['-q', sshKeyPath], { env: { ...process.env, ...env }, stdio: 'inherit' });
  return {
    env,
    stop: () => {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // Already gone.
      }
    },
  };
}
