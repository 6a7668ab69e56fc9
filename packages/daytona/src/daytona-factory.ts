import {
  assertNonEmptyString,
  assertOptionalNumber,
  type ContainerOptions,
  InvalidArgumentError,
  type SnapshotableContainerFactory,
} from '@snapbox/core';
import type { DaytonaClient, DaytonaClientConfig } from './client-types.js';
import { DaytonaConnection } from './connection.js';
import { type DaytonaContainer, type DaytonaContainerExtras, newDaytonaContainer } from './daytona-container.js';
import { type DaytonaRetryOptions, defaultRetryPolicy } from './retry.js';

/** Options of {@link createDaytonaFactory}. Every field is optional. */
export interface DaytonaFactoryOptions extends DaytonaClientConfig {
  /**
   * An already constructed client (`new Daytona(...)` from `@daytonaio/sdk`, or a fake in
   * tests). Default: one is constructed from `apiKey`, `apiUrl` and `target`, whose unset
   * fields the SDK reads from `DAYTONA_API_KEY`, `DAYTONA_API_URL` and `DAYTONA_TARGET`.
   * The synchronous methods (`stopAndRemoveSync`, `deleteSnapshotSync`, the cleanup at exit)
   * run in a child process and always construct their own client from that configuration.
   */
  client?: DaytonaClient;
  /** Retries of transient failures (HTTP 429/502/503/504, dropped connections). */
  retry?: DaytonaRetryOptions;
  /** Seconds a sandbox may take to be created and started (image builds included). Default 300. */
  createTimeoutSeconds?: number;
  /** Seconds a snapshot may take until it is restorable. Default 600. */
  snapshotTimeoutSeconds?: number;
  /** How often to ask whether a new snapshot is ready, in ms. Default 1000. */
  pollIntervalMs?: number;
  /**
   * Minutes of inactivity after which Daytona stops a sandbox (0 = never); a stopped sandbox
   * is then deleted. Default: Daytona's (15 minutes). This is also what removes the sandboxes
   * of a process killed with SIGKILL, which no exit hook can catch.
   */
  autoStopMinutes?: number;
  /**
   * Remove, when the process exits, the sandboxes still running and the session-scoped
   * snapshots still present. Default `true`.
   */
  cleanupOnExit?: boolean;
  /** Milliseconds a synchronous deletion may block. Default 120 000. */
  syncTimeoutMs?: number;
  /**
   * For tests of the synchronous paths: an absolute path to a module whose
   * `createClient(config)` export the cleanup worker process uses instead of the SDK.
   */
  syncClientModule?: string;
}

/**
 * A factory of {@link DaytonaContainer}s; see {@link createDaytonaFactory}. Its methods take the
 * contract's options plus {@link DaytonaContainerExtras} (a network allow-list).
 */
export interface DaytonaFactory extends SnapshotableContainerFactory<DaytonaContainer> {
  /** Always `'daytona'`, the `backend` of every container it makes. */
  readonly backend: 'daytona';
  /** A sandbox from an image reference. */
  fromImage(options: { image: string } & ContainerOptions & DaytonaContainerExtras): DaytonaContainer;
  /** A sandbox from the image Daytona builds from a Dockerfile (its folder is the context). */
  fromDockerfile(options: { dockerfilePath: string } & ContainerOptions & DaytonaContainerExtras): DaytonaContainer;
  /** A sandbox restored from a snapshot of this backend. */
  fromSnapshot(options: { snapshotId: string } & ContainerOptions & DaytonaContainerExtras): DaytonaContainer;
}

function assertOptionalString(value: unknown, argument: string): void {
  if (value !== undefined) assertNonEmptyString(value, argument);
}

