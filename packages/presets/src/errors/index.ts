export { PresetAlreadyRegisteredError } from './preset-already-registered-error.js';
export { PresetNotFoundError } from './preset-not-found-error.js';
export { RegistryFormatError, type RegistryProblem } from './registry-format-error.js';
export { RegistryLoadError } from './registry-load-error.js';
export { RegistryTimeoutError } from './registry-timeout-error.js';
export { TaskFetchError } from './task-fetch-error.js';
export { TaskFetchTimeoutError } from './task-fetch-timeout-error.js';
