import {
  type AdminResource,
  assertNonEmptyString,
  assertOptionalNumber,
  type BackendAdmin,
  BackendUnavailableError,
  describeOwner,
  InvalidArgumentError,
  type ListResourcesOptions,
  matchesListOptions,
  ownerFromLabels,
  type PruneResourcesOptions,
  pruneResources,
  type ResourceOwner,
  snapboxLabels,
  userLabels,
} from '@snapbox/core';
import { canList, type DaytonaAdminClient, type DaytonaListedSandbox } from './admin-client-types.js';
import { credentialsConfigured } from './admin-credentials.js';
import type { DaytonaClient, DaytonaClientConfig } from './client-types.js';
import { DaytonaConnection } from './connection.js';
import { toSnapboxError } from './error-mapping.js';
import { deleteSandboxById, deleteSnapshotByName } from './remote-cleanup.js';
import { type DaytonaRetryOptions, defaultRetryPolicy } from './retry.js';

/** Options of {@link createDaytonaAdmin}: how to reach the service, as for `createDaytonaFactory`. */
export interface DaytonaAdminOptions extends DaytonaClientConfig {
  /** An already constructed client (`new Daytona(...)`, or a fake in tests). Default: one made from the configuration. */
  client?: DaytonaClient;
  /** Retries of transient failures (HTTP 429/502/503/504, dropped connections). */
  retry?: DaytonaRetryOptions;
}

/** `snapbox-<session>-<n>` or `snapbox-<session>-keep-<n>`: the names the backend gives snapshots. */
const snapshotName = /^snapbox-([0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12})-(keep-)?[0-9]+$/;
const snapshotPageSize = 100;

function createdAtOf(labels: Record<string, string>, createdAt: string | undefined): Date {
  const labelled = Number(labels[snapboxLabels.createdAt]);
  return Number.isFinite(labelled) ? new Date(labelled) : new Date(createdAt ?? 0);
}

/**
 * The admin interface of the Daytona backend, for `snapbox ls` and `snapbox prune` (and any
 * program that lists or prunes through core's `BackendAdmin`): the sandboxes that carry
 * snapbox's labels, and the snapshots named as this backend names them (`snapbox-<session>-...`).
 *
 * Daytona snapshots carry no labels, so what a snapshot says of its owner is the session in its
 * name: its owner process (and so whether it is `dead`) is known only while a sandbox of that
 * session is there; otherwise it is `unknown`, pruned only with `olderThanMs` or `allSessions`.
 * For the same reason a snapshot has no `labels` (no Go-Explore run id) and no lineage.
 *
 * No I/O here. `describeTarget().configured` is false when no credentials are found (see
 * `createDaytonaFactory`), so that the CLI skips a Daytona backend installed but not used.
 * @throws InvalidArgumentError for a malformed option.
 */
