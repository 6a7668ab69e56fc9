import { RegistryFormatError, type RegistryProblem } from './errors/registry-format-error.js';
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
 *
 * Every entry is checked before anything is thrown, so one error lists every problem of the
 * registry, not only the first.
 * @param source names the registry in error messages (a path or URL).
 * @throws RegistryFormatError listing every problem (`problems`), each naming the dataset (name,
 *   version and position) and the field; or one whole-file problem when `json` is not an array.
 */
export function parseHarborRegistry(json: unknown, source = 'registry'): HarborDataset[] {
  if (!Array.isArray(json)) {
    throw new RegistryFormatError({
      source,
      problems: [
        {
          entryIndex: undefined,
          dataset: undefined,
          field: '(registry)',
          detail: `expected a JSON array of datasets, got ${describe(json)}`,
        },
      ],
    });
  }
  const problems: RegistryProblem[] = [];
  const datasets = json.map((entry: unknown, entryIndex) => parseDataset(entry, entryIndex, problems));
  if (problems.length > 0) throw new RegistryFormatError({ source, problems });
  return datasets as HarborDataset[];
}

const isNonEmptyString = (value: unknown): value is string => typeof value === 'string' && value !== '';

/** The dataset, or `undefined` when it has problems (all of them pushed to `problems`). */
function parseDataset(entry: unknown, entryIndex: number, problems: RegistryProblem[]): HarborDataset | undefined {
  const before = problems.length;
  let dataset: string | undefined;
  const fail = (field: string, detail: string): undefined => {
    problems.push({ entryIndex, dataset, field, detail });
    return undefined;
  };
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    return fail('(entry)', `expected a dataset object, got ${describe(entry)}`);
  }
  const e = entry as Record<string, unknown>;
  const { name, version } = e;
  if (isNonEmptyString(name)) dataset = JSON.stringify(isNonEmptyString(version) ? `${name}@${version}` : name);
  if (!isNonEmptyString(name)) fail('name', `expected a non-empty string, got ${describe(name)}`);
  else if (!presetNamePattern.test(name)) {
    fail('name', `${JSON.stringify(name)} has characters a preset name cannot hold (allowed: ${presetNamePattern})`);
  }
  if (!isNonEmptyString(version)) fail('version', `expected a non-empty string, got ${describe(version)}`);
  else if (!presetNamePattern.test(version)) {
    fail(
      'version',
      `${JSON.stringify(version)} has characters a preset name cannot hold (allowed: ${presetNamePattern})`,
    );
  }
  const description = e.description ?? '';
  if (typeof description !== 'string') fail('description', `expected a string, got ${describe(description)}`);
  const metrics = e.metrics ?? [];
  if (!Array.isArray(metrics)) fail('metrics', `expected an array, got ${describe(metrics)}`);
  const tasks: HarborTask[] = [];
  if (!Array.isArray(e.tasks)) fail('tasks', `expected an array of tasks, got ${describe(e.tasks)}`);
  else {
    for (const [taskIndex, task] of (e.tasks as unknown[]).entries()) {
      const parsed = parseTask(task, `tasks[${taskIndex}]`, fail);
      if (parsed !== undefined) tasks.push(parsed);
    }
  }
  if (problems.length > before) return undefined;
  return {
    name: name as string,
    version: version as string,
    description: description as string,
    tasks,
    metrics: metrics as unknown[],
  };
}

/** The task, or `undefined` when `fail` was called for it (once per problem). */
function parseTask(
  task: unknown,
  at: string,
  fail: (field: string, detail: string) => undefined,
): HarborTask | undefined {
  if (typeof task !== 'object' || task === null || Array.isArray(task)) {
    return fail(at, `expected a task object, got ${describe(task)}`);
  }
  const t = task as Record<string, unknown>;
  let ok = true;
  const problem = (field: string, detail: string) => {
    ok = false;
    fail(`${at}.${field}`, detail);
  };
  for (const field of ['name', 'git_url', 'path'] as const) {
    const value = t[field];
    if (!isNonEmptyString(value)) problem(field, `expected a non-empty string, got ${describe(value)}`);
    else if (value.includes('\0')) problem(field, 'contains a NUL byte');
  }
  const gitUrl = t.git_url;
  if (isNonEmptyString(gitUrl) && gitUrl.startsWith('-')) {
    problem('git_url', `${JSON.stringify(gitUrl)} starts with "-", which git would read as an option`);
  }
  const commit = t.git_commit_id ?? undefined;
  if (commit !== undefined && (typeof commit !== 'string' || !commitPattern.test(commit) || commit.startsWith('-'))) {
    problem('git_commit_id', `expected a commit id, branch or tag (or null), got ${describe(commit)}`);
  }
  const path = t.path;
  let normalized = '';
  if (isNonEmptyString(path) && !path.includes('\0')) {
    const segments = path.split('/');
    if (path.startsWith('/') || path.includes('\\') || segments.includes('..')) {
      problem(
        'path',
        `${JSON.stringify(path)} must be a relative "/"-separated path inside the repository, without ".."`,
      );
    } else {
      normalized = segments.filter((segment) => segment !== '' && segment !== '.').join('/');
      if (normalized === '') {
        problem('path', `${JSON.stringify(path)} names the repository root; a task is a folder inside it`);
      }
    }
  }
  if (!ok) return undefined;
  return {
    name: t.name as string,
    gitUrl: gitUrl as string,
    gitCommitId: commit as string | undefined,
    path: normalized,
  };
}
