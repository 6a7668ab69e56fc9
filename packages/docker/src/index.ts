export type { DockerAdminResource } from './admin-resources.js';
export { createDockerAdmin } from './docker-admin.js';
export type { DockerBackendOptions } from './docker-backend.js';
export { type DockerConnection, describeEndpoint } from './docker-connection.js';
export {
  DockerContainer,
  type DockerContainerExtras,
  type DockerContainerOptions,
  type DockerSource,
  dockerSupportedOptions,
} from './docker-container.js';
export { createDockerFactory, type DockerFactory } from './docker-factory.js';
export type { DockerRequestOptions } from './engine-requests.js';
export type { DockerExecResult } from './exec-runner.js';
export { dockerSandboxDefaults } from './host-config.js';
export type { PullPolicy } from './image-source.js';
export {
  type BuildInfo,
  type ContainerInfo,
  listBuilds,
  listContainers,
  listSnapshots,
  type PruneCandidate,
  type PruneFailure,
  type PruneOptions,
  type PruneReport,
  prune,
  pruneSnapshots,
  type ResourceOwner,
  type SnapshotInfo,
} from './resource-admin.js';
export { defaultFlattenAtLayers, defaultSnapshotRepository } from './snapshot-images.js';
