import { createDebugLog } from '@snapbox/core';

/** Calls to the Daytona service and their retries. */
export const daytonaLog = createDebugLog('snapbox:daytona');
/** Removal at exit of what this process left on Daytona. */
export const cleanupLog = createDebugLog('snapbox:cleanup');
