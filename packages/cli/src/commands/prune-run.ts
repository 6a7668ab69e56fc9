import {
  type AdminResource,
  isSelectedForPrune,
  type PruneFailure,
  type PruneResourcesOptions,
  SnapboxError,
} from '@snapbox/core';
import { activeBackends } from '../backends/active-backends.js';
import type { LoadedBackend } from '../backends/load-backends.js';
import type { CliIo } from '../cli-io.js';
import { parseCommandArgs, UsageError } from '../command.js';
import { confirm } from '../confirm.js';
import { formatTable, parseDuration, shortId } from '../format.js';
import { goExploreLabels } from './go-explore-runs.js';
import { notConfirmedExitCode, prune } from './prune.js';

/** What every backend's prune selected, together (the JSON `snapbox prune --json` prints). */
interface MergedReport {
  dryRun: boolean;
  containers: AdminResource[];
  snapshots: AdminResource[];
  builds: AdminResource[];
  errors: (PruneFailure & { backend: string })[];
}

/** The outcome of one prune over several backends. */
interface PruneRound {
  report: MergedReport;
  /** The backends whose prune succeeded. */
  answered: LoadedBackend[];
  /** How many backends failed (each was reported on stderr). */
  failed: number;
}

/** One key per resource, stable between a dry run and the removal that follows it. */
const resourceKey = (resource: AdminResource) => `${resource.backend}\0${resource.kind}\0${resource.id}`;

function reportKeys(report: MergedReport): Set<string> {
  return new Set([...report.containers, ...report.snapshots, ...report.builds].map(resourceKey));
}

function displayId(resource: AdminResource): string {
  if (resource.kind === 'build') return resource.name ?? shortId(resource.id);
  if (resource.kind === 'snapshot' && resource.state !== undefined)
    return `(${resource.state}) ${shortId(resource.id)}`;
  return shortId(resource.id);
}

function ownerCell(resource: AdminResource): string {
  const { pid, host, session } = resource.owner;
  return Number.isFinite(pid) && host !== '' ? `${pid}@${host}` : `session ${session.slice(0, 8)}`;
}

function table(report: MergedReport): string | undefined {
  const rows = [...report.containers, ...report.snapshots, ...report.builds].map((resource) => [
    resource.kind,
    resource.backend,
    displayId(resource),
    ownerCell(resource),
    resource.owner.liveness,
  ]);
  return rows.length === 0 ? undefined : formatTable([['KIND', 'BACKEND', 'ID', 'OWNER', 'OWNER ALIVE'], ...rows]);
}

function summary(report: MergedReport, includeBuilds: boolean): string {
  const verb = report.dryRun ? 'would remove' : 'removed';
  const counts = includeBuilds
    ? `${report.containers.length} container(s), ${report.snapshots.length} snapshot(s) and ${report.builds.length} build(s)`
    : `${report.containers.length} container(s) and ${report.snapshots.length} snapshot(s)`;
  return `${verb} ${counts}${report.errors.length > 0 ? `; ${report.errors.length} failed` : ''}`;
}

