import { BackendUnavailableError } from '@snapbox/core';
import type { DaytonaClient, DaytonaClientConfig, DaytonaSdkModule } from './client-types.js';
import { daytonaLog as log } from './debug-logs.js';
import { type ErrorContext, toSnapboxError } from './error-mapping.js';
import { type RetryPolicy, withRetry } from './retry.js';
import { messageOf } from './sdk-error-info.js';
import { loadDaytonaSdk } from './sdk-loader.js';
import type { SyncConnectionSpec } from './sync-protocol.js';

/** Everything a factory was configured with, defaults filled in. */
export interface ConnectionSettings {
  config: DaytonaClientConfig;
  client: DaytonaClient | undefined;
  retry: RetryPolicy;
  createTimeoutSeconds: number;
  snapshotTimeoutSeconds: number;
  pollIntervalMs: number;
  autoStopMinutes: number | undefined;
  cleanupOnExit: boolean;
  syncTimeoutMs: number;
  syncClientModule: string | undefined;
}

/**
 * One factory's link to the service, shared by every container it makes: the lazily loaded SDK
 * and client, the retry policy, and what the synchronous cleanup worker needs to reconnect.
 */
export class DaytonaConnection {
  readonly settings: ConnectionSettings;
  readonly #importSdk: (() => Promise<DaytonaSdkModule>) | undefined;
  #sdk: Promise<DaytonaSdkModule> | undefined;
  #client: Promise<DaytonaClient> | undefined;

  constructor(settings: ConnectionSettings, importSdk?: () => Promise<DaytonaSdkModule>) {
    this.settings = settings;
    this.#importSdk = importSdk;
  }

  /** The API URL requests go to, for messages (the SDK's default when none is configured). */
  get endpoint(): string {
    return this.settings.config.apiUrl ?? process.env.DAYTONA_API_URL ?? 'https://app.daytona.io/api';
  }

  /** The SDK module, imported on first use. */
  sdk(): Promise<DaytonaSdkModule> {
    this.#sdk ??= loadDaytonaSdk(this.#importSdk).catch((error: unknown) => {
      this.#sdk = undefined;
      throw error;
    });
    return this.#sdk;
  }

  /** The client given to the factory, or one constructed from the configuration on first use. */
  client(): Promise<DaytonaClient> {
    if (this.settings.client !== undefined) return Promise.resolve(this.settings.client);
    this.#client ??= this.sdk()
      .then((sdk) => {
        try {
          return new sdk.Daytona({ ...this.settings.config });
        } catch (error) {
          throw new BackendUnavailableError({
            backend: 'daytona',
            endpoint: this.endpoint,
            detail: `could not create the Daytona client (${messageOf(error)}); set DAYTONA_API_KEY or pass apiKey to createDaytonaFactory`,
            cause: error,
          });
        }
      })
      .catch((error: unknown) => {
        // A later call may succeed once the environment is fixed.
        this.#client = undefined;
        throw error;
      });
    return this.#client;
  }

  /** Runs an SDK call with retries; failures are rethrown as they came (see `call` for mapped ones). */
  attempt<T>(idempotent: boolean, call: () => Promise<T>, label = 'a Daytona call'): Promise<T> {
    return withRetry(call, { idempotent, policy: this.settings.retry, label });
  }

  /** Runs an SDK call with retries; failures become snapbox errors per `context`. */
  async call<T>(context: ErrorContext, idempotent: boolean, call: () => Promise<T>): Promise<T> {
    const label = context.container === undefined ? context.operation : `${context.operation} (${context.container})`;
    const started = Date.now();
    try {
      const result = await this.attempt(idempotent, call, label);
      log('%s: ok in %d ms', label, Date.now() - started);
      return result;
    } catch (error) {
      const mapped = toSnapboxError(error, { endpoint: this.endpoint, ...context });
      log('%s: %s after %d ms', label, mapped.code, Date.now() - started);
      throw mapped;
    }
  }

  /** What the synchronous cleanup worker needs to reach the same service. */
  get syncSpec(): SyncConnectionSpec {
    return {
      config: this.settings.config,
      clientModule: this.settings.syncClientModule,
      retry: this.settings.retry,
      timeoutMs: this.settings.syncTimeoutMs,
    };
  }
}
