import type { AdminResource } from './admin-resource.js';
import type { ListResourcesOptions, PruneResourcesOptions } from './prune-options.js';

/**
 * Whether `resource` is one `options` ask for: its kind is among `kinds`, its owner's session is
 * `session`, and its labels hold every entry of `labels`. Each option left out matches all.
 */
export function matchesListOptions(resource: AdminResource, options: ListResourcesOptions = {}): boolean {
  if (options.kinds !== undefined && !options.kinds.includes(resource.kind)) return false;
  if (options.session !== undefined && resource.owner.session !== options.session) return false;
  for (const [key, value] of Object.entries(options.labels ?? {})) {
    if (resource.labels[key] !== value) return false;
  }
  return true;
}

/**
 * The prune rule every backend shares, written once: whether `resource` is removed by a prune
 * with `options` (before its `filter`, and given that it {@link matchesListOptions}).
 *
 * - A build: only with `includeBuilds`, when no container uses it (`inUse`), and older than
 *   `olderThanMs` when given; its owner does not matter (a build is a shared cache).
 * - Anything of the asking process: never.
 * - Anything younger than `olderThanMs`: never.
 * - A kept snapshot: only with `includeKept`.
 * - Otherwise: with `allSessions`, whatever its owner; else when its owner is `'dead'`, or
 *   `'unknown'` and `olderThanMs` is given (age is then the lease).
 * @param now the current time in ms since the epoch; default `Date.now()`.
 */
export function isSelectedForPrune(
  resource: AdminResource,
  options: PruneResourcesOptions = {},
  now: number = Date.now(),
): boolean {
  const oldEnough = options.olderThanMs === undefined || now - resource.createdAt.getTime() > options.olderThanMs;
  if (resource.kind === 'build') return options.includeBuilds === true && resource.inUse !== true && oldEnough;
  if (resource.owner.isCurrentProcess || !oldEnough) return false;
  if (resource.kind === 'snapshot' && resource.keep === true && options.includeKept !== true) return false;
  if (options.allSessions === true) return true;
  if (resource.owner.liveness === 'dead') return true;
  return resource.owner.liveness === 'unknown' && options.olderThanMs !== undefined;
}
