import { hasErrorMarker, markError, SnapboxError } from './snapbox-error.js';

const marker = Symbol.for('snapbox.error.NotASnapshotError');

/**
 * `deleteSnapshot` was given an id that snapbox did not create (for example an ordinary image).
 * Nothing was deleted: snapbox only ever removes what it made.
 */
export class NotASnapshotError extends SnapboxError {
  /** The id that was passed to `deleteSnapshot` and refused. */
  readonly snapshotId: string;

  constructor(options: { snapshotId: string; reason?: string; cause?: unknown }) {
    super('NOT_A_SNAPSHOT', {
      message: `Refusing to delete ${options.snapshotId}: it is not a snapshot created by snapbox${options.reason ? ` (${options.reason})` : ''}; it was left untouched.`,
      cause: options.cause,
    });
    this.snapshotId = options.snapshotId;
    markError(this, marker);
  }

  static override isInstance(value: unknown): value is NotASnapshotError {
    return hasErrorMarker(value, marker);
  }
}
