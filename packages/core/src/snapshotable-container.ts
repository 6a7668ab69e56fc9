import type { Container, ContainerOptions } from './container.js';

/** Options of {@link SnapshotableContainer.snapshot}. */
export interface SnapshotOptions {
  /**
   * Keep the snapshot after this process exits. Default `false`: snapshots are session-scoped
   * and removed at exit (normal, error or signal) unless deleted earlier.
   */
  keep?: boolean;
}

/**
 * A container whose filesystem can be captured and restored any number of times.
 *
 * Semantics every backend keeps (the conformance suite checks them):
 * - a snapshot holds the filesystem, not running processes, and not the env given to `start()`;
 * - restores are independent: writes in one never show in another or in the snapshot;
 * - `deleteSnapshot` is idempotent, refuses ids that snapbox did not create, and succeeds while
 *   restored containers or later snapshots still depend on the snapshot (the backend reclaims
 *   the storage once nothing depends on it).
 */
export interface SnapshotableContainer extends Container {
  /**
   * Captures the filesystem and returns an opaque snapshot id.
   * @throws ContainerNotStartedError when the container is not running.
   */
  snapshot(options?: SnapshotOptions): Promise<string>;

  /**
   * A new, unstarted container of the same backend and connection that starts from the
   * snapshot. Works whatever this container's state. No I/O happens until its `start()`,
   * which rejects with `SnapshotNotFoundError` if the snapshot was deleted meanwhile.
   * @throws InvalidArgumentError for an empty or malformed id.
   */
  fromSnapshot(snapshotId: string, options?: ContainerOptions): SnapshotableContainer;

  /**
   * Deletes a snapshot. Idempotent (an already deleted snapshot is not an error).
   * @throws NotASnapshotError when the id names something snapbox did not create.
   */
  deleteSnapshot(snapshotId: string): Promise<void>;

  /** Like {@link SnapshotableContainer.deleteSnapshot}, blocking, for `process.on('exit')`. */
  deleteSnapshotSync(snapshotId: string): void;
}
