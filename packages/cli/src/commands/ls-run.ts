import { type AdminResource, SnapboxError } from '@snapbox/core';
import { activeBackends, backendsLine } from '../backends/active-backends.js';
import type { CliIo } from '../cli-io.js';
import { parseCommandArgs } from '../command.js';
import { formatAge, formatSize, formatTable, shortId } from '../format.js';
import { groupRuns, type RunGroup } from './go-explore-runs.js';
import { ls } from './ls.js';

function ownerCell(resource: AdminResource): string {
  const { pid, host } = resource.owner;
  return Number.isFinite(pid) && host !== '' ? `${pid}@${host}` : `session ${resource.owner.session.slice(0, 8)}`;
}

const sizeCell = (resource: AdminResource) => (resource.sizeBytes === undefined ? '' : formatSize(resource.sizeBytes));
const snapshotName = (snapshot: AdminResource) =>
  snapshot.state === undefined ? snapshot.id : `(${snapshot.state}) ${shortId(snapshot.id)}`;
const key = (backend: string, id: string) => `${backend}\0${id}`;

/** Snapshots as a forest: each under the snapshot (of the same backend) it was taken from, roots first. */
function lineage(snapshots: readonly AdminResource[]): { snapshot: AdminResource; depth: number }[] {
  const byId = new Map(snapshots.map((s) => [key(s.backend, s.id), s]));
  const children = new Map<string, AdminResource[]>();
  const roots: AdminResource[] = [];
  for (const snapshot of snapshots) {
    const parent = snapshot.parentSnapshot === undefined ? undefined : key(snapshot.backend, snapshot.parentSnapshot);
    if (parent !== undefined && byId.has(parent) && snapshot.parentSnapshot !== snapshot.id) {
      children.set(parent, [...(children.get(parent) ?? []), snapshot]);
    } else {
      roots.push(snapshot);
    }
  }
  const out: { snapshot: AdminResource; depth: number }[] = [];
  const visit = (snapshot: AdminResource, depth: number) => {
    out.push({ snapshot, depth });
    for (const child of children.get(key(snapshot.backend, snapshot.id)) ?? []) visit(child, depth + 1);
  };
  for (const root of [...roots].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())) visit(root, 0);
  return out;
}

const tree = (depth: number, text: string) => `${'  '.repeat(depth)}${depth > 0 ? '└ ' : ''}${text}`;

function containersTable(containers: readonly AdminResource[]): string {
  const rows = containers.map((c) => [
    shortId(c.id),
    c.backend,
    c.name ?? '',
    c.state ?? '',
    ownerCell(c),
    c.owner.liveness,
    formatAge(c.createdAt),
    c.parentSnapshot ?? c.baseImage ?? '',
  ]);
  return formatTable([['ID', 'BACKEND', 'NAME', 'STATE', 'OWNER', 'OWNER ALIVE', 'AGE', 'FROM'], ...rows]);
}

function snapshotsTable(snapshots: readonly AdminResource[]): string {
  const rows = lineage(snapshots).map(({ snapshot, depth }) => [
    tree(depth, snapshotName(snapshot)),
    snapshot.backend,
    sizeCell(snapshot),
    formatAge(snapshot.createdAt),
    ownerCell(snapshot),
    snapshot.owner.liveness,
    snapshot.keep ? 'kept' : 'session',
    depth === 0 ? (snapshot.parentSnapshot ?? snapshot.baseImage ?? '') : '',
  ]);
  return formatTable([['SNAPSHOT', 'BACKEND', 'SIZE', 'AGE', 'OWNER', 'OWNER ALIVE', 'SCOPE', 'FROM'], ...rows]);
}

