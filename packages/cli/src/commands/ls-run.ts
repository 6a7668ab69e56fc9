import { type ContainerInfo, listBuilds, listContainers, listSnapshots, type SnapshotInfo } from '@snapbox/docker';
import type { CliIo } from '../cli-io.js';
import { parseCommandArgs } from '../command.js';
import { formatAge, formatSize, formatTable } from '../format.js';
import { ls } from './ls.js';

function ownerCell(owner: ContainerInfo['owner']): string {
  return `${owner.pid}@${owner.host}`;
}

/** Snapshots as a forest: each under the snapshot it was taken from, roots first. */
function lineage(snapshots: readonly SnapshotInfo[]): { snapshot: SnapshotInfo; depth: number }[] {
  const byId = new Map(snapshots.filter((s) => s.id !== undefined).map((s) => [s.id as string, s]));
  const children = new Map<string, SnapshotInfo[]>();
  const roots: SnapshotInfo[] = [];
  for (const snapshot of snapshots) {
    const parent = snapshot.parentSnapshot;
    if (parent !== undefined && byId.has(parent) && parent !== snapshot.id) {
      children.set(parent, [...(children.get(parent) ?? []), snapshot]);
    } else {
      roots.push(snapshot);
    }
  }
  const out: { snapshot: SnapshotInfo; depth: number }[] = [];
  const visit = (snapshot: SnapshotInfo, depth: number) => {
    out.push({ snapshot, depth });
    for (const child of children.get(snapshot.id ?? '') ?? []) visit(child, depth + 1);
  };
  for (const root of roots.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())) visit(root, 0);
  return out;
}

/** Runs `snapbox ls` (see {@link ls} for its usage). */
export async function run(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(args, ls.options);
  const [containers, snapshots, builds] = await Promise.all([listContainers(), listSnapshots(), listBuilds()]);
  if (values.json) {
    io.stdout.write(`${JSON.stringify({ containers, snapshots, builds }, null, 2)}\n`);
    return 0;
  }
  const containerRows = containers.map((c) => [
    c.id.slice(0, 12),
    c.name,
    c.state,
    ownerCell(c.owner),
    c.owner.liveness,
    formatAge(c.createdAt),
    c.parentSnapshot ?? c.baseImage,
  ]);
  io.stdout.write(
    `CONTAINERS (${containers.length})\n${formatTable([['ID', 'NAME', 'STATE', 'OWNER', 'OWNER ALIVE', 'AGE', 'FROM'], ...containerRows])}\n\n`,
  );
  const snapshotRows = lineage(snapshots).map(({ snapshot, depth }) => [
    `${'  '.repeat(depth)}${depth > 0 ? '└ ' : ''}${snapshot.id ?? `(deleted, in use) ${snapshot.imageId.slice(7, 19)}`}`,
    formatSize(snapshot.sizeBytes),
    formatAge(snapshot.createdAt),
    ownerCell(snapshot.owner),
    snapshot.owner.liveness,
    snapshot.keep ? 'kept' : 'session',
    depth === 0 ? (snapshot.parentSnapshot ?? snapshot.baseImage) : '',
  ]);
  io.stdout.write(
    `SNAPSHOTS (${snapshots.length})\n${formatTable([['SNAPSHOT', 'SIZE', 'AGE', 'OWNER', 'OWNER ALIVE', 'SCOPE', 'FROM'], ...snapshotRows])}\n`,
  );
  if (builds.length > 0) {
    const buildRows = builds.map((b) => [
      b.tag ?? `(untagged) ${b.imageId.slice(7, 19)}`,
      formatSize(b.sizeBytes),
      formatAge(b.createdAt),
      b.inUse ? 'yes' : 'no',
    ]);
    io.stdout.write(
      `\nBUILDS (${builds.length}, build cache; snapbox prune --include-builds removes unused ones)\n${formatTable([['IMAGE', 'SIZE', 'AGE', 'IN USE'], ...buildRows])}\n`,
    );
  }
  return 0;
}
