export * from './admin/index.js';
export { BaseContainer, listLocalTree, type RemoteTree } from './base-container.js';
export {
  type BlockingWorkerRequest,
  builtScriptPath,
  runBlockingWorker,
  serveBlockingWorker,
} from './blocking-worker.js';
export type {
  Container,
  ContainerEndpoint,
  ContainerOptions,
  ContainerState,
  ExecOptions,
  ExecResult,
  FileTransfer,
  NetworkMode,
  ProgressEvent,
  Resources,
  StartOptions,
} from './container.js';
export type { ContainerFactory, ContainerSource, SnapshotableContainerFactory } from './container-factory.js';
export {
  createDebugLog,
  type DebugEnvironment,
  type DebugLog,
  type DebugLogOptions,
  isDebugEnabled,
} from './debug-log.js';
export { describeCommand } from './describe-command.js';
export * from './errors/index.js';
export { type ExecDeadlineRequest, runExecWithDeadline } from './exec-deadline.js';
export { execMarkerVariable, killMarkedCommand, newExecMarker } from './exec-marker.js';
export { ExecOutputCollector, type ExecStreamName } from './exec-output.js';
export { isSnapshotable, isSnapshotableFactory } from './is-snapshotable.js';
export { joinRemotePath, resolveInsideLocalRoot } from './local-paths.js';
export * from './session/index.js';
export type { SnapshotableContainer, SnapshotOptions } from './snapshotable-container.js';
export { runStartWithDeadline, type StartContext, type StartDeadlineRequest } from './start-deadline.js';
export {
  assertAbsoluteRemotePath,
  assertCommand,
  assertContainerOptions,
  assertExecOptions,
  assertFileTransfers,
  assertNonEmptyString,
  assertOptionalNumber,
  assertOptionalStringRecord,
  assertPort,
  assertStartOptions,
  assertUser,
  type SupportedOptions,
} from './validation.js';
