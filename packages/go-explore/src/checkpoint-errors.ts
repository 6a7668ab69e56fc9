import { hasErrorMarker, markError, SnapboxError } from '@snapbox/core';

const refusedMarker = Symbol.for('snapbox.error.CheckpointRefusedError');
const versionMarker = Symbol.for('snapbox.error.CheckpointVersionError');
const mismatchMarker = Symbol.for('snapbox.error.CheckpointMismatchError');
const goneMarker = Symbol.for('snapbox.error.CheckpointSnapshotsGoneError');

/**
 * `resumeFrom` named a checkpoint that cannot be resumed. The subclasses say why; this class
 * itself (code `CHECKPOINT_UNREADABLE`) is a file that cannot be read or is not a checkpoint.
 * Nothing was started or deleted.
 */
export class CheckpointRefusedError extends SnapboxError {
  /** The checkpoint file. */
  readonly path: string;

  constructor(code: string, options: { path: string; message: string; cause?: unknown }) {
    super(code, { message: options.message, cause: options.cause });
    this.path = options.path;
    markError(this, refusedMarker);
  }

  static override isInstance(value: unknown): value is CheckpointRefusedError {
    return hasErrorMarker(value, refusedMarker);
  }
}

/** The checkpoint was written in another version of the format (by another version of this package). */
export class CheckpointVersionError extends CheckpointRefusedError {
  /** The version the file declares. */
  readonly found: unknown;
  /** The version this package reads and writes. */
  readonly supported: number;

  constructor(options: { path: string; found: unknown; supported: number }) {
    super('CHECKPOINT_VERSION', {
      path: options.path,
      message: `The checkpoint ${options.path} is in format version ${JSON.stringify(options.found)}; this version of @snapbox/go-explore reads version ${options.supported}. Resume it with the version that wrote it, or start a new run.`,
    });
    this.found = options.found;
    this.supported = options.supported;
    markError(this, versionMarker);
  }

  static override isInstance(value: unknown): value is CheckpointVersionError {
    return hasErrorMarker(value, versionMarker);
  }
}

/** What a checkpoint records about its run and a resume must match. */
export type CheckpointField = 'task' | 'image' | 'dockerfilePath' | 'backend' | 'seed';

/**
 * The checkpoint belongs to another run: another task (its `id`, or the source of its methods),
 * another image or Dockerfile, another backend, or another seed.
 */
export class CheckpointMismatchError extends CheckpointRefusedError {
  /** What differs. */
  readonly field: CheckpointField;
  /** What the checkpoint recorded. */
  readonly recorded: unknown;
  /** What this call gave. */
  readonly given: unknown;

  constructor(options: { path: string; field: CheckpointField; recorded: unknown; given: unknown; hint?: string }) {
    const show = (value: unknown): string => (value === undefined ? 'nothing' : JSON.stringify(value));
    super('CHECKPOINT_MISMATCH', {
      path: options.path,
      message: `The checkpoint ${options.path} is of another run: its ${options.field} is ${show(options.recorded)}, this call gives ${show(options.given)}.${options.hint === undefined ? '' : ` ${options.hint}`}`,
    });
    this.field = options.field;
    this.recorded = options.recorded;
    this.given = options.given;
    markError(this, mismatchMarker);
  }

  static override isInstance(value: unknown): value is CheckpointMismatchError {
    return hasErrorMarker(value, mismatchMarker);
  }
}

/** An archived cell whose snapshot no longer exists. */
export interface MissingSnapshot {
  /** The cell's key. */
  readonly cell: string;
  /** Its snapshot id. */
  readonly snapshotId: string;
}

/**
 * Snapshots of the checkpoint's archive are gone (pruned, removed by hand, made on another
 * engine, or made by the memory backend of a process that ended). The checkpoint and the
 * snapshots that remain are left as they are.
 */
export class CheckpointSnapshotsGoneError extends CheckpointRefusedError {
  /** The cells whose snapshot is gone. */
  readonly missing: readonly MissingSnapshot[];
  /** Cells in the archive. */
  readonly cells: number;

  constructor(options: { path: string; missing: readonly MissingSnapshot[]; cells: number }) {
    const shown = options.missing
      .slice(0, 5)
      .map((m) => `${m.snapshotId} (cell ${JSON.stringify(m.cell)})`)
      .join(', ');
    const more = options.missing.length > 5 ? ` and ${options.missing.length - 5} more` : '';
    super('CHECKPOINT_SNAPSHOTS_GONE', {
      path: options.path,
      message: `The checkpoint ${options.path} cannot be resumed: ${options.missing.length} of its ${options.cells} snapshots are gone: ${shown}${more}. Were they pruned, or made on another engine? Start a new run, or remove the checkpoint with deleteCheckpoint().`,
    });
    this.missing = options.missing;
    this.cells = options.cells;
    markError(this, goneMarker);
  }

  static override isInstance(value: unknown): value is CheckpointSnapshotsGoneError {
    return hasErrorMarker(value, goneMarker);
  }
}
