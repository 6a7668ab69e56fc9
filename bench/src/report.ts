/** Renders a run's results as docs/benchmarks.md and its SVG charts. */
import type { BenchResults, Tool } from './results.js';
import { allTools, toolLabels } from './results.js';
import { linearFit, median } from './stats.js';
import { barChart } from './svg-chart.js';
import { floorRatio, formatMs, formatRatio, memoryTable, opsTable, windowMedian } from './tables.js';
import { evaluateTargets, opTargetRatio, type TargetOutcome } from './targets.js';

export const toolColors: Record<Tool, string> = {
  floor: '#9e9e9e',
  snapbox: '#1565c0',
  python: '#f9a825',
  cli: '#6a1b9a',
  testcontainers: '#2e7d32',
  bubblewrap: '#c62828',
};

export interface RenderedReport {
  markdown: string;
  /** File name (beside the markdown) → SVG text. */
  charts: Record<string, string>;
  targets: TargetOutcome[];
}

const verdict = (met: boolean | undefined) => (met === undefined ? 'not measured' : met ? '**met**' : '**missed**');

export function renderReport(results: BenchResults, chartPrefix = 'benchmarks'): RenderedReport {
  const targets = evaluateTargets(results);
  const opsChart = `${chartPrefix}-ops.svg`;
  const throughputChart = `${chartPrefix}-throughput.svg`;
  const nonFloor = allTools.filter((tool) => tool !== 'floor');
  const ratioGroups = [...results.ops, ...results.transfers].map((op) => ({
    label: op.label,
    values: Object.fromEntries(nonFloor.map((tool) => [tool, floorRatio(op, tool) ?? Number.NaN])),
  }));
  const charts: Record<string, string> = {
    [opsChart]: barChart({
      title: 'Median time of each operation, relative to the floor (dockerode, fewest calls)',
      subtitle: `${results.machine.cores} cores, Docker ${results.machine.engine}, ${results.mode} run of ${results.startedAt.slice(0, 10)}; log scale, 1.0 = floor`,
      series: nonFloor.map((tool) => ({ id: tool, label: toolLabels[tool], color: toolColors[tool] })),
      groups: ratioGroups,
      axisLabel: 'median time ÷ floor median (same run)',
      scale: 'log',
      references: [
        { value: 1, label: 'floor' },
        { value: opTargetRatio, label: `target ${opTargetRatio}×` },
      ],
      format: (value) => `${value < 10 ? value.toFixed(2) : value.toFixed(0)}×`,
    }),
  };
  const chainChart = `${chartPrefix}-chain.svg`;
  if (results.chains.length > 0) {
    const longest = Math.max(...results.chains.map((chain) => chain.generations.length));
    const bucket = longest > 60 ? 25 : 5;
    const groups = [];
    for (let from = 1; from <= longest; from += bucket) {
      const to = Math.min(from + bucket - 1, longest);
      groups.push({
        label: `generations ${from}–${to}`,
        values: Object.fromEntries(
          results.chains.map((chain) => {
            const slice = chain.generations.slice(from - 1, to);
            return [chain.tool, slice.length > 0 ? median(slice) : Number.NaN];
          }),
        ),
      });
    }
    charts[chainChart] = barChart({
      title: 'Time per generation along the snapshot chain (restore + exec + snapshot)',
      subtitle: `median of each ${bucket} generations; snapbox flattens before the engine's layer limit, the floor stops at it`,
      series: results.chains.map((chain) => ({
        id: chain.tool,
        label: toolLabels[chain.tool],
        color: toolColors[chain.tool],
      })),
      groups,
      axisLabel: 'ms per generation',
      scale: 'linear',
      format: (value) => value.toFixed(0),
    });
  }
  const throughputTools = [...new Set(results.throughput.map((row) => row.tool))];
  if (results.throughput.length > 0) {
    const keys = [...new Set(results.throughput.map((row) => `${row.kind}|${row.concurrency}`))].sort((a, b) => {
      const [kindA, nA] = a.split('|');
      const [kindB, nB] = b.split('|');
      return kindA === kindB ? Number(nA) - Number(nB) : kindA === 'exec' ? -1 : 1;
    });
    charts[throughputChart] = barChart({
      title: 'Throughput with N concurrent containers',
      subtitle: 'exec `true` per second, and snapshot → restore → exec → remove → delete cycles per second',
      series: throughputTools.map((tool) => ({ id: tool, label: toolLabels[tool], color: toolColors[tool] })),
      groups: keys.map((key) => {
        const [kind, concurrency] = key.split('|');
        return {
          label: `${kind === 'exec' ? 'execs/s' : 'cycles/s'}, ${concurrency} container${concurrency === '1' ? '' : 's'}`,
          values: Object.fromEntries(
            results.throughput
              .filter((row) => `${row.kind}|${row.concurrency}` === key && !row.error)
              .map((row) => [row.tool, row.perSecond]),
          ),
        };
      }),
      axisLabel: 'operations per second (higher is better)',
      scale: 'log',
      format: (value) => (value < 10 ? value.toFixed(2) : value.toFixed(1)),
    });
  }

  const m = results.machine;
  const lines: string[] = [];
  lines.push('# Benchmarks', '');
  lines.push(
    `snapbox's Docker backend timed against the floor (the fewest Engine API calls that do the job, made directly with dockerode) and against the tools one would use instead — the Python Docker SDK driven the way ARES drives it, the docker CLI, and testcontainers-node — **in one run, on one engine**. Each ratio is a tool's median over the floor's median from the same run; repetitions of the tools are interleaved, so load from elsewhere falls on all of them alike.`,
    '',
  );
  lines.push(
    'Reproduce (from the repository root; builds the bench and its dependencies, starts the engine and the fixture images if needed):',
    '',
  );
  lines.push('```sh', results.command, '```', '');
  lines.push(
    'Add `--quick` for a smoke run (fewer repetitions, 10 MiB transfers only, up to 8 containers, a 20-deep chain). The run never fails the build: it reports targets met or missed.',
    '',
  );

  lines.push('## Machine', '');
  lines.push('| | |', '|---|---|');
  lines.push(`| CPU | ${m.cpu}, ${m.cores} cores |`);
  lines.push(`| memory | ${m.memoryGiB} GiB |`);
  lines.push(`| OS / kernel | ${m.os} / ${m.kernel} |`);
  lines.push(`| snapbox measured | ${m.snapbox ?? 'unknown'} |`);
  lines.push(`| Docker engine | ${m.engine} (API ${m.engineApi}), storage driver ${m.storageDriver} |`);
  lines.push(`| docker CLI | ${m.dockerCli} |`);
  lines.push(`| Node.js | ${m.node} |`);
  lines.push(`| Python / Docker SDK | ${m.python} / docker ${m.dockerPy} (Debian python3-docker) |`);
  lines.push(`| testcontainers | ${m.testcontainers} (Ryuk disabled: no registry to pull it from) |`);
  lines.push(`| load average (1/5/15 min) | before ${m.loadBefore}; after ${m.loadAfter ?? '–'} |`);
  const minutes =
    results.finishedAt === undefined
      ? undefined
      : (Date.parse(results.finishedAt) - Date.parse(results.startedAt)) / 60_000;
  lines.push(
    `| run | ${results.mode}, ${results.startedAt} → ${results.finishedAt ?? '–'}${minutes === undefined ? '' : ` (${minutes.toFixed(1)} min)`}, image \`${results.image}\` |`,
  );
  lines.push('');

  lines.push('## Targets', '');
  lines.push('| target | verdict | numbers |', '|---|---|---|');
  for (const outcome of targets) {
    lines.push(`| ${outcome.target} | ${verdict(outcome.met)} | ${outcome.detail.join(' ')} |`);
  }
  lines.push('');
  const misses = targets.filter((outcome) => outcome.why.length > 0);
  if (misses.length > 0) {
    lines.push('### Why the missed targets are missed, and what would fix them', '');
    for (const outcome of misses) {
      lines.push(`- ${outcome.target}:`);
      for (const why of outcome.why) lines.push(`  - ${why}`);
    }
    lines.push('');
  }

  lines.push('## Single operations', '');
  lines.push(
    `Each cell: median ms (p95 ms) · **median ÷ floor median**. ${results.ops[0] ? `Repetitions per tool: ${describeReps(results.ops)}.` : ''} Every tool runs the same shell command under \`bash -lc\` (snapbox's string form and ARES's \`exec_run\`).`,
    '',
  );
  lines.push(opsTable(results.ops, allTools), '');
  lines.push(`![ratio of each tool to the floor, per operation](${opsChart})`, '');

  if (results.transfers.length > 0) {
    lines.push('## File transfers', '');
    lines.push(
      `One local file to \`/tmp/payload.bin\` and back. Each (tool, size, direction) ran in a fresh process; ${describeReps(results.transfers)} repetitions after a 1 KiB warm-up. Same cell format as above.`,
      '',
    );
    lines.push(opsTable(results.transfers, allTools), '');
    lines.push(
      'Peak resident memory of the benchmarking process during one transfer, above its resident memory just before it (largest over the repetitions; the kernel high-water mark, reset before each transfer). For the docker CLI: the peak RSS of the `docker cp` process itself, sampled every 5 ms.',
      '',
    );
    lines.push(memoryTable(results.transfers, allTools), '');
  }

  if (results.throughput.length > 0) {
    lines.push('## Throughput with concurrent containers', '');
    lines.push(
      'N workers, each with its own container, repeat the operation until the time is up; throughput is the operations finished over the time until the last one finished. A *cycle* is snapshot → restore → first exec → remove the copy → delete the snapshot. Python runs its workers as asyncio tasks over `asyncio.to_thread` (the default executor, as ARES does); snapbox and the floor as concurrent promises.',
      '',
    );
    const concurrencies = [...new Set(results.throughput.map((row) => row.concurrency))].sort((a, b) => a - b);
    const kindLabel = (kind: string) => (kind === 'exec' ? 'exec `true`' : 'snapshot/restore cycle');
    lines.push(
      `| operation | containers | ${throughputTools.map((tool) => toolLabels[tool]).join(' | ')} | snapbox ÷ Python |`,
      `|---|---:|${throughputTools.map(() => '---:').join('|')}|---:|`,
    );
    for (const kind of ['exec', 'cycle'] as const) {
      for (const concurrency of concurrencies) {
        const find = (tool: Tool) =>
          results.throughput.find((r) => r.kind === kind && r.tool === tool && r.concurrency === concurrency);
        const cells = throughputTools.map((tool) => {
          const row = find(tool);
          if (!row) return '–';
          if (row.error) return 'failed²';
          return `${row.perSecond.toFixed(row.perSecond < 10 ? 2 : 1)}/s`;
        });
        const snapbox = find('snapbox');
        const python = find('python');
        const versus =
          snapbox && python && !snapbox.error && !python.error && python.perSecond > 0
            ? `**${formatRatio(snapbox.perSecond / python.perSecond)}**`
            : '–';
        lines.push(`| ${kindLabel(kind)} | ${concurrency} | ${cells.join(' | ')} | ${versus} |`);
      }
    }
    lines.push(
      '',
      "Per run: latency of one operation (median, p95), CPU time of the client process per operation, and how busy the whole machine's CPUs were during the run (all processes: the engine, the client, and anything else running).",
      '',
      '| operation | containers | tool | latency median (p95) | client CPU / op | machine CPU busy |',
      '|---|---:|---|---:|---:|---:|',
    );
    for (const kind of ['exec', 'cycle'] as const) {
      for (const concurrency of concurrencies) {
        for (const tool of throughputTools) {
          const row = results.throughput.find(
            (r) => r.kind === kind && r.tool === tool && r.concurrency === concurrency,
          );
          if (!row || row.error) continue;
          lines.push(
            `| ${kindLabel(kind)} | ${concurrency} | ${toolLabels[tool]} | ${formatMs(row.latencyMedianMs)} ms (${formatMs(row.latencyP95Ms)}) | ${row.clientCpuMsPerOp === undefined ? '–' : `${formatMs(row.clientCpuMsPerOp)} ms`} | ${row.machineBusy === undefined ? '–' : `${Math.round(row.machineBusy * 100)} %`} |`,
          );
        }
      }
    }
    lines.push('', `![throughput by concurrency](${throughputChart})`, '');
  }

  if (results.chains.length > 0) {
    lines.push('## A 300-deep snapshot chain'.replace('300', String(Math.max(...results.chainDepths))), '');
    lines.push(
      "restore → `echo N >> /chain` → snapshot, each generation from the previous one's snapshot; the previous container and snapshot are retired while the next generation runs. Time per generation = restore + exec + snapshot, median of the 10 generations ending at that depth.",
      '',
    );
    lines.push(
      `| depth | ${results.chains.map((chain) => toolLabels[chain.tool]).join(' | ')} |`,
      `|---:|${results.chains.map(() => '---:').join('|')}|`,
    );
    for (const depth of results.chainDepths) {
      const cells = results.chains.map((chain) => {
        const value = windowMedian(chain.generations, depth);
        if (value !== undefined) return `${formatMs(value)} ms`;
        if (chain.failedAt && chain.failedAt.generation <= depth)
          return `failed at generation ${chain.failedAt.generation}`;
        return '–';
      });
      lines.push(`| ${depth} | ${cells.join(' | ')} |`);
    }
    lines.push('');
    for (const chain of results.chains) {
      if (chain.failedAt) {
        lines.push(
          `- ${toolLabels[chain.tool]} stopped at generation ${chain.failedAt.generation}: \`${chain.failedAt.error}\``,
        );
      } else {
        const flattenTimes = chain.flattened.map((generation) =>
          formatMs(chain.generations[generation - 1] ?? Number.NaN),
        );
        lines.push(
          `- ${toolLabels[chain.tool]}: ${chain.generations.length} generations${chain.flattened.length > 0 ? `, flattened into one layer at generations ${chain.flattened.join(', ')} (those generations took ${flattenTimes.join(', ')} ms)` : ''}; the last snapshot has ${chain.lastLayers ?? '?'} layers, and restoring it shows all ${chain.generations.length} lines.`,
        );
      }
      const fit = linearFit(chain.layers ?? [], chain.generations);
      if (fit !== undefined && (chain.layers ?? []).length === chain.generations.length) {
        lines.push(
          `  Least squares over all its generations: ${formatMs(fit.intercept)} ms + ${fit.slope.toFixed(1)} ms per layer under the container (${formatMs(fit.intercept + fit.slope * 100)} ms at 100 layers).`,
        );
      }
    }
    lines.push('');
    lines.push(`![time per generation along the chain](${chainChart})`, '');
  }

  if (results.exitCleanup.length > 0) {
    lines.push('## Cleanup at exit (issue 4)', '');
    lines.push(
      'A child process starts N snapbox containers and calls `process.exit()`. Time from just before `process.exit()` to the end of the process, as its parent saw it; "in the handler" is measured inside the exit handlers. Afterwards the engine is asked for the child\'s containers.',
      '',
    );
    lines.push(
      '| cleanup | containers | exit → process gone | in the handler | per container | left on the engine |',
      '|---|---:|---:|---:|---:|---:|',
    );
    for (const row of results.exitCleanup) {
      const what =
        row.mode === 'stopAndRemoveSync'
          ? "`stopAndRemoveSync()` on each, in the program's `process.on('exit')`"
          : "nothing in the program: the library's own exit cleanup";
      lines.push(
        `| ${what} | ${row.containers} | ${formatMs(row.exitToEndMs)} ms | ${row.handlerMs === undefined ? '–' : `${formatMs(row.handlerMs)} ms`} | ${formatMs(row.exitToEndMs / row.containers)} ms | ${row.leftover} |`,
      );
    }
    lines.push('');
    const perCall = results.exitCleanup.find((row) => row.mode === 'stopAndRemoveSync');
    const batched = results.exitCleanup.find((row) => row.mode === 'session-cleanup');
    const startup = results.exitCleanupBreakdown;
    if (perCall !== undefined && startup !== undefined) {
      lines.push(
        `Where one \`stopAndRemoveSync()\` goes: it blocks on \`spawnSync\` of a Node process (snapbox's sync worker) that loads dockerode and removes one container. On this machine, starting Node takes ${formatMs(startup.nodeStartMs)} ms and starting Node and loading dockerode ${formatMs(startup.nodeWithDockerodeMs)} ms (medians), of the ${formatMs(perCall.exitToEndMs / perCall.containers)} ms per call; the rest is the removal itself, one container at a time.${batched ? ` The library's exit cleanup pays the start-up once and removes all ${batched.containers} in parallel (${formatMs(batched.exitToEndMs)} ms in all).` : ''}`,
        '',
      );
    }
  }

  lines.push('## Go-Explore', '');
  const ge = results.goExplore;
  if (ge.status === 'ran') {
    lines.push(
      `A small Go-Explore run from \`@snapbox/go-explore\` on Docker: ${ge.iterations} iterations, ${ge.returns} returns, ${ge.cells} cells in ${formatMs(ge.totalMs ?? Number.NaN)} ms (${(ge.returnsPerSecond ?? 0).toFixed(2)} returns/s). Phase times (ms, summed over workers): ${Object.entries(
        ge.timing ?? {},
      )
        .map(([phase, ms]) => `${phase} ${formatMs(ms)}`)
        .join(', ')}.`,
      '',
    );
  } else {
    lines.push(`Not measured in this run: ${ge.reason}`, '');
  }

  const profiled = results.ops.filter((op) => op.apiCalls?.snapbox && op.apiCalls.floor);
  if (profiled.length > 0) {
    lines.push('## Where the time goes: Engine API calls per operation', '');
    lines.push(
      "Calls per repetition recorded on the dockerode clients of snapbox and of the floor (time until the engine answered, median; streams such as exec output are read after the answer and are not in these times), and the CPU time the benchmarking process spent per repetition (median): the rest of the wall time is the engine's.",
      '',
    );
    lines.push('| operation | floor | snapbox |', '|---|---|---|');
    for (const op of profiled) {
      const describe = (tool: 'floor' | 'snapbox') =>
        [
          ...Object.entries(op.apiCalls?.[tool]?.byEndpoint ?? {}).map(
            ([endpoint, entry]) => `${entry.perRep}× \`${endpoint}\` ${formatMs(entry.medianMs)} ms`,
          ),
          `client CPU ${formatMs(median(op.cpuMs?.[tool] ?? []))} ms`,
        ].join('<br>');
      lines.push(`| ${op.label} | ${describe('floor')} | ${describe('snapbox')} |`);
    }
    lines.push('');
  }

  lines.push('## How each tool is driven', '');
  lines.push(
    '- **floor**: dockerode, the fewest calls: create + start (same config as snapbox: keep-alive entrypoint, `Init`), exec create + start + inspect, one archive call per transfer (streamed with tar-stream), commit, image remove.',
    "- **snapbox**: `createDockerFactory()`, `fromImage` / `fromSnapshot` + `start()`, `exec('…')`, `uploadFile` / `downloadFile`, `snapshot()`, `deleteSnapshot()`, `stop()`; defaults (watchdog on).",
    '- **Python SDK (as ARES)**: python/ares_driver.py, ARES\'s calls: `containers.run(command="tail -f /dev/null", detach=True)`, `exec_run(["bash", "-lc", cmd])`, tar built in memory + `exec_run("mkdir -p …")` + `put_archive`, `get_archive` joined in memory, `commit`, `images.remove`, each through `asyncio.to_thread`. Times are measured inside Python. Containers are removed with `remove(force=True)` only: ARES\'s `stop()` first calls `container.stop()`, which waits out the 10 s grace period because `tail -f /dev/null` as PID 1 ignores SIGTERM — leaving that out favours Python.',
    '- **docker CLI**: one `docker` process per operation: `run -d --init`, `exec`, `cp`, `commit`, `rmi`, `rm -f`.',
    '- **testcontainers**: `GenericContainer(...).withEntrypoint(...).start()`, `exec`, `copyFilesToContainer`, `copyArchiveFromContainer`, `commit`; it has no call to delete an image (¹).',
    '',
    '¹ n/a: the tool has no such operation. ² failed: see `notes` below.',
    '',
  );
  const failures = [...results.ops, ...results.transfers].flatMap((op) =>
    Object.entries(op.failed ?? {}).map(([tool, error]) => `${op.label}, ${tool}: ${error}`),
  );
  const throughputFailures = results.throughput
    .filter((row) => row.error)
    .map((row) => `throughput ${row.kind} ×${row.concurrency}, ${row.tool}: ${row.error}`);
  const notes = [...results.notes, ...failures, ...throughputFailures];
  if (notes.length > 0) {
    lines.push('### Notes', '');
    for (const note of notes) lines.push(`- ${note}`);
    lines.push('');
  }
  return { markdown: lines.join('\n'), charts, targets };
}

function describeReps(ops: BenchResults['ops']): string {
  const counts = ops.flatMap((op) => Object.values(op.samples).map((samples) => samples.length));
  if (counts.length === 0) return '0';
  const low = Math.min(...counts);
  const high = Math.max(...counts);
  return low === high ? String(low) : `${low}–${high}`;
}
