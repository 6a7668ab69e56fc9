import { hasErrorMarker, markError, SnapboxError } from './snapbox-error.js';

const marker = Symbol.for('snapbox.error.SnapshotNotFoundError');

/**
 * A container was started from a snapshot that no longer exists (it was deleted, pruned, or
 * belongs to another engine). Take a new snapshot, or keep snapshots with `keep: true`.
 */
export class SnapshotNotFoundError extends SnapboxError {
  /** The id of the snapshot that no longer exists. */
  readonly snapshotId: string;

  constructor(options: { snapshotId: string; cause?: unknown }) {
    super('SNAPSHOT_NOT_FOUND', {
      message: `Snapshot ${options.snapshotId} does not exist (deleted, pruned at the end of its session, or made on another engine).`,
      cause: options.cause,
    });
    this.snapshotId = options.snapshotId;
    markError(this, marker);
  }

  static override isInstance(value: unknown): value is SnapshotNotFoundError {
    return hasErrorMarker(value, marker);
  }
}
