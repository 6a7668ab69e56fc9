import { assertOptionalNumber, InvalidArgumentError } from '@snapbox/core';
import type Docker from 'dockerode';
import { type DockerConnection, resolveDocker } from './docker-connection.js';
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
}

/** The resolved, shared state behind a set of containers. */
export interface ResolvedBackend {
  docker: Docker;
  repository: string;
  pull: PullPolicy;
  flattenAtLayers: number;
  tracker: SessionTracker;
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
  const docker = resolveDocker(options.docker);
  return {
    docker,
    repository,
    pull,
    flattenAtLayers,
    tracker: trackerFor(docker, repository, { watchdog: options.watchdog ?? true }),
  };
}
