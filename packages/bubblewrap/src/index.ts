export { type BubblewrapAdminResource, createBubblewrapAdmin } from './bubblewrap-admin.js';
export type { BubblewrapBackendOptions } from './bubblewrap-backend.js';
export { BubblewrapContainer, type BubblewrapSource } from './bubblewrap-container.js';
export { type BubblewrapFactory, createBubblewrapFactory } from './bubblewrap-factory.js';
export {
  type ContainerInfo,
  listContainers,
  listSnapshots,
  type PruneFailure,
  type PruneOptions,
  type PruneReport,
  prune,
  pruneSnapshots,
  type ResourceOwner,
  type SnapshotInfo,
} from './resource-admin.js';
