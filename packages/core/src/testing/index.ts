export { type ConformanceOptions, describeContainerConformance } from './conformance.js';
export {
  createMemoryFactory,
  MemoryContainer,
  type MemoryExecContext,
  type MemoryExecHandler,
  type MemoryFactory,
  type MemoryFactoryOptions,
} from './memory-container.js';
