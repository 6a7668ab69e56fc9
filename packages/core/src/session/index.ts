export { type ExitCleanupRegistration, onProcessExit, runExitCleanupsNow } from './exit-cleanup.js';
export { type OwnerRecord, ownerLiveness, processStartTime } from './owner-liveness.js';
export { currentSession, ownerLabels, type SessionInfo, snapboxLabels } from './session-info.js';
