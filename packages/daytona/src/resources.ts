import type { Resources } from '@snapbox/core';

/** Daytona's resource request: whole CPU cores, memory and disk in whole GiB, whole GPUs. */
export interface DaytonaResources {
  cpu?: number;
  memory?: number;
  disk?: number;
  gpu?: number;
}

/**
 * Maps snapbox resources to Daytona's. Daytona allocates whole cores and whole GiB, so `cpu`,
 * `memoryMiB` (converted to GiB) and `diskGiB` are rounded up: a request is never silently
 * lowered. Returns `undefined` when nothing was asked for (Daytona's defaults apply).
 */
export function toDaytonaResources(resources: Resources | undefined): DaytonaResources | undefined {
  if (resources === undefined) return undefined;
  const mapped: DaytonaResources = {};
  if (resources.cpu !== undefined) mapped.cpu = Math.ceil(resources.cpu);
  if (resources.memoryMiB !== undefined) mapped.memory = Math.ceil(resources.memoryMiB / 1024);
  if (resources.diskGiB !== undefined) mapped.disk = Math.ceil(resources.diskGiB);
  if (resources.gpu !== undefined && resources.gpu > 0) mapped.gpu = resources.gpu;
  return Object.keys(mapped).length === 0 ? undefined : mapped;
}
