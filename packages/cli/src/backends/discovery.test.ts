import { spawnSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { processStartTime } from '@snapbox/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { notConfirmedExitCode } from '../commands/prune.js';
import { installStubs, snapboxIn } from '../test-support/stub-backends.js';

// Discovery as users meet it: the built bin, run in a project whose node_modules holds a third
// party's backend (a real package on disk, built on @snapbox/core alone), a backend that fails to
// load, one that declares an admin module its exports lack, and an ordinary package.

let root: string;
let project: string;
let deep: string;
let state: string;
let folders: Record<string, string>;

const deadPid = spawnSync(process.execPath, ['-e', '']).pid as number;
const dead = { session: 'dead-session', pid: deadPid, host: hostname(), processStartedAt: 0 };
const live = {
  session: 'live-session',
  pid: process.pid,
  host: hostname(),
  processStartedAt: processStartTime(process.pid),
};
const minutesAgo = (minutes: number) => Date.now() - minutes * 60_000;
const run = { 'snapbox.go-explore.run': 'run-7', 'snapbox.go-explore.checkpoint': '/runs/run-7.json' };
const records = [
  { kind: 'container', id: 'c-dead', owner: dead, createdAt: minutesAgo(30) },
  { kind: 'container', id: 'c-live', owner: live, createdAt: minutesAgo(5) },
  { kind: 'snapshot', id: 's-parent', owner: dead, createdAt: minutesAgo(40), keep: false },
  { kind: 'snapshot', id: 's-child', owner: dead, createdAt: minutesAgo(20), keep: false, parent: 's-parent' },
  { kind: 'snapshot', id: 's-kept', owner: dead, createdAt: minutesAgo(20), keep: true },
  { kind: 'snapshot', id: 'r-1', owner: dead, createdAt: minutesAgo(50), keep: true, labels: run },
  { kind: 'snapshot', id: 'r-2', owner: dead, createdAt: minutesAgo(45), keep: true, labels: run, parent: 'r-1' },
  { kind: 'container', id: 'r-c', owner: dead, createdAt: minutesAgo(44), labels: run, parent: 'r-2' },
];
const stateIds = async () =>
  (JSON.parse(await readFile(state, 'utf8')) as { id: string }[]).map((record) => record.id).sort();

beforeAll(async () => {
  root = await realpath(await mkdtemp(join(tmpdir(), 'snapbox-cli-discovery-')));
  project = join(root, 'project');
  deep = join(project, 'src', 'deep');
  await mkdir(deep, { recursive: true });
  folders = await installStubs(join(project, 'node_modules'), [
    'folder-backend',
    'broken-backend',
    'undeclared-export',
    'plain-package',
  ]);
  state = join(root, 'state.json');
});

beforeEach(async () => {
  await writeFile(state, JSON.stringify(records));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

type Row = {
  backend?: string;
  package?: string;
  version?: string;
  via: string;
  dir?: string;
  configured?: boolean;
  hint?: string;
  error?: string;
};

describe('snapbox backends', () => {
  it('finds backends in node_modules from the current folder upward and beside the CLI, and reports those that fail', async () => {
    const result = await snapboxIn(deep, { FOLDER_BACKEND_STATE: undefined }, 'backends', '--json');
    expect(result.code).toBe(1);
    const rows = JSON.parse(result.stdout) as Row[];
    const byPackage = new Map(rows.map((row) => [row.package, row]));
    expect(byPackage.get('@acme/snapbox-folder')).toMatchObject({
      backend: 'folder',
      version: '1.2.3',
      via: 'node_modules',
      dir: folders['folder-backend'],
      configured: false,
      hint: 'set FOLDER_BACKEND_STATE',
    });
    // Installed beside the CLI (a devDependency in this workspace), found from the CLI's own location.
    expect(byPackage.get('@snapbox/docker')).toMatchObject({
      backend: 'docker',
      via: 'node_modules',
      configured: true,
    });
    expect(byPackage.get('broken-backend')?.error).toMatch(
      /its admin module .*broken-backend\/admin\.js failed to load: .*a-package-that-is-not-installed/,
    );
    expect(byPackage.get('undeclared-export')?.error).toContain(
      'declares the admin module ./admin, but its "exports" has no "./admin" entry',
    );
    expect(byPackage.has('plain-package')).toBe(false);
    expect(result.stderr).toContain('snapbox backends: broken-backend: its admin module');

    const table = await snapboxIn(deep, { FOLDER_BACKEND_STATE: state }, 'backends', '--backend', 'folder');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^BACKEND +PACKAGE +FOUND VIA +TARGET +WHERE\n/);
    expect(table.stdout).toContain(`folder   @acme/snapbox-folder@1.2.3  node_modules  file ${state}`);
    expect(table.stderr).toBe('');
  });

  it('uses exactly SNAPBOX_BACKENDS when set: package names or paths', async () => {
    const byPath = await snapboxIn(root, { SNAPBOX_BACKENDS: folders['folder-backend'] }, 'backends', '--json');
    expect(byPath.code).toBe(0);
    expect((JSON.parse(byPath.stdout) as Row[]).map((row) => [row.backend, row.via])).toEqual([
      ['folder', 'SNAPBOX_BACKENDS'],
    ]);
    const byName = await snapboxIn(
      project,
      { SNAPBOX_BACKENDS: '@acme/snapbox-folder, broken-backend' },
      'backends',
      '--json',
    );
    expect(byName.code).toBe(1);
    expect((JSON.parse(byName.stdout) as Row[]).map((row) => row.package)).toEqual([
      '@acme/snapbox-folder',
      'broken-backend',
    ]);
  });

  it('--backend takes a name, a package, a package folder or a module file, and says what it found otherwise', async () => {
    for (const name of [
      'folder',
      '@acme/snapbox-folder',
      './node_modules/@acme/snapbox-folder',
      `${folders['folder-backend']}/admin.js`,
    ]) {
      const result = await snapboxIn(project, {}, 'backends', '--backend', name, '--json');
      expect(result.code, name).toBe(0);
      expect((JSON.parse(result.stdout) as Row[]).map((row) => row.backend)).toEqual(['folder']);
    }
    const missing = await snapboxIn(project, {}, 'backends', '--backend', 'nope');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('snapbox backends: nope: no backend named "nope" was found (found: ');
    expect(missing.stderr).toContain('folder (@acme/snapbox-folder)');
    const plain = await snapboxIn(project, {}, 'backends', '--backend', 'plain-package');
    expect(plain.stderr).toContain(
      'The package plain-package is installed, but its package.json does not declare a snapbox backend',
    );
  });

  it('finds the backends installed beside a global install of the CLI, from any folder', async () => {
    const global = join(root, 'global', 'lib', 'node_modules');
    const cli = join(global, '@snapbox', 'cli');
    await mkdir(cli, { recursive: true });
    const workspaceCli = fileURLToPath(new URL('../../', import.meta.url));
    await cp(join(workspaceCli, 'dist'), join(cli, 'dist'), { recursive: true });
    await cp(join(workspaceCli, 'package.json'), join(cli, 'package.json'));
    const elsewhere = join(root, 'elsewhere');
    await mkdir(elsewhere);
    const globalBin = join(cli, 'dist', 'bin.js');
    const node = (env: Record<string, string | undefined>, ...args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        const child = spawnSync(process.execPath, [globalBin, ...args], {
          cwd: elsewhere,
          encoding: 'utf8',
          env: { ...process.env, SNAPBOX_BACKENDS: '', ...env },
        });
        resolve({ code: child.status ?? -1, stdout: child.stdout, stderr: child.stderr });
      });
    await mkdir(join(global, '@snapbox'), { recursive: true });
    await symlink(
      await realpath(fileURLToPath(new URL('../../node_modules/@snapbox/core', import.meta.url))),
      join(global, '@snapbox', 'core'),
    );
    const none = await node({}, 'ls');
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('snapbox ls: no snapbox backend was found. Install one beside your program');

    await installStubs(global, ['folder-backend']);
    const found = await node({ FOLDER_BACKEND_STATE: state }, 'backends', '--json');
    expect(found.code).toBe(0);
    expect(JSON.parse(found.stdout)).toMatchObject([
      { backend: 'folder', via: 'node_modules', dir: join(global, '@acme', 'snapbox-folder') },
    ]);
  });
});

describe('snapbox ls and prune over a third-party backend', () => {
  it('ls lists every backend, skipping one that is not configured and reporting one that fails to load', async () => {
    const unconfigured = await snapboxIn(deep, { FOLDER_BACKEND_STATE: undefined }, 'ls');
    expect(unconfigured.code).toBe(1);
    expect(unconfigured.stdout).toMatch(/^Backends: .*folder \(not configured: set FOLDER_BACKEND_STATE\)/);
    expect(unconfigured.stdout).toMatch(/^Backends: .*docker \(/);
    expect(unconfigured.stderr).toContain('snapbox ls: backend broken-backend: its admin module');
    expect(unconfigured.stderr).toContain('snapbox ls: backend undeclared-export: its package.json declares');

    const json = await snapboxIn(deep, { FOLDER_BACKEND_STATE: state }, 'ls', '--json');
    expect(json.code).toBe(1);
    const listing = JSON.parse(json.stdout) as { containers: { backend: string; id: string }[] };
    expect(listing.containers.filter((c) => c.backend === 'folder').map((c) => c.id)).toEqual([
      'c-dead',
      'c-live',
      'r-c',
    ]);
    // Named, it must be configured.
    const named = await snapboxIn(deep, { FOLDER_BACKEND_STATE: undefined }, 'ls', '--backend', 'folder');
    expect(named.code).toBe(1);
    expect(named.stderr).toBe('snapbox ls: backend folder is not configured: set FOLDER_BACKEND_STATE\n');
  });

  it('ls draws lineage and groups a Go-Explore run under its id, with a backend column', async () => {
    const result = await snapboxIn(deep, { FOLDER_BACKEND_STATE: state }, 'ls', '--backend', 'folder');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe(`Backends: folder (file ${state})`);
    expect(lines).toContain('CONTAINERS (2)');
    expect(lines.find((line) => line.startsWith('c-dead '))).toMatch(/^c-dead +folder +\d+@\S+ +dead /);
    expect(lines.find((line) => line.startsWith('c-live '))).toMatch(/ alive /);
    const parent = lines.findIndex((line) => line.startsWith('s-parent '));
    expect(lines[parent + 1]).toMatch(/^ {2}└ s-child +folder /);
    expect(lines).toContain('SNAPSHOTS (3)');
    const runs = lines.indexOf('GO-EXPLORE RUNS (1; snapbox prune --run ID removes one)');
    expect(runs).toBeGreaterThan(parent);
    expect(lines[runs + 1]).toBe('run run-7: 1 container(s), 2 snapshot(s); checkpoint /runs/run-7.json');
    expect(lines.slice(runs + 2, runs + 6).map((line) => line.trim().split(/ +/).slice(0, 3).join(' '))).toEqual([
      'KIND ID BACKEND',
      'container r-c folder',
      'snapshot r-1 folder',
      'snapshot └ r-2',
    ]);
  });

  it('prune removes what dead owners left through the backend, announcing each, and --run asks for kept snapshots', async () => {
    const dry = await snapboxIn(
      deep,
      { FOLDER_BACKEND_STATE: state },
      'prune',
      '--backend',
      'folder',
      '--dry-run',
      '--json',
    );
    expect(dry.code).toBe(0);
    const report = JSON.parse(dry.stdout) as {
      dryRun: boolean;
      containers: { id: string }[];
      snapshots: { id: string }[];
    };
    expect(report.dryRun).toBe(true);
    expect(report.containers.map((c) => c.id)).toEqual(['c-dead', 'r-c']);
    expect(report.snapshots.map((s) => s.id)).toEqual(['s-child', 's-parent']);

    const pruned = await snapboxIn(deep, { FOLDER_BACKEND_STATE: state }, 'prune', '--backend', 'folder');
    expect(pruned.code).toBe(0);
    expect(pruned.stderr).toBe(
      [
        'removing container c-dead (1/4, folder)',
        'removing container r-c (2/4, folder)',
        'removing snapshot s-child (3/4, folder)',
        'removing snapshot s-parent (4/4, folder)',
        '',
      ].join('\n'),
    );
    expect(pruned.stdout).toMatch(/^KIND +BACKEND +ID +OWNER +OWNER ALIVE\ncontainer +folder +c-dead /);
    expect(pruned.stdout).toMatch(/removed 2 container\(s\) and 2 snapshot\(s\)\n$/);
    expect(await stateIds()).toEqual(['c-live', 'r-1', 'r-2', 's-kept']);

    const refused = await snapboxIn(
      deep,
      { FOLDER_BACKEND_STATE: state },
      'prune',
      '--backend',
      'folder',
      '--run',
      'run-7',
    );
    expect(refused.code).toBe(notConfirmedExitCode);
    expect(refused.stdout).toMatch(/would remove 0 container\(s\) and 2 snapshot\(s\)\n$/);
    expect(await stateIds()).toEqual(['c-live', 'r-1', 'r-2', 's-kept']);
    const confirmed = await snapboxIn(
      deep,
      { FOLDER_BACKEND_STATE: state },
      'prune',
      '--backend',
      'folder',
      '--run',
      'run-7',
      '--yes',
    );
    expect(confirmed.code).toBe(0);
    expect(await stateIds()).toEqual(['c-live', 's-kept']);
  });

  it('prune --run of a dead owner without kept snapshots goes without asking', async () => {
    await writeFile(state, JSON.stringify(records.filter((record) => record.id === 'r-c')));
    const result = await snapboxIn(
      deep,
      { FOLDER_BACKEND_STATE: state },
      'prune',
      '--backend',
      'folder',
      '--run',
      'run-7',
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/removed 1 container\(s\) and 0 snapshot\(s\)\n$/);
    expect(await stateIds()).toEqual([]);
  });
});
