export { type Cell, type CellRank, isBetterCell } from './cell.js';
export {
  type CheckpointField,
  CheckpointMismatchError,
  CheckpointRefusedError,
  CheckpointSnapshotsGoneError,
  CheckpointVersionError,
  type MissingSnapshot,
} from './checkpoint-errors.js';
export { checkpointVersion, runLabels } from './checkpoint-file.js';
export { type DeleteCheckpointOptions, type DeleteCheckpointResult, deleteCheckpoint } from './delete-checkpoint.js';
export type { EnvironmentOptions, ExploreContainerOptions } from './environment.js';
export { FailureBudgetExceededError } from './failure-budget-error.js';
export type { FailureCounts, FailureKind, GoExploreFailure } from './failures.js';
export { goExplore } from './go-explore.js';
export type {
  CheckpointOptions,
  GoExploreOptions,
  GoExplorePolicy,
  GoExploreProgress,
  PolicyContext,
} from './options.js';
export { createRandom, type Random, type Seed } from './random.js';
export { type ReplayOptions, type ReplayResult, replay } from './replay.js';
export type {
  BestScorePoint,
  GoExploreResult,
  GoExploreTiming,
  ResumeSummary,
  StopReason,
} from './result.js';
export {
  type CellWeight,
  type CountBasedWeightOptions,
  countBasedWeight,
  defaultCellWeight,
  selectCell,
  selectionWeights,
} from './selection.js';
export type { GoExploreTask, StepResult, TaskContext } from './task.js';
export { GoExploreTaskError, type TaskErrorOrigin, type TaskPhase } from './task-error.js';
