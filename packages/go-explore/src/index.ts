export { type Cell, type CellRank, isBetterCell } from './cell.js';
export type { EnvironmentOptions, ExploreContainerOptions } from './environment.js';
export { goExplore } from './go-explore.js';
export type { GoExploreOptions, GoExplorePolicy, GoExploreProgress, PolicyContext } from './options.js';
export { createRandom, type Random, type Seed } from './random.js';
export { type ReplayOptions, type ReplayResult, replay } from './replay.js';
export type { BestScorePoint, GoExploreResult, GoExploreTiming, StopReason } from './result.js';
export {
  type CellWeight,
  type CountBasedWeightOptions,
  countBasedWeight,
  defaultCellWeight,
  selectCell,
  selectionWeights,
} from './selection.js';
export type { GoExploreTask, StepResult, TaskContext } from './task.js';
