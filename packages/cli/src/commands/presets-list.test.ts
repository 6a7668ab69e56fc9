import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { harborRegistryPath } from '@snapbox/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../test-support/run-cli.js';

/** The real registry, vendored in @snapbox/test-support (see its PROVENANCE.md). */
const realRegistry = harborRegistryPath;

/**
 * Expected presets computed independently of @snapbox/presets: ARES's short names, one
 * `<short>-<version>` per entry (the snapshot has no repeated name and version) and `<short>` for
 * names with a single version.
 */
function expectedPresets(agents: string[] = []) {
  const raw = JSON.parse(readFileSync(realRegistry, 'utf8')) as {
    name: string;
    version: string;
    description: string;
    tasks: unknown[];
  }[];
  const short = (name: string) => ({ 'swebench-verified': 'sbv', 'terminal-bench': 'tbench' })[name] ?? name;
  const out = new Map<string, { name: string; description: string; numTasks: number }>();
  const add = (id: string, entry: (typeof raw)[number]) => {
    for (const name of [id, ...agents.map((agent) => `${id}-${agent}`)]) {
      out.set(name, { name, description: entry.description, numTasks: entry.tasks.length });
    }
  };
  for (const entry of raw) add(`${short(entry.name)}-${entry.version}`, entry);
  for (const entry of raw)
    if (raw.filter((other) => other.name === entry.name).length === 1) add(short(entry.name), entry);
  return [...out.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
}

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'snapbox-cli-'));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe('snapbox presets list', () => {
  it('prints the presets of the real registry with their task counts (--json)', async () => {
    const result = await runCli('presets', 'list', '--registry', realRegistry, '--json');
    expect(result.code).toBe(0);
    const presets = JSON.parse(result.stdout) as unknown[];
    const expected = expectedPresets();
    expect(expected).toHaveLength(83);
    expect(presets).toEqual(expected);
    expect(presets).toContainEqual({
      name: 'tbench-2.0',
      description: expect.stringMatching(/^Version 2\.0 of Terminal-Bench/),
      numTasks: 89,
    });
    // The deduplication report goes to stderr, never into the JSON.
    expect(result.stderr).toBe(
      'Harbor presets: 83 registered, 0 already registered, 1 alias suppressed, 0 duplicates skipped, 0 conflicts.\n' +
        '  alias swe-lancer-diamond (swe-lancer-diamond) not registered: 3 versions exist (all, ic, manager); use a versioned id such as swe-lancer-diamond-all\n',
    );
  });

  it('prints a table by default, one line per preset', async () => {
    const result = await runCli('presets', 'list', '--registry', realRegistry);
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME +TASKS {2}DESCRIPTION$/);
    expect(lines).toHaveLength(1 + 83);
    const rows = lines.slice(1).map((line) => /^(\S+) +(\d+) {2}(.*)$/.exec(line)!);
    expect(rows.map((row) => ({ name: row[1], numTasks: Number(row[2]) }))).toEqual(
      expectedPresets().map(({ name, numTasks }) => ({ name, numTasks })),
    );
    expect(lines).toContain(lines.find((line) => line.startsWith('sbv ')));
    expect(lines.find((line) => line.startsWith('sbv '))).toMatch(
      /^sbv +500 {2}A human-validated subset of 500 SWE-bench tasks$/,
    );
    // Long descriptions are cut to one line of at most 80 characters.
    expect(Math.max(...rows.map((row) => row[3]!.length))).toBe(80);
  });

  it('adds <id>-<agent> presets for --agents', async () => {
    const result = await runCli(
      'presets',
      'list',
      '--registry',
      realRegistry,
      '--agents',
      'terminus, mini-swe-agent',
      '--json',
    );
    expect(result.code).toBe(0);
    const presets = JSON.parse(result.stdout) as { name: string }[];
    expect(presets).toEqual(expectedPresets(['terminus', 'mini-swe-agent']));
    expect(presets).toHaveLength(83 * 3);
    expect(presets.map((p) => p.name)).toContain('tbench-2.0-terminus');
    expect(result.stderr).toMatch(/^Harbor presets: 249 registered/);
  });

  it('reports duplicates and conflicts on stderr', async () => {
    const task = (name: string) => ({ name, git_url: 'file:///r', git_commit_id: 'HEAD', path: `t/${name}` });
    const path = join(folder, 'dups.json');
    await writeFile(
      path,
      JSON.stringify([
        { name: 'foo', version: '1', description: 'Foo.', tasks: [task('a')] },
        { name: 'foo', version: '1', description: 'Foo.', tasks: [task('a')] },
        { name: 'foo', version: '1', description: 'Foo, changed.', tasks: [task('a'), task('b')] },
      ]),
    );
    const result = await runCli('presets', 'list', '--registry', path, '--json');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual([
      { name: 'foo', description: 'Foo.', numTasks: 1 },
      { name: 'foo-1', description: 'Foo.', numTasks: 1 },
    ]);
    expect(result.stderr).toBe(
      'Harbor presets: 2 registered, 0 already registered, 0 aliases suppressed, 1 duplicate skipped, 1 conflict.\n' +
        '  duplicate skipped: foo@1 (entry 1) repeats entry 0\n' +
        '  conflict: foo@1 entries 0 and 2 differ in description, tasks (1 vs 2); entry 0 was kept because it comes first in the registry (the one a lookup of foo@1 finds); entry 2 was dropped\n',
    );
  });

  it('exits 1 naming the dataset and field for a malformed registry', async () => {
    const path = join(folder, 'bad.json');
    await writeFile(
      path,
      JSON.stringify([
        { name: 'ok', version: '1', tasks: [] },
        { name: 'broken', version: '2', tasks: [{ name: 'x', path: 'p' }] },
      ]),
    );
    const result = await runCli('presets', 'list', '--registry', path);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `snapbox presets list: Malformed Harbor registry ${path}: dataset "broken@2" (entry 1), field tasks[0].git_url: expected a non-empty string, got nothing (the field is missing). Fix that entry, or load another registry.\n`,
    );
  });

  it('exits 1 with a clear error when the registry cannot be read or downloaded', async () => {
    const missing = await runCli('presets', 'list', '--registry', join(folder, 'absent.json'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(
      /^snapbox presets list: Could not load the Harbor registry from .*absent\.json: no such file\./,
    );

    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/registry.json`;
    await new Promise((resolve) => closed.close(resolve));
    const refused = await runCli('presets', 'list', '--registry', url, '--json');
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain(`Could not load the Harbor registry from ${url}: the download failed (`);
    expect(refused.stderr).toContain('ECONNREFUSED');
  });

  it('exits 1 listing every problem of a registry, and the file as a whole when it is empty or not JSON', async () => {
    const path = join(folder, 'many.json');
    await writeFile(
      path,
      JSON.stringify([
        { name: 'a', version: 1, tasks: [] },
        { name: 'ok', version: '1', tasks: [] },
        { name: 'b', version: '2', tasks: [{ name: 'x', path: '/abs', git_url: 'file:///r' }] },
      ]),
    );
    const many = await runCli('presets', 'list', '--registry', path);
    expect(many.code).toBe(1);
    expect(many.stdout).toBe('');
    expect(many.stderr).toBe(
      `snapbox presets list: Malformed Harbor registry ${path}: 2 problems in 2 entries:\n` +
        '  - dataset "a" (entry 0), field version: expected a non-empty string, got number 1\n' +
        '  - dataset "b@2" (entry 2), field tasks[0].path: "/abs" must be a relative "/"-separated path inside the repository, without ".."\n' +
        'Fix those entries, or load another registry.\n',
    );

    const empty = join(folder, 'empty.json');
    await writeFile(empty, '');
    expect(await runCli('presets', 'list', '--registry', empty)).toEqual({
      code: 1,
      stdout: '',
      stderr: `snapbox presets list: Malformed Harbor registry ${empty}: it is empty, where a JSON array of datasets was expected. Fix the file, or load another registry.\n`,
    });
    const html = join(folder, 'page.html');
    await writeFile(html, '<html></html>');
    const notJson = await runCli('presets', 'list', '--registry', html);
    expect(notJson.code).toBe(1);
    expect(notJson.stderr).toMatch(
      /^snapbox presets list: Malformed Harbor registry .*page\.html: it is not valid JSON \(/,
    );
  });

  it('exits 1 naming an unsupported URL scheme', async () => {
    const result = await runCli('presets', 'list', '--registry', 's3://bucket/registry.json');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'Could not load the Harbor registry from s3://bucket/registry.json: the URL scheme "s3:" is not supported',
    );
  });

  it('exits 1 when a download takes longer than --timeout', async () => {
    // Takes the request and never answers.
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/registry.json`;
    try {
      const result = await runCli('presets', 'list', '--registry', url, '--timeout', '1s');
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe(
        `snapbox presets list: Could not load the Harbor registry from ${url}: the download took longer than 1000 ms and was abandoned. Check the path or URL, or load a registry file instead.\n`,
      );
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('exits 2 for an empty or invalid --agents list', async () => {
    const empty = await runCli('presets', 'list', '--registry', realRegistry, '--agents', 'a,,b');
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('--agents takes a comma-separated list of names');
    const invalid = await runCli('presets', 'list', '--registry', realRegistry, '--agents', 'bad agent');
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain('Invalid options.agents[0]');
    expect(invalid.stdout).toBe('');
  });
});
