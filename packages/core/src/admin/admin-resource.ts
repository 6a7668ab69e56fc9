import type { OwnerRecord } from '../session/owner-liveness.js';

/**
 * What a backend made, as `snapbox ls` and `snapbox prune` see it:
 *
 * - `'container'`: a container (a Docker container, a Daytona sandbox, ...), running or not;
 * - `'snapshot'`: a snapshot, session-scoped or kept;
 * - `'build'`: an image a backend built for `fromDockerfile` and keeps as a cache, shared by
 *   every process that builds the same Dockerfile. A backend without such a cache has none.
 */
export type ResourceKind = 'container' | 'snapshot' | 'build';

/**
 * Whether the process that made a resource still runs:
 *
 * - `'alive'` / `'dead'`: decided on this host from the pid and its start time (`ownerLiveness`);
 * - `'unknown'`: the owner ran on another host, or the resource does not say who made it; only
 *   age (`olderThanMs`) or an explicit choice (`allSessions`) prunes it.
 */
export type OwnerLiveness = 'alive' | 'dead' | 'unknown';

/**
 * The process that made a resource, from what the resource records about it (the owner labels
 * of `ownerLabels()`), and whether it still runs. `describeOwner` and `ownerFromLabels` make one.
 *
 * `pid`, `host` and `processStartedAt` are `NaN`, `''` and `NaN` when the resource does not record
 * them (a backend whose snapshots carry no labels, say); its liveness is then `'unknown'`.
 */
export interface ResourceOwner extends OwnerRecord {
  /** The id of the owner's session (`currentSession().id` in that process; label `org.snapbox.session`). */
  readonly session: string;
  /** Whether the owner still runs; always `'alive'` for the process that is asking. */
  readonly liveness: OwnerLiveness;
  /** True when the owner is the process that is asking: `prune` never removes its resources. */
  readonly isCurrentProcess: boolean;
}

/**
 * One thing a backend created, for listing and pruning. A backend's `BackendAdmin.list` returns
 * these; it may add fields of its own (the Docker backend adds `imageId`), which `snapbox ls
 * --json` prints as they are.
 *
 * Only `backend`, `kind`, `id`, `owner`, `createdAt` and `labels` are required: leave out what
 * the backend does not know rather than guess it.
 */
export interface AdminResource {
  /** The backend's name, the `backend` of its containers: `'docker'`, `'daytona'`, ... */
  readonly backend: string;
  /** A container, a snapshot or a build. */
  readonly kind: ResourceKind;
  /**
   * What names it for the user and for removal, unique within its backend and kind: a container
   * id, a snapshot id (as `snapshot()` returned it), an image id. It must stay the same between
   * a `list` and the `prune` that follows, since a confirmed prune removes exactly the ids it
   * showed.
   */
  readonly id: string;
  /** A second name, when the backend has one (a container's name, a build's tag). */
  readonly name?: string | undefined;
  /** The backend's word for its state (`running`, `exited`, `active`, `deleted, in use`), as is. */
  readonly state?: string | undefined;
  /** Who made it, and whether that process still runs. */
  readonly owner: ResourceOwner;
  /** When it was created. */
  readonly createdAt: Date;
  /** Its size in bytes, when the backend knows it (shared layers may be counted in each). */
  readonly sizeBytes?: number | undefined;
  /** The snapshot it was restored from (a container) or taken from a restore of (a snapshot): its lineage. */
  readonly parentSnapshot?: string | undefined;
  /** The image (or Dockerfile) at the root of its lineage. */
  readonly baseImage?: string | undefined;
  /** For a snapshot: made with `keep: true`, so it outlives its process on purpose. */
  readonly keep?: boolean | undefined;
  /** For a build: a container uses it now, so it is never pruned. */
  readonly inUse?: boolean | undefined;
  /**
   * Its labels other than snapbox's own (`org.snapbox.*`): the `labels` given to the container it
   * is or was taken from, such as the run id a Go-Explore run puts on everything it makes
   * (`snapbox.go-explore.run`). Empty when the backend cannot label this kind of resource.
   */
  readonly labels: Readonly<Record<string, string>>;
}