function runSection(run: RunGroup): string {
  const containers = run.resources.filter((r) => r.kind === 'container');
  const snapshots = run.resources.filter((r) => r.kind === 'snapshot');
  const bytes = snapshots.reduce((sum, s) => sum + (s.sizeBytes ?? 0), 0);
  const header = `run ${run.id}: ${containers.length} container(s), ${snapshots.length} snapshot(s)${bytes > 0 ? `, ${formatSize(bytes)}` : ''}${run.checkpoint === undefined ? '' : `; checkpoint ${run.checkpoint}`}`;
  const rows = [
    ...containers.map((c) => [
      'container',
      shortId(c.id),
      c.backend,
      '',
      formatAge(c.createdAt),
      ownerCell(c),
      c.owner.liveness,
      '',
    ]),
    ...lineage(snapshots).map(({ snapshot, depth }) => [
      'snapshot',
      tree(depth, snapshotName(snapshot)),
      snapshot.backend,
      sizeCell(snapshot),
      formatAge(snapshot.createdAt),
      ownerCell(snapshot),
      snapshot.owner.liveness,
      snapshot.keep ? 'kept' : 'session',
    ]),
  ];
  const table = formatTable([['KIND', 'ID', 'BACKEND', 'SIZE', 'AGE', 'OWNER', 'OWNER ALIVE', 'SCOPE'], ...rows]);
  return `${header}\n${table
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n')}`;
}

/** Runs `snapbox ls` (see {@link ls} for its usage). */
export async function run(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(args, ls.options);
  const backends = await activeBackends('snapbox ls', values.backend, io);
  const listings = await Promise.allSettled(backends.active.map(({ admin }) => admin.list()));
  let problems = backends.problems;
  const resources: AdminResource[] = [];
  for (const [index, listing] of listings.entries()) {
    if (listing.status === 'fulfilled') {
      resources.push(...listing.value);
      continue;
    }
    problems++;
    const error: unknown = listing.reason;
    const backend = backends.active[index]?.admin.backend;
    io.stderr.write(
      SnapboxError.isInstance(error)
        ? `snapbox ls: ${error.message}\n`
        : `snapbox ls: backend ${backend} failed to list: ${error instanceof Error ? error.message : String(error)}\n`,
    );
  }
  // Nothing answered: no empty listing that could be mistaken for "nothing there".
  if (backends.active.length > 0 && listings.every((listing) => listing.status === 'rejected')) return 1;

  const containers = resources.filter((r) => r.kind === 'container');
  const snapshots = resources.filter((r) => r.kind === 'snapshot');
  const builds = resources.filter((r) => r.kind === 'build');
  if (values.json) {
    io.stdout.write(`${JSON.stringify({ containers, snapshots, builds }, null, 2)}\n`);
    return problems > 0 ? 1 : 0;
  }
  const { runs, rest } = groupRuns([...containers, ...snapshots]);
  const looseContainers = rest.filter((r) => r.kind === 'container');
  const looseSnapshots = rest.filter((r) => r.kind === 'snapshot');
  io.stdout.write(`Backends: ${backendsLine(backends)}\n\n`);
  io.stdout.write(`CONTAINERS (${looseContainers.length})\n${containersTable(looseContainers)}\n\n`);
  io.stdout.write(`SNAPSHOTS (${looseSnapshots.length})\n${snapshotsTable(looseSnapshots)}\n`);
  if (runs.length > 0) {
    io.stdout.write(
      `\nGO-EXPLORE RUNS (${runs.length}; snapbox prune --run ID removes one)\n${runs.map(runSection).join('\n')}\n`,
    );
  }
  if (builds.length > 0) {
    const buildRows = builds.map((b) => [
      b.name ?? `(untagged) ${shortId(b.id)}`,
      b.backend,
      sizeCell(b),
      formatAge(b.createdAt),
      b.inUse ? 'yes' : 'no',
    ]);
    io.stdout.write(
      `\nBUILDS (${builds.length}, build cache; snapbox prune --include-builds removes unused ones)\n${formatTable([['IMAGE', 'BACKEND', 'SIZE', 'AGE', 'IN USE'], ...buildRows])}\n`,
    );
  }
  return problems > 0 ? 1 : 0;
}
