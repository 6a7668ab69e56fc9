import { type ContainerInfo, listBuilds, listContainers, listSnapshots, type SnapshotInfo } from '@snapbox/docker';
import type { CliIo } from '../cli-io.js';
import { type Command, parseCommandArgs } from '../command.js';
import { formatAge, formatSize, formatTable } from '../format.js';

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

/** `snapbox ls`: what snapbox created on the engine, with owners and lineage. */
export const ls: Command = {
  path: ['ls'],
  summary: 'List the containers and snapshots snapbox created, with owner, liveness, age, size and lineage',
  usage: `Usage: snapbox ls [--json]

Lists every container and snapshot image on the Docker engine (DOCKER_HOST; else the docker
context, then the first local Docker or Podman socket that answers) that carries snapbox's labels: its owner process, whether that process is alive
(unknown for owners on other hosts), age, size, and which snapshot each came from; then the
images fromDockerfile built, kept as build cache.

Options:
  --json       print { containers: [...], snapshots: [...], builds: [...] } as JSON
  -h, --help   show this help

Exit status: 0 on success, 1 when the engine cannot be reached.
`,
  async run(args: readonly string[], io: CliIo): Promise<number> {
    const { values } = parseCommandArgs(args, { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
    if (values.help) {
      io.stdout.write(this.usage);
      return 0;
    }
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
  },
};