/**
 * Creates containers that run as Daytona sandboxes. No I/O happens here, nor when a container
 * is created: the SDK (`@daytonaio/sdk`, an optional peer dependency) is loaded and the service
 * contacted by the first `start()`.
 *
 * ```ts
 * const daytona = createDaytonaFactory(); // DAYTONA_API_KEY from the environment
 * await using box = daytona.fromImage({ image: 'debian:12', resources: { cpu: 2, memoryMiB: 4096 } });
 * await box.start();
 * const snapshot = await box.snapshot();
 * ```
 * @throws InvalidArgumentError for a malformed option.
 */
export function createDaytonaFactory(options: DaytonaFactoryOptions = {}): DaytonaFactory {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError({ argument: 'options', message: 'expected an object or undefined' });
  }
  assertOptionalString(options.apiKey, 'options.apiKey');
  assertOptionalString(options.apiUrl, 'options.apiUrl');
  assertOptionalString(options.target, 'options.target');
  assertOptionalString(options.syncClientModule, 'options.syncClientModule');
  if (options.client !== undefined && (typeof options.client !== 'object' || options.client === null)) {
    throw new InvalidArgumentError({ argument: 'options.client', message: 'expected a Daytona client object' });
  }
  assertOptionalNumber(options.createTimeoutSeconds, 'options.createTimeoutSeconds', { min: 0, exclusive: true });
  assertOptionalNumber(options.snapshotTimeoutSeconds, 'options.snapshotTimeoutSeconds', { min: 0, exclusive: true });
  assertOptionalNumber(options.pollIntervalMs, 'options.pollIntervalMs', { min: 0 });
  assertOptionalNumber(options.autoStopMinutes, 'options.autoStopMinutes', { min: 0, integer: true });
  assertOptionalNumber(options.syncTimeoutMs, 'options.syncTimeoutMs', { min: 0, exclusive: true });
  assertOptionalNumber(options.retry?.attempts, 'options.retry.attempts', { min: 1, integer: true });
  assertOptionalNumber(options.retry?.baseDelayMs, 'options.retry.baseDelayMs', { min: 0 });
  assertOptionalNumber(options.retry?.maxDelayMs, 'options.retry.maxDelayMs', { min: 0 });

  const config: DaytonaClientConfig = {};
  if (options.apiKey !== undefined) config.apiKey = options.apiKey;
  if (options.apiUrl !== undefined) config.apiUrl = options.apiUrl;
  if (options.target !== undefined) config.target = options.target;
  const connection = new DaytonaConnection({
    config,
    client: options.client,
    retry: { ...defaultRetryPolicy, ...stripUndefined(options.retry ?? {}) },
    createTimeoutSeconds: options.createTimeoutSeconds ?? 300,
    snapshotTimeoutSeconds: options.snapshotTimeoutSeconds ?? 600,
    pollIntervalMs: options.pollIntervalMs ?? 1000,
    autoStopMinutes: options.autoStopMinutes,
    cleanupOnExit: options.cleanupOnExit ?? true,
    syncTimeoutMs: options.syncTimeoutMs ?? 120_000,
    syncClientModule: options.syncClientModule,
  });

  return {
    backend: 'daytona',
    fromImage(imageOptions) {
      const { image, ...rest } = objectArgument(imageOptions);
      assertNonEmptyString(image, 'image');
      return newDaytonaContainer(connection, { kind: 'image', image }, rest);
    },
    fromDockerfile(dockerfileOptions) {
      const { dockerfilePath, ...rest } = objectArgument(dockerfileOptions);
      assertNonEmptyString(dockerfilePath, 'dockerfilePath');
      return newDaytonaContainer(connection, { kind: 'dockerfile', dockerfilePath }, rest);
    },
    fromSnapshot(snapshotOptions) {
      const { snapshotId, ...rest } = objectArgument(snapshotOptions);
      assertNonEmptyString(snapshotId, 'snapshotId');
      return newDaytonaContainer(connection, { kind: 'snapshot', snapshotId }, rest);
    },
  };
}

function objectArgument<T>(value: T): T {
  if (typeof value !== 'object' || value === null) {
    throw new InvalidArgumentError({ argument: 'options', message: 'expected an object' });
  }
  return value;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}
