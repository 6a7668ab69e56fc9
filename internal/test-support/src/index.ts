export { harborRegistryPath, harborRegistrySha256 } from './fixtures.js';
