import {
  BackendUnavailableError,
  ImageBuildError,
  ImageNotFoundError,
  RemotePathNotFoundError,
  SnapboxError,
  SnapshotNotFoundError,
} from '@snapbox/core';
import { QuotaExceededError } from './quota-exceeded-error.js';
import { attemptsMade } from './retry.js';
import { isConnectionFailure, isNotFound, messageOf, nameOf, statusOf } from './sdk-error-info.js';

/** What was being done when an SDK call failed; it decides which snapbox error a 404 becomes. */
export interface ErrorContext {
  /** A verb phrase: `start`, `exec`, `snapshot`, `delete snapshot`, ... */
  operation: string;
  /** The container's name, for the message. */
  container?: string | undefined;
  /** Set when the call reads a snapshot: a 404 then means the snapshot is gone. */
  snapshotId?: string;
  /** Set when the call reads a path in the sandbox: a 404 then means the path is missing. */
  remotePath?: string;
  /** Set when the call starts from an image: a 404 or pull failure means the image is missing. */
  image?: string;
  /** Set when the call builds a Dockerfile: a build failure becomes `ImageBuildError`. */
  dockerfilePath?: string;
  /** The tail of the build log, for `ImageBuildError`. */
  buildLog?: string;
  /** The API URL, for `BackendUnavailableError`. */
  endpoint?: string | undefined;
  /**
   * Set when the call waits for the service to finish an operation (create, snapshot) within
   * this many seconds: the SDK's timeout then means "too slow", not "unreachable".
   */
  timeoutSeconds?: number;
}

const quotaPattern =
  /quota|limit (?:exceeded|reached)|exceeds? (?:the |your )?(?:\w+ )?limit|maximum number of|insufficient (?:resources|credits|balance)/i;
const pullFailurePattern = /pull|manifest|not found|does not exist|no such image|repository|unauthorized|denied/i;
const buildFailurePattern = /build_failed|build failed|failed to build|error building/i;

/**
 * Turns whatever the SDK threw into a snapbox error, keeping it as `cause`. Never lets a bare
 * SDK error or an HTTP status escape the public API.
 *
 * | SDK failure | snapbox error |
 * | --- | --- |
 * | a quota / account-limit refusal (any 4xx whose message says so) | `QuotaExceededError` |
 * | the SDK's own operation timeout (create, snapshot) | `SnapboxError` `DAYTONA_TIMEOUT` |
 * | 401, 403 | `BackendUnavailableError` (credentials refused) |
 * | no connection, reset, transport timeout; 429, 502, 503, 504 after the retries | `BackendUnavailableError` |
 * | 404 / 410 while reading a snapshot | `SnapshotNotFoundError` |
 * | 404 / 410 while reading a path in the sandbox | `RemotePathNotFoundError` |
 * | 404 or a pull failure while starting from an image | `ImageNotFoundError` |
 * | a build failure while building a Dockerfile | `ImageBuildError` |
 * | any other 404 / 410 | `SnapboxError` `DAYTONA_NOT_FOUND` |
 * | 409 | `SnapboxError` `DAYTONA_CONFLICT` |
 * | 400, 422 | `SnapboxError` `DAYTONA_REQUEST_REJECTED` |
 * | 500 and anything else | `SnapboxError` `DAYTONA_ERROR` |
 */
export function toSnapboxError(error: unknown, context: ErrorContext): SnapboxError {
  if (SnapboxError.isInstance(error)) return error;
  const status = statusOf(error);
  const message = messageOf(error);
  const attempts = attemptsMade(error);
  const where = context.container === undefined ? '' : ` (container ${context.container})`;
  const said = `${status === undefined ? '' : `HTTP ${status}: `}${message}`;

  if (status !== undefined && status >= 400 && status < 500 && status !== 429 && quotaPattern.test(message)) {
    return new QuotaExceededError({ operation: context.operation, detail: said, cause: error });
  }
  if (context.timeoutSeconds !== undefined && status === undefined && nameOf(error) === 'DaytonaTimeoutError') {
    return new SnapboxError('DAYTONA_TIMEOUT', {
      message: `Daytona did not finish the request to ${context.operation}${where} within ${context.timeoutSeconds} s (${message}); raise the timeout in createDaytonaFactory, or try again.`,
      cause: error,
    });
  }
  if (status === 401 || status === 403 || nameOf(error) === 'DaytonaAuthenticationError') {
    return new BackendUnavailableError({
      backend: 'daytona',
      endpoint: context.endpoint,
      detail: `the service refused the credentials while trying to ${context.operation}${where} (${said}); set DAYTONA_API_KEY or pass apiKey to createDaytonaFactory`,
      cause: error,
    });
  }
  if (isConnectionFailure(error) || status === 429 || status === 502 || status === 503 || status === 504) {
    const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
    return new BackendUnavailableError({
      backend: 'daytona',
      endpoint: context.endpoint,
      detail: `could not ${context.operation}${where}${tries} (${said}); the service is unreachable or overloaded, try again later`,
      cause: error,
    });
  }
  if (context.dockerfilePath !== undefined && (buildFailurePattern.test(message) || isNotFound(error))) {
    return new ImageBuildError({
      dockerfilePath: context.dockerfilePath,
      detail: said,
      logTail: context.buildLog ?? '',
      cause: error,
    });
  }
  if (
    context.image !== undefined &&
    (isNotFound(error) || pullFailurePattern.test(message) || buildFailurePattern.test(message))
  ) {
    return new ImageNotFoundError({ image: context.image, detail: said, cause: error });
  }
  if (isNotFound(error)) {
    if (context.snapshotId !== undefined)
      return new SnapshotNotFoundError({ snapshotId: context.snapshotId, cause: error });
    if (context.remotePath !== undefined) {
      return new RemotePathNotFoundError({
        remotePath: context.remotePath,
        container: context.container,
        cause: error,
      });
    }
    return new SnapboxError('DAYTONA_NOT_FOUND', {
      message: `Could not ${context.operation}${where}: ${said}`,
      cause: error,
    });
  }
  if (status === 409) {
    return new SnapboxError('DAYTONA_CONFLICT', {
      message: `Could not ${context.operation}${where}: the service reports a conflict with the current state (${said}).`,
      cause: error,
    });
  }
  if (status === 400 || status === 422) {
    return new SnapboxError('DAYTONA_REQUEST_REJECTED', {
      message: `Daytona rejected the request to ${context.operation}${where} (${said}).`,
      cause: error,
    });
  }
  return new SnapboxError('DAYTONA_ERROR', {
    message: `Could not ${context.operation}${where}: ${said}`,
    cause: error,
  });
}
