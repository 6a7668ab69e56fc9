import type { AdminResource } from './admin-resource.js';
import type { ListResourcesOptions, PruneResourcesOptions } from './prune-options.js';
import type { PruneResourcesReport } from './prune-report.js';

/** Where a {@link BackendAdmin} looks, for `snapbox ls`, `snapbox backends` and messages. */
export interface BackendTarget {
  /**
   * The engine or service, in a few words: `unix:///var/run/docker.sock`,
   * `https://app.daytona.io/api`. Before the first request it may say how it will be found.
   */
  readonly description: string;
  /**
   * `false` when nothing tells the backend where to look or how to log in (no API key in the
   * environment, say): the CLI then skips it without an error, and prints {@link hint}, unless the
   * user named it with `--backend`. Default `true`: a backend that is configured but cannot be
   * reached is an error, reported by `list` and `prune` with `BackendUnavailableError`.
   */
  readonly configured?: boolean | undefined;
  /** What to do to configure it, when it is not: `set DAYTONA_API_KEY`. */
  readonly hint?: string | undefined;
}

/**
 * What a backend created, for listing and pruning: the interface behind `snapbox ls` and
 * `snapbox prune`, which a backend implements once and the CLI uses for every backend installed.
 * It speaks only in {@link AdminResource}s: no engine or SDK type appears in it.
 *
 * Implementing one takes three things: `describeTarget` (no I/O), `list` (read what carries
 * your owner labels and map it with `ownerFromLabels` and `userLabels`), and `prune`, which is
 * usually `pruneResources(options, { backend, list, remove })` from core with a `remove` that
 * deletes one resource. See docs/writing-a-backend.md, "How the CLI finds your backend".
 *
 * Rules every implementation keeps:
 * - It never lists or removes anything without its own ownership mark (the
 *   `org.snapbox.managed` label, or whatever proves the backend made it).
 * - `prune` never removes the asking process's own resources, and by default only those of dead
 *   owners (`isSelectedForPrune`); the options widen that on purpose.
 * - Connection failures reject with `BackendUnavailableError` naming where it tried; one failed
 *   removal does not stop a prune (it goes to {@link PruneResourcesReport.errors}).
 */
export interface BackendAdmin {
  /** The backend's name, the `backend` of its containers: `'docker'`, `'daytona'`, ... */
  readonly backend: string;
  /** Where it looks. Synchronous and without I/O: called for every listing, and for help. */
  describeTarget(): BackendTarget;
  /**
   * Everything the backend created that is still there: containers, snapshots (session-scoped
   * and kept, and snapshots deleted while in use whose storage is not reclaimed yet), builds.
   * @throws BackendUnavailableError when the engine or service cannot be reached.
   */
  list(options?: ListResourcesOptions): Promise<AdminResource[]>;
  /**
   * Removes what `options` select: containers first, then snapshots newest first, then builds.
   * Resolves with what was selected and what failed; rejects only when nothing could be done.
   * @throws BackendUnavailableError when the engine or service cannot be reached.
   */
  prune(options?: PruneResourcesOptions): Promise<PruneResourcesReport>;
}

/**
 * What a backend's admin module exports, so that the `snapbox` command line can use a backend it
 * does not know. The package declares the module in its package.json, as a subpath of its
 * `exports`:
 *
 * ```json
 * {
 *   "exports": { ".": "./dist/index.js", "./admin": "./dist/admin.js" },
 *   "snapbox": { "admin": "./admin" }
 * }
 * ```
 *
 * The CLI calls `createAdmin()` without arguments, so a backend reads its configuration from the
 * environment there, as its factory does by default. Keep the module light to import: the CLI
 * imports every installed backend's admin module for `snapbox ls`.
 */
export interface BackendAdminModule {
  /** Makes the admin. It may take options of the backend's own (the CLI passes none); no I/O. */
  createAdmin(): BackendAdmin | Promise<BackendAdmin>;
}
