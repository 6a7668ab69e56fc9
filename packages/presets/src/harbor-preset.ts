import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { Container, ContainerFactory, ContainerOptions } from '@snapbox/core';
import { hasErrorMarker } from '@snapbox/core';
import { TaskFetchError } from './errors/task-fetch-error.js';
import type { HarborDataset, HarborTask } from './harbor-registry-schema.js';
import { type FetchHarborTaskOptions, fetchHarborTask } from './harbor-task-fetch.js';
import type { PresetSpec } from './preset.js';

const marker = Symbol.for('snapbox.preset.HarborPreset');

/** Options of {@link HarborPreset.createContainer}: the container's options plus how to fetch the task. */
export interface HarborContainerOptions extends ContainerOptions {
  /** How to fetch the task's folder; overrides the preset's own fetch options field by field. */
  fetch?: FetchHarborTaskOptions;
}

/** Sorts object keys so that two equal values always serialise the same way. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    typeof inner === 'object' && inner !== null && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
}

/**
 * The content of a dataset that decides whether two entries are the same: description, tasks
 * (with every field) and metrics, not the position in the file. Two entries with the same name,
 * version and fingerprint are exact duplicates.
 */
export function harborDatasetFingerprint(dataset: HarborDataset): string {
  return canonicalJson([dataset.description, dataset.tasks, dataset.metrics]);
}

/**
 * A Harbor dataset as a preset, optionally tied to one agent (the `<id>-<agent>` presets).
 * Its tasks are the dataset's, in registry order; `createContainer` fetches the task's folder and
 * builds its `environment/Dockerfile` with any `ContainerFactory`. No I/O happens in the
 * constructor.
 */
export class HarborPreset implements PresetSpec<HarborTask> {
  /** The dataset this preset was made from. */
  readonly dataset: HarborDataset;
  /** The agent named in the preset's id (`tbench-2.0-terminus` → `terminus`), if any. */
  readonly agent: string | undefined;
  /** Default options for fetching this preset's tasks. */
  readonly fetchOptions: FetchHarborTaskOptions;
  /** See {@link harborDatasetFingerprint}; equal presets are registered once. */
  readonly fingerprint: string;

  constructor(options: { dataset: HarborDataset; agent?: string; fetch?: FetchHarborTaskOptions }) {
    this.dataset = options.dataset;
    this.agent = options.agent;
    this.fetchOptions = { ...options.fetch };
    this.fingerprint = harborDatasetFingerprint(options.dataset);
    Object.defineProperty(this, marker, { value: true });
  }

  /** True for a `HarborPreset`, including one created by another copy of this package. */
  static isInstance(value: unknown): value is HarborPreset {
    return hasErrorMarker(value, marker);
  }

  /** The dataset's description. */
  get description(): string {
    return this.dataset.description;
  }

  /** The dataset's tasks. */
  get tasks(): readonly HarborTask[] {
    return this.dataset.tasks;
  }

  /**
   * Fetches a task's folder (git sparse checkout at its commit, cached); see {@link fetchHarborTask}.
   * @returns the folder's absolute path.
   * @throws TaskFetchError when it cannot be fetched.
   */
  fetchTask(task: HarborTask, options?: FetchHarborTaskOptions): Promise<string> {
    return fetchHarborTask(task, { ...this.fetchOptions, ...options });
  }

  /**
   * Fetches `task` and returns a `created` container built from its `environment/Dockerfile`
   * (`factory.fromDockerfile`, with the rest of `options` passed through). The image is built
   * when the caller starts the container.
   * @throws TaskFetchError when the task cannot be fetched or has no `environment/Dockerfile`.
   * @throws InvalidArgumentError from the factory for bad container options.
   */
  async createContainer<C extends Container>(
    task: HarborTask,
    factory: ContainerFactory<C>,
    options: HarborContainerOptions = {},
  ): Promise<C> {
    const { fetch, ...containerOptions } = options;
    const folder = await this.fetchTask(task, fetch);
    const dockerfilePath = join(folder, 'environment', 'Dockerfile');
    try {
      await access(dockerfilePath);
    } catch (error) {
      throw new TaskFetchError({
        task: task.name,
        gitUrl: task.gitUrl,
        commit: task.gitCommitId,
        path: task.path,
        detail: `the task has no environment/Dockerfile (looked for ${dockerfilePath})`,
        cause: error,
      });
    }
    return factory.fromDockerfile({ ...containerOptions, dockerfilePath });
  }
}
