export type {
  DaytonaAdminClient,
  DaytonaAdminSnapshotService,
  DaytonaListedSandbox,
  DaytonaListedSnapshot,
  DaytonaSnapshotPage,
} from './admin-client-types.js';
export type {
  DaytonaClient,
  DaytonaClientConfig,
  DaytonaCreateParams,
  DaytonaDownloadResponse,
  DaytonaFileSystem,
  DaytonaProcess,
  DaytonaSandbox,
  DaytonaSessionCommandResponse,
  DaytonaSnapshotInfo,
  DaytonaSnapshotService,
} from './client-types.js';
export { createDaytonaAdmin, type DaytonaAdminOptions } from './daytona-admin.js';
export {
  DaytonaContainer,
  type DaytonaContainerExtras,
  type DaytonaEndpoint,
  type DaytonaSource,
  daytonaSupportedOptions,
} from './daytona-container.js';
export { createDaytonaFactory, type DaytonaFactory, type DaytonaFactoryOptions } from './daytona-factory.js';
export { QuotaExceededError } from './quota-exceeded-error.js';
export type { DaytonaRetryOptions } from './retry.js';
export { isSnapboxSnapshotName } from './snapshot-names.js';
