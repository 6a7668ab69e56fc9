import { describe, expect, it } from 'vitest';
import { RegistryFormatError } from './errors/registry-format-error.js';
import { parseHarborRegistry } from './harbor-registry-schema.js';

const task = { name: 't1', git_url: 'https://example.invalid/r.git', git_commit_id: 'abc123', path: 'tasks/t1' };
const dataset = { name: 'demo', version: '1.0', description: 'A demo.', tasks: [task] };

function formatError(json: unknown): RegistryFormatError {
  try {
    parseHarborRegistry(json, 'test.json');
  } catch (error) {
    expect(RegistryFormatError.isInstance(error)).toBe(true);
    return error as RegistryFormatError;
  }
  throw new Error('parseHarborRegistry did not throw');
}

describe('parseHarborRegistry', () => {
  it('maps the registry fields to camelCase and fills the optional ones', () => {
    const parsed = parseHarborRegistry([
      { ...dataset, extra: 'ignored' },
      {
        name: 'other',
        version: 'head',
        tasks: [{ ...task, git_commit_id: null, path: './a//b/' }],
        metrics: [{ type: 'mean' }],
      },
    ]);
    expect(parsed).toEqual([
      {
        name: 'demo',
        version: '1.0',
        description: 'A demo.',
        tasks: [{ name: 't1', gitUrl: 'https://example.invalid/r.git', gitCommitId: 'abc123', path: 'tasks/t1' }],
        metrics: [],
      },
      {
        name: 'other',
        version: 'head',
        description: '',
        tasks: [{ name: 't1', gitUrl: 'https://example.invalid/r.git', gitCommitId: undefined, path: 'a/b' }],
        metrics: [{ type: 'mean' }],
      },
    ]);
  });

  it.each([
    [
      'a non-object entry',
      [dataset, 42],
      1,
      undefined,
      '(entry)',
      /entry 1, field \(entry\): expected a dataset object, got number 42/,
    ],
    [
      'a missing name',
      [{ ...dataset, name: undefined }],
      0,
      undefined,
      'name',
      /expected a non-empty string, got nothing \(the field is missing\)/,
    ],
    [
      'a numeric version',
      [{ ...dataset, version: 2 }],
      0,
      '"demo"',
      'version',
      /dataset "demo" \(entry 0\), field version: expected a non-empty string, got number 2/,
    ],
    [
      'a name with a space',
      [{ ...dataset, name: 'my set' }],
      0,
      '"my set@1.0"',
      'name',
      /characters a preset name cannot hold/,
    ],
    [
      'a version with a colon',
      [{ ...dataset, version: '1:0' }],
      0,
      '"demo@1:0"',
      'version',
      /characters a preset name cannot hold/,
    ],
    [
      'a numeric description',
      [{ ...dataset, description: 5 }],
      0,
      '"demo@1.0"',
      'description',
      /expected a string, got number 5/,
    ],
    [
      'missing tasks',
      [{ ...dataset, tasks: undefined }],
      0,
      '"demo@1.0"',
      'tasks',
      /expected an array of tasks, got nothing \(the field is missing\)/,
    ],
    [
      'non-array metrics',
      [{ ...dataset, metrics: {} }],
      0,
      '"demo@1.0"',
      'metrics',
      /expected an array, got an object/,
    ],
    [
      'a null task',
      [{ ...dataset, tasks: [task, null] }],
      0,
      '"demo@1.0"',
      'tasks[1]',
      /expected a task object, got null/,
    ],
    [
      'a numeric git_url',
      [dataset, { ...dataset, version: '2', tasks: [task, task, { ...task, git_url: 7 }] }],
      1,
      '"demo@2"',
      'tasks[2].git_url',
      /dataset "demo@2" \(entry 1\), field tasks\[2\].git_url: expected a non-empty string, got number 7/,
    ],
    [
      'an option-like git_url',
      [{ ...dataset, tasks: [{ ...task, git_url: '--upload-pack=touch /tmp/x' }] }],
      0,
      '"demo@1.0"',
      'tasks[0].git_url',
      /starts with "-"/,
    ],
    [
      'an option-like commit',
      [{ ...dataset, tasks: [{ ...task, git_commit_id: '--foo' }] }],
      0,
      '"demo@1.0"',
      'tasks[0].git_commit_id',
      /expected a commit id/,
    ],
    [
      'a numeric commit',
      [{ ...dataset, tasks: [{ ...task, git_commit_id: 12 }] }],
      0,
      '"demo@1.0"',
      'tasks[0].git_commit_id',
      /got number 12/,
    ],
    [
      'an empty path',
      [{ ...dataset, tasks: [{ ...task, path: '' }] }],
      0,
      '"demo@1.0"',
      'tasks[0].path',
      /non-empty string, got an empty string/,
    ],
    [
      'an absolute path',
      [{ ...dataset, tasks: [{ ...task, path: '/etc' }] }],
      0,
      '"demo@1.0"',
      'tasks[0].path',
      /relative/,
    ],
    [
      'a climbing path',
      [{ ...dataset, tasks: [{ ...task, path: 'a/../../b' }] }],
      0,
      '"demo@1.0"',
      'tasks[0].path',
      /without "\.\."/,
    ],
    [
      'the repository root',
      [{ ...dataset, tasks: [{ ...task, path: './' }] }],
      0,
      '"demo@1.0"',
      'tasks[0].path',
      /repository root/,
    ],
    [
      'a missing task name',
      [{ ...dataset, tasks: [{ ...task, name: '' }] }],
      0,
      '"demo@1.0"',
      'tasks[0].name',
      /an empty string/,
    ],
  ])('rejects %s, naming the dataset and the field', (_what, json, entryIndex, datasetLabel, field, detail) => {
    const error = formatError(json);
    expect(error.code).toBe('REGISTRY_FORMAT');
    expect(error.source).toBe('test.json');
    expect(error.entryIndex).toBe(entryIndex);
    expect(error.dataset).toBe(datasetLabel);
    expect(error.field).toBe(field);
    expect(error.message).toMatch(/^Malformed Harbor registry test\.json:/);
    expect(error.message).toContain(`field ${field}:`);
    expect(error.message).toMatch(detail);
    expect(error.message).toMatch(/Fix that entry, or load another registry\.$/);
    expect(error.problems).toEqual([{ entryIndex, dataset: datasetLabel, field, detail: expect.any(String) }]);
    expect(error.message).toContain(`field ${field}: ${error.problems[0]!.detail}.`);
  });

  it('rejects a registry that is not an array as a whole, without pointing at an entry', () => {
    const error = formatError({ datasets: [] });
    expect(error.entryIndex).toBeUndefined();
    expect(error.field).toBe('(registry)');
    expect(error.problems).toHaveLength(1);
    expect(error.message).toBe(
      'Malformed Harbor registry test.json: expected a JSON array of datasets, got an object. Fix the file, or load another registry.',
    );
  });

  it('lists every problem of every entry, in registry order, not only the first', () => {
    const error = formatError([
      { ...dataset, version: 2, description: 5 },
      dataset,
      'not a dataset',
      {
        ...dataset,
        name: 'other',
        tasks: [{ ...task, git_url: 7, path: '/abs' }, task, null],
        metrics: {},
      },
    ]);
    expect(error.problems.map((p) => [p.entryIndex, p.dataset, p.field])).toEqual([
      [0, '"demo"', 'version'],
      [0, '"demo"', 'description'],
      [2, undefined, '(entry)'],
      [3, '"other@1.0"', 'metrics'],
      [3, '"other@1.0"', 'tasks[0].git_url'],
      [3, '"other@1.0"', 'tasks[0].path'],
      [3, '"other@1.0"', 'tasks[2]'],
    ]);
    // The first problem stays on the error itself, as before the list existed.
    expect([error.entryIndex, error.dataset, error.field]).toEqual([0, '"demo"', 'version']);
    expect(error.message).toBe(
      [
        'Malformed Harbor registry test.json: 7 problems in 3 entries:',
        '  - dataset "demo" (entry 0), field version: expected a non-empty string, got number 2',
        '  - dataset "demo" (entry 0), field description: expected a string, got number 5',
        '  - entry 2, field (entry): expected a dataset object, got the string "not a dataset"',
        '  - dataset "other@1.0" (entry 3), field metrics: expected an array, got an object',
        '  - dataset "other@1.0" (entry 3), field tasks[0].git_url: expected a non-empty string, got number 7',
        '  - dataset "other@1.0" (entry 3), field tasks[0].path: "/abs" must be a relative "/"-separated path inside the repository, without ".."',
        '  - dataset "other@1.0" (entry 3), field tasks[2]: expected a task object, got null',
        'Fix those entries, or load another registry.',
      ].join('\n'),
    );
  });

  it('keeps the message readable for a registry with hundreds of problems, and lists them all on the error', () => {
    const error = formatError(
      Array.from({ length: 150 }, (_, index) => ({ ...dataset, version: `v${index}`, tasks: 0 })),
    );
    expect(error.problems).toHaveLength(150);
    expect(error.problems[149]).toMatchObject({ entryIndex: 149, dataset: '"demo@v149"', field: 'tasks' });
    const lines = error.message.split('\n');
    expect(lines[0]).toBe('Malformed Harbor registry test.json: 150 problems in 150 entries:');
    expect(lines.filter((line) => line.startsWith('  - '))).toHaveLength(20);
    expect(lines).toContain("  ... and 130 more (the error's `problems` lists them all)");
  });
});
