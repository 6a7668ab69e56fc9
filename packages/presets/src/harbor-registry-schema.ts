import { RegistryFormatError } from './errors/registry-format-error.js';
import type { PresetTask } from './preset.js';
import { presetNamePattern } from './preset-name.js';

/** One task of a Harbor dataset: a folder of a git repository at a commit. */
export interface HarborTask extends PresetTask {
  /** The task's name (`name` in the registry). */
  readonly name: string;
  /** The repository holding the task (`git_url`): any URL git accepts, `file://` included. */
  readonly gitUrl: string;
  /**
   * The commit, branch or tag to check out (`git_commit_id`); `undefined` when the registry
   * gives none, meaning the repository's HEAD. The real registry also uses `"HEAD"` and short ids.
   */
  readonly gitCommitId: string | undefined;
  /** The task's folder inside the repository (`path`): relative, `/`-separated, no `..`. */
  readonly path: string;
}

/** One dataset of a Harbor registry (a `DatasetSpec` in Harbor). */
export interface HarborDataset {
  /** The dataset's name, e.g. `terminal-bench`. */
  readonly name: string;
  /** Its version, e.g. `2.0`, `parity`, `head`. */
  readonly version: string;
  /** Its description; `''` when the registry gives none. */
  readonly description: string;
  /** Its tasks, in registry order. */
  readonly tasks: readonly HarborTask[];
  /** Harbor's metric configurations, kept as they are (not interpreted here); `[]` when absent. */
  readonly metrics: readonly unknown[];
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing (the field is missing)';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return value === '' ? 'an empty string' : `the string ${JSON.stringify(value)}`;
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

/** Refs git could read as an option must never reach its command line. */
const commitPattern = /^[A-Za-z0-9._/^~-]+$/;

/**
 * Validates parsed JSON as a Harbor registry: an array of
 * `{ name, version, description?, tasks: [{ name, git_url, git_commit_id?, path }], metrics? }`.
 * Unknown fields are ignored, so newer registries still load.
 *
 * Name and version must use the preset-name characters (`^[a-zA-Z0-9_./-]+$`), since they form
 * preset names; `git_url` and `git_commit_id` must not start with `-` (git would read an option);
 * `path` must be relative with no `..` segment.
 * @param source names the registry in error messages (a path or URL).
 * @throws RegistryFormatError naming the dataset (name, version and position) and the field.
 */
export function parseHarborRegistry(json: unknown, source = 'registry'): HarborDataset[] {
  if (!Array.isArray(json)) {
    throw new RegistryFormatError({
      source,
      field: '(registry)',
      detail: `expected a JSON array of datasets, got ${describe(json)}`,
    });
  }
  return json.map((entry: unknown, entryIndex) => parseDataset(entry, entryIndex, source));
}

function parseDataset(entry: unknown, entryIndex: number, source: string): HarborDataset {
  let dataset: string | undefined;
  const fail = (field: string, detail: string): never => {
    throw new RegistryFormatError({ source, entryIndex, dataset, field, detail });
  };
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    return fail('(entry)', `expected a dataset object, got ${describe(entry)}`);
  }
  const e = entry as Record<string, unknown>;
  const name = e.name;
  if (typeof name === 'string' && name !== '') dataset = JSON.stringify(name);
  if (typeof name !== 'string' || name === '')
    return fail('name', `expected a non-empty string, got ${describe(name)}`);
  const version = e.version;
  if (typeof version !== 'string' || version === '')
    return fail('version', `expected a non-empty string, got ${describe(version)}`);
  dataset = JSON.stringify(`${name}@${version}`);
  if (!presetNamePattern.test(name))
    fail('name', `${JSON.stringify(name)} has characters a preset name cannot hold (allowed: ${presetNamePattern})`);
  if (!presetNamePattern.test(version)) {
    fail(
      'version',
      `${JSON.stringify(version)} has characters a preset name cannot hold (allowed: ${presetNamePattern})`,
    );
  }
  const description = e.description ?? '';
  if (typeof description !== 'string') fail('description', `expected a string, got ${describe(description)}`);
  const metrics = e.metrics ?? [];
  if (!Array.isArray(metrics)) fail('metrics', `expected an array, got ${describe(metrics)}`);
  if (!Array.isArray(e.tasks)) return fail('tasks', `expected an array of tasks, got ${describe(e.tasks)}`);

  const tasks = e.tasks.map((task: unknown, taskIndex): HarborTask => {
    const at = `tasks[${taskIndex}]`;
    if (typeof task !== 'object' || task === null || Array.isArray(task)) {
      return fail(at, `expected a task object, got ${describe(task)}`);
    }
    const t = task as Record<string, unknown>;
    for (const field of ['name', 'git_url', 'path'] as const) {
      const value = t[field];
      if (typeof value !== 'string' || value === '')
        fail(`${at}.${field}`, `expected a non-empty string, got ${describe(value)}`);
      if ((value as string).includes('\0')) fail(`${at}.${field}`, 'contains a NUL byte');
    }
    const gitUrl = t.git_url as string;
    if (gitUrl.startsWith('-'))
      fail(`${at}.git_url`, `${JSON.stringify(gitUrl)} starts with "-", which git would read as an option`);
    const commit = t.git_commit_id ?? undefined;
    if (commit !== undefined && (typeof commit !== 'string' || !commitPattern.test(commit) || commit.startsWith('-'))) {
      fail(`${at}.git_commit_id`, `expected a commit id, branch or tag (or null), got ${describe(commit)}`);
    }
    const path = t.path as string;
    const segments = path.split('/');
    if (path.startsWith('/') || path.includes('\\') || segments.includes('..')) {
      fail(
        `${at}.path`,
        `${JSON.stringify(path)} must be a relative "/"-separated path inside the repository, without ".."`,
      );
    }
    const normalized = segments.filter((segment) => segment !== '' && segment !== '.').join('/');
    if (normalized === '')
      fail(`${at}.path`, `${JSON.stringify(path)} names the repository root; a task is a folder inside it`);
    return { name: t.name as string, gitUrl, gitCommitId: commit as string | undefined, path: normalized };
  });
  return { name, version, description: description as string, tasks, metrics: metrics as unknown[] };
}
