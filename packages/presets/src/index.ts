export * from './errors/index.js';
export { harborPresetId, harborShortName, harborShortNames } from './harbor-naming.js';
export { type HarborContainerOptions, HarborPreset, harborDatasetFingerprint } from './harbor-preset.js';
export {
  formatRegistrationReport,
  type HarborRegistrationReport,
  type RegisterHarborOptions,
  type RegistrationConflict,
  registerHarborDatasets,
  type SkippedDuplicate,
  type SuppressedAlias,
} from './harbor-registration.js';
export { type HarborDataset, type HarborTask, parseHarborRegistry } from './harbor-registry-schema.js';
export {
  defaultTaskCacheDir,
  defaultTaskFetchTimeoutMs,
  type FetchHarborTaskOptions,
  fetchHarborTask,
  taskCacheKey,
} from './harbor-task-fetch.js';
export {
  defaultRegistryTimeoutMs,
  harborDefaultRegistryUrl,
  type LoadHarborRegistryOptions,
  loadHarborRegistry,
} from './load-harbor-registry.js';
export { defaultLogger, type Logger } from './logger.js';
export type { PresetInfo, PresetSpec, PresetTask } from './preset.js';
export { assertPresetName, isValidPresetName, presetNamePattern } from './preset-name.js';
export { defaultRegistry, PresetRegistry, type PresetSelection } from './preset-registry.js';
export { applySelection, type ParsedSelector, parseSelector, shardRange, type TaskSelection } from './selector.js';
