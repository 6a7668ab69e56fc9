export { buildIfStale } from './build-global-setup.js';
export { ensureDockerEngine } from './docker-global-setup.js';
export { debianImage, tinyImage } from './fixture-images.js';
export { harborRegistryPath, harborRegistrySha256 } from './fixtures.js';
export { ensureBubblewrap } from './integration-global-setup.js';
export { dockerCli, type LabelledEngine, type Leftovers, leftovers, removeLabelled } from './leftovers.js';
export { type NodeChild, type NodeChildEnd, type SpawnNodeOptions, spawnNode } from './node-child.js';
export { isAlive } from './processes.js';
export { repoRoot } from './repo-root.js';