function print(report: MergedReport, json: boolean, includeBuilds: boolean, io: CliIo): void {
  if (json) {
    io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  const rows = table(report);
  if (rows !== undefined) io.stdout.write(`${rows}\n`);
  io.stdout.write(`${summary(report, includeBuilds)}\n`);
  for (const error of report.errors) io.stderr.write(`failed: ${error.backend} ${error.id}: ${error.message}\n`);
}

/** Prunes every backend in turn; a backend that fails is reported and the others go on. */
async function pruneAll(
  backends: readonly LoadedBackend[],
  options: PruneResourcesOptions,
  io: CliIo,
): Promise<PruneRound> {
  const report: MergedReport = {
    dryRun: options.dryRun === true,
    containers: [],
    snapshots: [],
    builds: [],
    errors: [],
  };
  const answered: LoadedBackend[] = [];
  let failed = 0;
  for (const backend of backends) {
    try {
      const part = await backend.admin.prune(options);
      report.containers.push(...part.containers);
      report.snapshots.push(...part.snapshots);
      report.builds.push(...part.builds);
      report.errors.push(...part.errors.map((error) => ({ backend: part.backend, ...error })));
      answered.push(backend);
    } catch (error) {
      failed++;
      io.stderr.write(
        SnapboxError.isInstance(error)
          ? `snapbox prune: ${error.message}\n`
          : `snapbox prune: backend ${backend.admin.backend} failed to prune: ${error instanceof Error ? error.message : String(error)}\n`,
      );
    }
  }
  return { report, answered, failed };
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
  if (values.run === '') throw new UsageError('--run needs the id of a Go-Explore run (snapbox ls lists them)');
  const json = values.json === true;
  const includeBuilds = values['include-builds'] === true;
  const allSessions = values['all-sessions'] === true;
  const runId = values.run;
  // What prune would take without --run: what --run takes beyond it needs a confirmation.
  const ordinary: PruneResourcesOptions = {
    olderThanMs,
    allSessions,
    includeKept: values['include-kept'] === true,
    includeBuilds,
  };
  const options: PruneResourcesOptions = {
    ...ordinary,
    // A run's snapshots are kept (they outlive its process on purpose) and its owner may live.
    ...(runId === undefined ? {} : { allSessions: true, includeKept: true, labels: { [goExploreLabels.run]: runId } }),
    session: values.session,
  };

  const backends = await activeBackends('snapbox prune', values.backend, io);
  let problems = backends.problems;
  let targets = backends.active;
  if (values['dry-run']) {
    const { report, failed } = await pruneAll(targets, { ...options, dryRun: true }, io);
    print(report, json, includeBuilds, io);
    return problems + failed > 0 ? 1 : 0;
  }

  let filter: ((resource: AdminResource) => boolean) | undefined;
  if ((allSessions || runId !== undefined) && !values.yes) {
    // What live programs use, or kept snapshots, go only once someone has seen the list and said yes.
    const preview = await pruneAll(targets, { ...options, dryRun: true }, io);
    problems += preview.failed;
    targets = preview.answered;
    const shown = reportKeys(preview.report);
    const now = Date.now();
    const widened =
      allSessions ||
      [...preview.report.containers, ...preview.report.snapshots].some(
        (resource) => !isSelectedForPrune(resource, ordinary, now),
      );
    if (widened) {
      const flag = allSessions ? '--all-sessions' : '--run';
      const what = allSessions ? 'what running programs use' : 'kept snapshots and what running programs use';
      if (io.stdin?.isTTY !== true) {
        // Even when nothing is selected (--all-sessions): a script that forgot --yes fails every
        // time, not only on the day there is something to remove.
        print(preview.report, json, includeBuilds, io);
        io.stderr.write(
          `snapbox prune: ${flag} also removes ${what}, so it needs a confirmation: nothing was removed. Pass --yes to remove the above, or run it on a terminal to be asked.\n`,
        );
        return notConfirmedExitCode;
      }
      if (shown.size > 0) {
        io.stderr.write(
          `${table(preview.report) ?? ''}\n${summary(preview.report, includeBuilds)} (with ${flag}, including ${what}).\n`,
        );
        if (!(await confirm(io, 'Remove them?'))) {
          io.stderr.write('snapbox prune: not confirmed; nothing was removed.\n');
          return notConfirmedExitCode;
        }
      }
    }
    // Exactly what was shown: not what a live program created while the question was open.
    filter = (resource) => shown.has(resourceKey(resource));
  }
  const { report, failed } = await pruneAll(
    targets,
    {
      ...options,
      filter,
      onProgress: json
        ? undefined
        : ({ backend, kind, id, index, total }) =>
            io.stderr.write(`removing ${kind} ${id.slice(0, 40)} (${index + 1}/${total}, ${backend})\n`),
    },
    io,
  );
  print(report, json, includeBuilds, io);
  return report.errors.length > 0 || problems + failed > 0 ? 1 : 0;
}
