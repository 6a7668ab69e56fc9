import type { SnapshotableContainerFactory } from './container-factory.js';
import type { SnapshotableContainer } from './snapshotable-container.js';

const containerMethods = [
  'start',
  'stop',
  'stopAndRemoveSync',
  'exec',
  'uploadFiles',
  'downloadFiles',
  'uploadFile',
  'uploadDir',
  'downloadFile',
  'downloadDir',
  'writeFile',
  'readFile',
] as const;
const snapshotMethods = ['snapshot', 'fromSnapshot', 'deleteSnapshot', 'deleteSnapshotSync'] as const;
const factoryMethods = ['fromImage', 'fromDockerfile', 'fromSnapshot'] as const;

function hasMethods(value: unknown, names: readonly string[]): boolean {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return false;
  const record = value as Record<string, unknown>;
  return names.every((name) => typeof record[name] === 'function');
}

/**
 * True when `value` has every method of {@link SnapshotableContainer}. The check is structural
 * (no `instanceof`), so a third-party backend qualifies without importing snapbox classes, and
 * it never throws: `null`, primitives and partial objects give `false`.
 */
export function isSnapshotable(value: unknown): value is SnapshotableContainer {
  return hasMethods(value, containerMethods) && hasMethods(value, snapshotMethods);
}

/** True when `value` has every method of {@link SnapshotableContainerFactory}; structural, never throws. */
export function isSnapshotableFactory(value: unknown): value is SnapshotableContainerFactory {
  return hasMethods(value, factoryMethods);
}
