export { type ExitCleanupRegistration, onProcessExit, runExitCleanupsNow } from './exit-cleanup.js';
export {
  type OwnerRecord,
  ownerLiveness,
  type ProcessStat,
  processStartTime,
  readProcessStat,
} from './owner-liveness.js';
export { currentSession, ownerLabels, type SessionInfo, snapboxLabels } from './session-info.js';
