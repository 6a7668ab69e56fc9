export { PresetAlreadyRegisteredError } from './preset-already-registered-error.js';
export { PresetNotFoundError } from './preset-not-found-error.js';
export { RegistryFormatError } from './registry-format-error.js';
export { RegistryLoadError } from './registry-load-error.js';
export { TaskFetchError } from './task-fetch-error.js';
