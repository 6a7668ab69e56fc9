export { type CliBackend, CliDockerContainer, type CliSource } from './cli-container.js';
export { type CliDockerFactoryOptions, createCliDockerFactory } from './cli-factory.js';
export type { CliResult, DockerCliOptions } from './docker-cli.js';
export { DockerCli } from './docker-cli.js';
export { defaultFlattenAtLayers, defaultSnapshotRepository } from './snapshot-images.js';
