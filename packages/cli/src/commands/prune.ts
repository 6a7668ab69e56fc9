import { prune as pruneResources } from '@snapbox/docker';
import type { CliIo } from '../cli-io.js';
import { type Command, parseCommandArgs, UsageError } from '../command.js';
import { formatTable, parseDuration } from '../format.js';

/** `snapbox prune`: removes what belongs to owners that are gone. */
export const prune: Command = {
  path: ['prune'],
  summary: 'Remove the containers and snapshots of processes that are gone',
  usage: `Usage: snapbox prune [--dry-run] [--older-than DURATION] [--all-sessions] [--include-kept]
                    [--include-builds] [--json]

Removes containers and session snapshots that snapbox created and whose owner process is
dead (checked by pid and start time on this host). Nothing without snapbox's labels is ever
touched, nor anything of the process running this command.

Options:
  --dry-run                show what would be removed, remove nothing
  --older-than DURATION    only what is older (90s, 30m, 12h, 7d); also prunes owners on other
                           hosts, whose liveness cannot be checked from here
  --all-sessions           also what belongs to live processes
  --include-kept           also snapshots made with keep: true
  --include-builds         also the images fromDockerfile built (build cache) that no container
                           uses, whoever built them; with --older-than, only older ones
  --json                   print the report as JSON
  -h, --help               show this help

Exit status: 0 when everything selected was removed (or nothing was selected), 1 when a
removal failed or the engine cannot be reached, 2 for bad arguments.
`,
  async run(args: readonly string[], io: CliIo): Promise<number> {
    const { values } = parseCommandArgs(args, {
      'dry-run': { type: 'boolean' },
      'older-than': { type: 'string' },
      'all-sessions': { type: 'boolean' },
      'include-kept': { type: 'boolean' },
      'include-builds': { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      io.stdout.write(this.usage);
      return 0;
    }
    let olderThanMs: number | undefined;
    if (values['older-than'] !== undefined) {
      olderThanMs = parseDuration(values['older-than']);
      if (olderThanMs === undefined) {
        throw new UsageError(
          `--older-than takes a duration such as 90s, 30m, 12h or 7d, got ${JSON.stringify(values['older-than'])}`,
        );
      }
    }
    const report = await pruneResources({
      dryRun: values['dry-run'] === true,
      allSessions: values['all-sessions'] === true,
      includeKept: values['include-kept'] === true,
      includeBuilds: values['include-builds'] === true,
      ...(olderThanMs === undefined ? {} : { olderThanMs }),
      onProgress: values.json
        ? undefined
        : ({ kind, id, index, total }) =>
            io.stderr.write(`removing ${kind} ${id.slice(0, 40)} (${index + 1}/${total})\n`),
    });
    if (values.json) {
      io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    } else {
      const verb = report.dryRun ? 'would remove' : 'removed';
      const rows = [
        ...report.containers.map((c) => [
          'container',
          c.id.slice(0, 12),
          `${c.owner.pid}@${c.owner.host}`,
          c.owner.liveness,
        ]),
        ...report.snapshots.map((s) => [
          'snapshot',
          s.id ?? s.imageId.slice(7, 19),
          `${s.owner.pid}@${s.owner.host}`,
          s.owner.liveness,
        ]),
        ...report.builds.map((b) => [
          'build',
          b.tag ?? b.imageId.slice(7, 19),
          `${b.owner.pid}@${b.owner.host}`,
          b.owner.liveness,
        ]),
      ];
      if (rows.length > 0) io.stdout.write(`${formatTable([['KIND', 'ID', 'OWNER', 'OWNER ALIVE'], ...rows])}\n`);
      io.stdout.write(
        `${verb} ${report.containers.length} container(s)${values['include-builds'] ? `, ${report.snapshots.length} snapshot(s) and ${report.builds.length} build(s)` : ` and ${report.snapshots.length} snapshot(s)`}${report.errors.length > 0 ? `; ${report.errors.length} failed` : ''}\n`,
      );
      for (const error of report.errors) io.stderr.write(`failed: ${error.id}: ${error.message}\n`);
    }
    return report.errors.length > 0 ? 1 : 0;
  },
};
