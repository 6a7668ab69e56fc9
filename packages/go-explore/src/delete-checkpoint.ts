import {
  InvalidArgumentError,
  isSnapshotable,
  isSnapshotableFactory,
  type SnapshotableContainer,
  type SnapshotableContainerFactory,
} from '@snapbox/core';
import { CheckpointFiles, readCheckpoint, readJournal } from './checkpoint-file.js';

/** Options of {@link deleteCheckpoint}. */
export interface DeleteCheckpointOptions {
  /** The checkpoint file, as given to `checkpoint.path`. */
  path: string;
  /** A factory of the backend the run used; its containers delete the snapshots. */
  factory?: SnapshotableContainerFactory;
  /** Instead of `factory`: any container of that backend, in any state (it is not started). */
  container?: SnapshotableContainer;
}

/** What {@link deleteCheckpoint} removed. */
export interface DeleteCheckpointResult {
  /** Snapshots deleted (those already gone count too: deleting is idempotent). */
  readonly snapshotsDeleted: number;
}

/**
 * Discards a checkpointed run that will not be resumed: deletes every snapshot its checkpoint
 * names (the archive, and what a killed process left after the last checkpoint), then the
 * checkpoint file and its journal. Snapshots already gone are fine. When a deletion fails, the
 * files are kept, so that a second call can finish the job.
 *
 * ```ts
 * await deleteCheckpoint({ path: 'run.checkpoint.json', factory: createDockerFactory() });
 * ```
 * @throws CheckpointRefusedError when the file is not a checkpoint this version can read.
 * @throws whatever the backend throws for the first deletion that failed (after trying all).
 */
export async function deleteCheckpoint(options: DeleteCheckpointOptions): Promise<DeleteCheckpointResult> {
  if (typeof options?.path !== 'string' || options.path.length === 0) {
    throw new InvalidArgumentError({ argument: 'path', message: 'expected the checkpoint file path' });
  }
  const { factory, container } = options;
  if ((factory === undefined) === (container === undefined)) {
    throw new InvalidArgumentError({ argument: 'factory', message: 'give exactly one of factory and container' });
  }
  if (factory !== undefined && !isSnapshotableFactory(factory)) {
    throw new InvalidArgumentError({ argument: 'factory', message: 'expected a factory that can snapshot' });
  }
  if (container !== undefined && !isSnapshotable(container)) {
    throw new InvalidArgumentError({ argument: 'container', message: 'expected a container that can snapshot' });
  }
  const data = await readCheckpoint(options.path);
  const archived = data.archive.cells.map((cell) => cell.snapshotId);
  // Newest first: on engines that layer snapshots, children go before the parents they hold.
  const ids = [
    ...new Set([...(await readJournal(options.path)).reverse(), ...data.obsoleteSnapshots, ...archived.reverse()]),
  ];
  const deleter = container ?? (factory as SnapshotableContainerFactory).fromSnapshot({ snapshotId: ids[0] as string });
  let firstError: unknown;
  let deleted = 0;
  for (const id of ids) {
    try {
      await deleter.deleteSnapshot(id);
      deleted++;
    } catch (error) {
      firstError ??= error;
    }
  }
  if (firstError !== undefined) throw firstError;
  await new CheckpointFiles(options.path).remove();
  return { snapshotsDeleted: deleted };
}
