import {
  assertContainerOptions,
  assertNonEmptyString,
  assertOptionalNumber,
  type ContainerOptions,
  InvalidArgumentError,
  type SnapshotableContainerFactory,
} from '@snapbox/core';
import { type CliBackend, CliDockerContainer, type CliSource, cliSupportedOptions } from './cli-container.js';
import { DockerCli, type DockerCliOptions } from './docker-cli.js';
import { SessionCleanup } from './session-cleanup.js';
import { defaultFlattenAtLayers, defaultSnapshotRepository } from './snapshot-images.js';

/** Options of {@link createCliDockerFactory}. */
export interface CliDockerFactoryOptions extends DockerCliOptions {
  /** Repository of snapshot images (`<repository>:<tag>`). Default `snapbox-snapshot`. */
  snapshotRepository?: string;
  /** Layer depth from which snapshots are flattened (Docker refuses past 125). Default 100. */
  flattenAtLayers?: number;
}

const repositoryPattern = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/;

/**
 * A snapshotable factory of containers driven through the `docker` command line. No I/O
 * happens here or in the factory methods: they validate their arguments and return `created`
 * containers.
 * @throws InvalidArgumentError for malformed options.
 */
export function createCliDockerFactory(
  options: CliDockerFactoryOptions = {},
): SnapshotableContainerFactory<CliDockerContainer> {
  const repository = options.snapshotRepository ?? defaultSnapshotRepository;
  if (!repositoryPattern.test(repository)) {
    throw new InvalidArgumentError({
      argument: 'snapshotRepository',
      message: `expected a lowercase repository name, got ${JSON.stringify(repository)}`,
    });
  }
  assertOptionalNumber(options.flattenAtLayers, 'flattenAtLayers', { min: 2, integer: true });
  const cli = new DockerCli(options);
  const backend: CliBackend = {
    cli,
    repository,
    flattenAtLayers: Math.min(options.flattenAtLayers ?? defaultFlattenAtLayers, 120),
    session: new SessionCleanup(cli, repository),
  };
  const make = (source: CliSource, rest: ContainerOptions): CliDockerContainer => {
    assertContainerOptions(rest, cliSupportedOptions);
    return new CliDockerContainer(source, { ...rest }, backend);
  };
  return {
    fromImage: ({ image, ...rest }) => {
      assertNonEmptyString(image, 'image');
      return make({ kind: 'image', image }, rest);
    },
    fromDockerfile: ({ dockerfilePath, ...rest }) => {
      assertNonEmptyString(dockerfilePath, 'dockerfilePath');
      return make({ kind: 'dockerfile', dockerfilePath }, rest);
    },
    fromSnapshot: ({ snapshotId, ...rest }) => {
      assertNonEmptyString(snapshotId, 'snapshotId');
      return make({ kind: 'snapshot', snapshotId }, rest);
    },
  };
}
