export {
  createMemoryFactory,
  MemoryContainer,
  type MemoryExecContext,
  type MemoryExecHandler,
  type MemoryExecHandlerResult,
  type MemoryFactory,
  type MemoryFactoryOptions,
  memorySupportedOptions,
} from './memory-container.js';
export type { MemorySnapshotInfo } from './memory-session.js';