export function createDaytonaAdmin(options: DaytonaAdminOptions = {}): BackendAdmin {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError({ argument: 'options', message: 'expected an object or undefined' });
  }
  for (const key of ['apiKey', 'apiUrl', 'target'] as const) {
    if (options[key] !== undefined) assertNonEmptyString(options[key], `options.${key}`);
  }
  assertOptionalNumber(options.retry?.attempts, 'options.retry.attempts', { min: 1, integer: true });
  const config: DaytonaClientConfig = {};
  if (options.apiKey !== undefined) config.apiKey = options.apiKey;
  if (options.apiUrl !== undefined) config.apiUrl = options.apiUrl;
  if (options.target !== undefined) config.target = options.target;
  const retry = { ...defaultRetryPolicy };
  for (const [key, value] of Object.entries(options.retry ?? {})) {
    if (value !== undefined) retry[key as keyof typeof retry] = value;
  }
  // Only the connection's client, retries and endpoint are used: nothing is created here.
  const connection = new DaytonaConnection({
    config,
    client: options.client,
    retry,
    createTimeoutSeconds: 300,
    snapshotTimeoutSeconds: 600,
    pollIntervalMs: 1000,
    autoStopMinutes: undefined,
    cleanupOnExit: false,
    syncTimeoutMs: 120_000,
    syncClientModule: undefined,
  });
  const endpoint = () => connection.endpoint;
  const attempt = <T>(idempotent: boolean, call: () => Promise<T>) => connection.attempt(idempotent, call);

  async function client(): Promise<DaytonaAdminClient> {
    const found = await connection.client();
    if (!canList(found)) {
      throw new BackendUnavailableError({
        backend: 'daytona',
        endpoint: endpoint(),
        detail: 'the installed @daytonaio/sdk cannot list sandboxes and snapshots; upgrade it (0.218.0 or later)',
      });
    }
    return found;
  }

  async function sandboxes(daytona: DaytonaAdminClient): Promise<DaytonaListedSandbox[]> {
    const found: DaytonaListedSandbox[] = [];
    try {
      for await (const sandbox of daytona.list({ labels: { [snapboxLabels.managed]: 'true' } })) {
        // The service filters by label; checked again, since nothing without it is ever touched.
        if (sandbox.labels?.[snapboxLabels.managed] === 'true') found.push(sandbox);
      }
    } catch (error) {
      throw toSnapboxError(error, { operation: 'list sandboxes', endpoint: endpoint() });
    }
    return found;
  }

  async function snapshots(daytona: DaytonaAdminClient, owners: Map<string, ResourceOwner>): Promise<AdminResource[]> {
    const found: AdminResource[] = [];
    for (let page = 1; ; page++) {
      const answer = await connection.call({ operation: 'list snapshots', endpoint: endpoint() }, true, () =>
        daytona.snapshot.list({ page, limit: snapshotPageSize }),
      );
      for (const snapshot of answer.items) {
        const parts = snapshotName.exec(snapshot.name);
        if (parts === null) continue;
        const session = parts[1] as string;
        found.push({
          backend: 'daytona',
          kind: 'snapshot',
          id: snapshot.name,
          // Only what is out of the ordinary: `active` is what every usable snapshot is.
          state: snapshot.state === 'active' ? undefined : snapshot.state,
          owner: owners.get(session) ?? describeOwner({ session }),
          createdAt: new Date(snapshot.createdAt),
          keep: parts[2] !== undefined,
          labels: {},
        });
      }
      if (answer.items.length === 0 || page >= answer.totalPages) return found;
    }
  }

  async function list(listOptions: ListResourcesOptions = {}): Promise<AdminResource[]> {
    const wants = (kind: AdminResource['kind']) => listOptions.kinds?.includes(kind) ?? true;
    if (!wants('container') && !wants('snapshot')) return [];
    const daytona = await client();
    // Sandboxes are listed for snapshots too: they are what tells a session's owner.
    const listed = await sandboxes(daytona);
    const owners = new Map<string, ResourceOwner>();
    const containers: AdminResource[] = [];
    for (const sandbox of listed) {
      const owner = ownerFromLabels(sandbox.labels);
      if (!owners.has(owner.session)) owners.set(owner.session, owner);
      if (sandbox.labels[snapboxLabels.kind] !== 'container') continue;
      containers.push({
        backend: 'daytona',
        kind: 'container',
        id: sandbox.id,
        name: sandbox.name,
        state: sandbox.state,
        owner,
        createdAt: createdAtOf(sandbox.labels, sandbox.createdAt),
        parentSnapshot: sandbox.labels[snapboxLabels.parentSnapshot],
        labels: userLabels(sandbox.labels),
      });
    }
    const resources = [
      ...(wants('container') ? containers : []),
      ...(wants('snapshot') ? await snapshots(daytona, owners) : []),
    ];
    return resources.filter((resource) => matchesListOptions(resource, listOptions));
  }

  async function remove(resource: AdminResource): Promise<void> {
    const daytona = await client();
    const operation =
      resource.kind === 'container' ? `delete sandbox ${resource.id}` : `delete snapshot ${resource.id}`;
    try {
      if (resource.kind === 'container') await deleteSandboxById(daytona, resource.id, attempt);
      else if (resource.kind === 'snapshot' && snapshotName.test(resource.id))
        await deleteSnapshotByName(daytona, resource.id, attempt);
    } catch (error) {
      throw toSnapboxError(error, { operation, endpoint: endpoint() });
    }
  }

  return {
    backend: 'daytona',
    describeTarget() {
      const configured = options.client !== undefined || credentialsConfigured(config);
      return configured
        ? { description: endpoint() }
        : {
            description: endpoint(),
            configured: false,
            hint: 'set DAYTONA_API_KEY, or DAYTONA_JWT_TOKEN and DAYTONA_ORGANIZATION_ID',
          };
    },
    list,
    prune: (pruneOptions: PruneResourcesOptions = {}) =>
      pruneResources(pruneOptions, { backend: 'daytona', list, remove }),
  };
}
