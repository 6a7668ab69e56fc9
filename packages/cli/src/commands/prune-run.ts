import { type PruneCandidate, type PruneReport, prune as pruneResources } from '@snapbox/docker';
import type { CliIo } from '../cli-io.js';
import { parseCommandArgs, UsageError } from '../command.js';
import { confirm } from '../confirm.js';
import { formatTable, parseDuration } from '../format.js';
import { notConfirmedExitCode, prune } from './prune.js';

/** One key per resource, stable between a dry run and the removal that follows it. */
function candidateKey(candidate: PruneCandidate): string {
  return candidate.kind === 'container'
    ? `container:${candidate.resource.id}`
    : `${candidate.kind}:${candidate.resource.imageId}`;
}

function reportKeys(report: PruneReport): Set<string> {
  return new Set([
    ...report.containers.map((resource) => candidateKey({ kind: 'container', resource })),
    ...report.snapshots.map((resource) => candidateKey({ kind: 'snapshot', resource })),
    ...report.builds.map((resource) => candidateKey({ kind: 'build', resource })),
  ]);
}

function table(report: PruneReport): string | undefined {
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
  return rows.length === 0 ? undefined : formatTable([['KIND', 'ID', 'OWNER', 'OWNER ALIVE'], ...rows]);
}

function summary(report: PruneReport, includeBuilds: boolean): string {
  const verb = report.dryRun ? 'would remove' : 'removed';
  const counts = includeBuilds
    ? `${report.containers.length} container(s), ${report.snapshots.length} snapshot(s) and ${report.builds.length} build(s)`
    : `${report.containers.length} container(s) and ${report.snapshots.length} snapshot(s)`;
  return `${verb} ${counts}${report.errors.length > 0 ? `; ${report.errors.length} failed` : ''}`;
}

function print(report: PruneReport, json: boolean, includeBuilds: boolean, io: CliIo): void {
  if (json) {
    io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  const rows = table(report);
  if (rows !== undefined) io.stdout.write(`${rows}\n`);
  io.stdout.write(`${summary(report, includeBuilds)}\n`);
  for (const error of report.errors) io.stderr.write(`failed: ${error.id}: ${error.message}\n`);
}

/** Runs `snapbox prune` (see {@link prune} for its usage). */
export async function run(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(args, prune.options);
  let olderThanMs: number | undefined;
  if (values['older-than'] !== undefined) {
    olderThanMs = parseDuration(values['older-than']);
    if (olderThanMs === undefined) {
      throw new UsageError(
        `--older-than takes a duration such as 90s, 30m, 12h or 7d, got ${JSON.stringify(values['older-than'])}`,
      );
    }
  }
  if (values.session === '') throw new UsageError('--session needs a session id (owner.session in snapbox ls --json)');
  const json = values.json === true;
  const includeBuilds = values['include-builds'] === true;
  const session = values.session;
  const options = {
    allSessions: values['all-sessions'] === true,
    includeKept: values['include-kept'] === true,
    includeBuilds,
    ...(olderThanMs === undefined ? {} : { olderThanMs }),
    ...(session === undefined
      ? {}
      : { filter: (candidate: PruneCandidate) => candidate.resource.owner.session === session }),
  };

  if (values['dry-run']) {
    print(await pruneResources({ ...options, dryRun: true }), json, includeBuilds, io);
    return 0;
  }

  let filter = options.filter;
  if (options.allSessions && !values.yes) {
    // What live programs use is removed only once someone has seen the list and said yes.
    const preview = await pruneResources({ ...options, dryRun: true });
    const shown = reportKeys(preview);
    if (io.stdin?.isTTY !== true) {
      // Even when nothing is selected: a script that forgot --yes fails every time, not only
      // on the day there is something to remove.
      print(preview, json, includeBuilds, io);
      io.stderr.write(
        'snapbox prune: --all-sessions also removes what running programs use, so it needs a confirmation: nothing was removed. Pass --yes to remove the above, or run it on a terminal to be asked.\n',
      );
      return notConfirmedExitCode;
    }
    if (shown.size > 0) {
      io.stderr.write(
        `${table(preview) ?? ''}\n${summary(preview, includeBuilds)} (with --all-sessions, including what running programs use).\n`,
      );
      if (!(await confirm(io, 'Remove them?'))) {
        io.stderr.write('snapbox prune: not confirmed; nothing was removed.\n');
        return notConfirmedExitCode;
      }
    }
    // Exactly what was shown: not what a live program created while the question was open.
    filter = (candidate) => shown.has(candidateKey(candidate)) && (options.filter?.(candidate) ?? true);
  }

  const report = await pruneResources({
    ...options,
    ...(filter === undefined ? {} : { filter }),
    onProgress: json
      ? undefined
      : ({ kind, id, index, total }) =>
          io.stderr.write(`removing ${kind} ${id.slice(0, 40)} (${index + 1}/${total})\n`),
  });
  print(report, json, includeBuilds, io);
  return report.errors.length > 0 ? 1 : 0;
}
