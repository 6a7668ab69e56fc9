import { assertOptionalNumber, InvalidArgumentError } from '@snapbox/core';
import type Docker from 'dockerode';
import { type DockerConnection, resolveDocker, setRequestPolicy } from './docker-connection.js';
import { type DockerRequestOptions, resolveRequestPolicy } from './engine-requests.js';
import { assertHostConfig } from './host-config.js';
import type { PullPolicy } from './image-source.js';
import { type SessionTracker, trackerFor } from './session-tracker.js';
import { defaultFlattenAtLayers, defaultSnapshotRepository } from './snapshot-images.js';

/** How to reach the engine and where snapshots go; shared by the factory and the static constructors. */
export interface DockerBackendOptions {
  /**
   * A dockerode instance or its options. Default: `DOCKER_HOST` when set (nothing else is tried);
   * else the engine found on the first request: the current docker context, then the Docker,
   * rootless Docker and Podman sockets, the first that answers a ping (see the README, "Finding
   * the engine").
   */
  docker?: DockerConnection;
  /** Repository of snapshot images (`<repository>:<tag>`). Default `snapbox-snapshot`. */
  snapshotRepository?: string;
  /** Pull a missing image (`'missing'`, default) or fail at once (`'never'`). */
  pull?: PullPolicy;
  /**
   * Layer depth from which a snapshot is flattened into one layer instead of committed
   * (Docker refuses more than 125 layers). Default 100; at most 120.
   */
  flattenAtLayers?: number;
  /**
   * Start a watchdog process that removes this process's containers and session snapshots if
   * it is killed with SIGKILL. Default `true`.
   */
  watchdog?: boolean;
  /**
   * Engine API `HostConfig` fields for every container (an escape hatch for what the options do
   * not cover: devices, mounts, ulimits, a custom network, a seccomp profile, ...). They are
   * merged over the sandbox defaults (`dockerSandboxDefaults`: a process limit,
   * `no-new-privileges`, no `NET_RAW`), so a field given here replaces that default, and under
   * what the contract's options set (`resources`, `network: 'none'`, `ports`) and snapbox needs
   * (`Init`). A container's own `hostConfig` is merged over this one.
   */
  hostConfig?: Docker.HostConfig;
  /** Request timeouts and retries; see {@link DockerRequestOptions}. */
  requests?: DockerRequestOptions;
  /**
   * The host address that `ports` are published on. Default `127.0.0.1` for a local engine (a
   * unix socket, or a tcp address on loopback), so that only this machine reaches them, and
   * `0.0.0.0` for a remote one, whose loopback this machine cannot reach (set it to an address
   * of that host to narrow who can).
   */
  portBindAddress?: string;
}

/** The resolved, shared state behind a set of containers. */
export interface ResolvedBackend {
  docker: Docker;
  repository: string;
  pull: PullPolicy;
  flattenAtLayers: number;
  tracker: SessionTracker;
  hostConfig: Docker.HostConfig | undefined;
  portBindAddress: string | undefined;
}

const repositoryPattern = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/;

/** Validates the options and builds the shared state. No I/O: the engine is found and contacted on the first request. */
export function resolveBackend(options: DockerBackendOptions = {}): ResolvedBackend {
  const repository = options.snapshotRepository ?? defaultSnapshotRepository;
  if (typeof repository !== 'string' || !repositoryPattern.test(repository)) {
    throw new InvalidArgumentError({
      argument: 'snapshotRepository',
      message: `expected a lowercase image repository name such as "snapbox-snapshot", got ${JSON.stringify(repository)}`,
    });
  }
  const pull = options.pull ?? 'missing';
  if (pull !== 'missing' && pull !== 'never') {
    throw new InvalidArgumentError({
      argument: 'pull',
      message: `expected "missing" or "never", got ${JSON.stringify(pull)}`,
    });
  }
  assertOptionalNumber(options.flattenAtLayers, 'flattenAtLayers', { min: 2, integer: true });
  const flattenAtLayers = Math.min(options.flattenAtLayers ?? defaultFlattenAtLayers, 120);
  assertHostConfig(options.hostConfig, 'hostConfig');
  if (
    options.portBindAddress !== undefined &&
    (typeof options.portBindAddress !== 'string' || options.portBindAddress === '')
  ) {
    throw new InvalidArgumentError({
      argument: 'portBindAddress',
      message: 'expected an IP address such as "127.0.0.1"',
    });
  }
  const policy = resolveRequestPolicy(options.requests);
  const docker = resolveDocker(options.docker);
  if (options.requests !== undefined) setRequestPolicy(docker, policy);
  return {
    docker,
    repository,
    pull,
    flattenAtLayers,
    tracker: trackerFor(docker, repository, { watchdog: options.watchdog ?? true }),
    hostConfig: options.hostConfig,
    portBindAddress: options.portBindAddress,
  };
}
