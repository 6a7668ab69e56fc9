/** The issue's targets, checked against a run's numbers; misses come with where the time went. */
import type { ApiCallProfile, BenchResults, OpResult, ThroughputResult } from './results.js';
import { linearFit, median, p95 } from './stats.js';
import { floorRatio, formatMiB, formatMs, formatRatio, windowMedian } from './tables.js';

export interface TargetOutcome {
  target: string;
  /** undefined: not measured in this run. */
  met: boolean | undefined;
  /** The numbers behind the verdict. */
  detail: string[];
  /** For a miss: where the time goes and what would fix it. */
  why: string[];
}

export const opTargetRatio = 1.1;
export const throughputTargetRatio = 2;
export const memoryTargetMiB = 64;
export const chainTargetRatio = 1.5;

/** Engine API calls snapbox makes per repetition beyond the floor's, with their median time. */
export function extraCalls(
  snapbox: ApiCallProfile | undefined,
  floor: ApiCallProfile | undefined,
): { endpoint: string; extra: number; medianMs: number }[] {
  if (snapbox === undefined || floor === undefined) return [];
  const out: { endpoint: string; extra: number; medianMs: number }[] = [];
  for (const [endpoint, entry] of Object.entries(snapbox.byEndpoint)) {
    const extra = entry.perRep - (floor.byEndpoint[endpoint]?.perRep ?? 0);
    if (extra > 0) out.push({ endpoint, extra, medianMs: entry.medianMs });
  }
  return out.sort((a, b) => b.extra * b.medianMs - a.extra * a.medianMs);
}

/**
 * What would bring an operation back to the floor, by operation, from reading
 * packages/docker/src against the extra calls measured. Shown only for misses.
 */
const fixes: Record<string, string> = {
  start:
    '`DockerContainer.#start` (docker-container.ts) inspects the image before the create (`ensureImage`) and the container after the start (for the engine-assigned name and the GPU check); the floor does neither. Reading the name lazily, and the GPU check only when a GPU was asked for, would drop the container inspect; caching the image inspect per image id for the process would drop the other.',
  restore:
    '`fromSnapshot(...).start()` inspects the snapshot image (to check our labels and read its config) and the new container (for its name) on top of create + start; caching the inspect of images this process committed itself (it wrote them) and reading the name lazily would leave create + start + exec as in the floor.',
  return:
    'A return is snapshot + restore + exec: the restore part carries the extra image and container inspects (see "restore"); the commit is the same single call as the floor.',
  'exec-true':
    '`runExec` (exec-runner.ts) makes the same three calls as the floor; `exitCodeOf` sleeps 20 ms whenever the first exec inspect still reports the command running, where the floor asks again at once, so retrying without the sleep for the first attempts would remove that tail.',
  'exec-1mib':
    '`ExecOutputCollector` (core, exec-output.ts) decodes every chunk twice, once for the streaming callbacks even when there are none, and keeps the text twice (`output` and `stdout`); skipping the callback decoder when no callback is set halves the decoding.',
  'delete-snapshot':
    '`deleteSnapshotImage` (snapshot-images.ts) inspects the image to check our label before removing it; the floor only removes. The check is what makes deletion refuse foreign images, but for a snapshot this process committed itself (the session tracker holds the ids) it could be skipped.',
  'snapshot-0':
    '`commitSnapshot` sends the image config along with the commit (so the keep-alive command stays out of the snapshot): the same single call as the floor, so a gap here is noise.',
};

/**
 * Why snapbox's median exceeds the floor's for one operation, from the numbers: the Engine API
 * calls it makes beyond the floor's, the extra CPU time it spends in the client, and what
 * neither accounts for (the engine taking longer in snapbox's repetitions than in the floor's).
 */
export function explainOpMiss(op: OpResult, value: number): string {
  const snap = median(op.samples.snapbox ?? []);
  const floor = median(op.samples.floor ?? []);
  const gap = snap - floor;
  const parts = [
    `**${op.label}**: ${formatRatio(value)} (${formatMs(snap)} ms vs ${formatMs(floor)} ms, +${formatMs(gap)} ms).`,
  ];
  let explained = 0;
  if (op.apiCalls?.snapbox && op.apiCalls.floor) {
    const extra = extraCalls(op.apiCalls.snapbox, op.apiCalls.floor);
    const extraMs = extra.reduce((sum, call) => sum + call.extra * call.medianMs, 0);
    explained += extraMs;
    parts.push(
      extra.length > 0
        ? `snapbox makes ${op.apiCalls.snapbox.calls} Engine API calls per repetition where the floor makes ${op.apiCalls.floor.calls}; the extra ${extra.map((call) => `\`${call.endpoint}\` ×${call.extra} (median ${formatMs(call.medianMs)} ms)`).join(', ')} account for ~${formatMs(extraMs)} ms.`
        : `snapbox makes the same ${op.apiCalls.snapbox.calls} Engine API calls as the floor.`,
    );
  }
  const snapCpu = op.cpuMs?.snapbox;
  const floorCpu = op.cpuMs?.floor;
  if (snapCpu && floorCpu && snapCpu.length > 0 && floorCpu.length > 0) {
    const cpuGap = median(snapCpu) - median(floorCpu);
    explained += Math.max(cpuGap, 0);
    parts.push(
      `Client CPU per repetition: snapbox ${formatMs(median(snapCpu))} ms, floor ${formatMs(median(floorCpu))} ms (${cpuGap >= 0 ? '+' : ''}${formatMs(cpuGap)} ms).`,
    );
  }
  const rest = gap - explained;
  if (op.apiCalls?.snapbox || snapCpu) {
    if (rest > gap / 2) {
      parts.push(
        `The remaining ~${formatMs(rest)} ms are in neither: the engine took longer in snapbox's repetitions than in the floor's (p95: snapbox ${formatMs(p95(op.samples.snapbox ?? []))} ms, floor ${formatMs(p95(op.samples.floor ?? []))} ms), which is this run's noise, not a cost snapbox adds; a run on a quiet machine or more repetitions narrows it.`,
      );
    }
  } else {
    parts.push(
      'This transfer ran in child processes, where calls and CPU are not recorded; snapbox streams the archive with the same single archive call as the floor.',
    );
  }
  if (explained >= gap / 2 && fixes[op.id] !== undefined) parts.push(`Fix: ${fixes[op.id]}`);
  return parts.join(' ');
}

function opsTarget(results: BenchResults): TargetOutcome {
  const all = [...results.ops, ...results.transfers];
  const rows = all
    .map((op) => ({ op, value: floorRatio(op, 'snapbox') }))
    .filter((row): row is { op: OpResult; value: number } => row.value !== undefined);
  const misses = rows.filter((row) => row.value > opTargetRatio);
  const why: string[] = [];
  for (const { op, value } of misses) why.push(explainOpMiss(op, value));
  return {
    target: `Every single operation within ${opTargetRatio.toFixed(2)}× of the floor (median ratio, same run)`,
    met: rows.length === 0 ? undefined : misses.length === 0,
    detail: [
      `${rows.length - misses.length} of ${rows.length} operations within ${opTargetRatio.toFixed(2)}×; worst ${rows.length > 0 ? formatRatio(Math.max(...rows.map((row) => row.value))) : '–'}.`,
    ],
    why,
  };
}

function throughputAt(results: BenchResults, kind: ThroughputResult['kind'], tool: string, concurrency: number) {
  return results.throughput.find((row) => row.kind === kind && row.tool === tool && row.concurrency === concurrency);
}

function throughputTarget(results: BenchResults): TargetOutcome {
  const concurrency = Math.max(0, ...results.throughput.map((row) => row.concurrency));
  const detail: string[] = [];
  const why: string[] = [];
  let met: boolean | undefined;
  for (const kind of ['exec', 'cycle'] as const) {
    const snapbox = throughputAt(results, kind, 'snapbox', concurrency);
    const python = throughputAt(results, kind, 'python', concurrency);
    if (!snapbox || !python || snapbox.error || python.error || python.perSecond === 0) continue;
    const value = snapbox.perSecond / python.perSecond;
    const ok = value >= throughputTargetRatio;
    met = (met ?? true) && ok;
    const unit = kind === 'exec' ? 'execs/s' : 'cycles/s';
    detail.push(
      `${kind === 'exec' ? 'exec `true`' : 'snapshot/restore cycles'} at ${concurrency}: snapbox ${snapbox.perSecond.toFixed(1)} ${unit}, Python ${python.perSecond.toFixed(1)} ${unit}: ${formatRatio(value)}.`,
    );
    if (!ok) {
      const floor = throughputAt(results, kind, 'floor', concurrency);
      const one = throughputAt(results, kind, 'snapbox', 1);
      const busy = (row: ThroughputResult | undefined) =>
        row?.machineBusy === undefined ? '?' : `${Math.round(row.machineBusy * 100)} %`;
      const parts = [`**${kind}** at ${concurrency}: ${formatRatio(value)}.`];
      if (floor && !floor.error) {
        parts.push(
          `The floor reaches ${floor.perSecond.toFixed(2)} ${unit} at ${concurrency}, so no client does much better here (snapbox gets ${formatRatio(snapbox.perSecond / floor.perSecond)} of the floor).`,
        );
      }
      if (one && !one.error) {
        parts.push(
          `From 1 to ${concurrency} containers snapbox goes from ${one.perSecond.toFixed(2)} to ${snapbox.perSecond.toFixed(2)} ${unit} while one operation's latency grows from ${formatMs(one.latencyMedianMs)} to ${formatMs(snapbox.latencyMedianMs)} ms; the machine's CPUs were ${busy(one)} busy with one container and ${busy(snapbox)} at ${concurrency}, and the client spent ${formatMs(snapbox.clientCpuMsPerOp ?? Number.NaN)} ms of CPU per operation (Python ${formatMs(python.clientCpuMsPerOp ?? Number.NaN)} ms).`,
        );
      }
      parts.push(
        `The time goes to the engine (dockerd, containerd, runc) on ${results.machine.cores} cores: it is saturated with a handful of operations in flight, and Python's worker threads (asyncio.to_thread's default pool: min(32, cores + 4) = ${Math.min(32, results.machine.cores + 4)} here) already keep it that busy. No client change can double throughput on this machine; the target needs an engine with spare capacity (more cores, or several engines), where Python's thread pool and docker-py's 10 pooled connections cap the operations in flight and snapbox's promises do not.`,
      );
      why.push(parts.join(' '));
    }
  }
  return {
    target: `At ${concurrency || 32} concurrent containers, at least ${throughputTargetRatio}× the throughput of the Python SDK driven as ARES drives it`,
    met,
    detail,
    why,
  };
}

function memoryTarget(results: BenchResults): TargetOutcome {
  const big = results.transfers.filter((op) => /1gib$/.test(op.id));
  const detail: string[] = [];
  const why: string[] = [];
  let met: boolean | undefined;
  for (const op of big) {
    const values = op.memoryMiB?.snapbox;
    if (values === undefined || values.length === 0) continue;
    const peak = Math.max(...values);
    const ok = peak < memoryTargetMiB;
    met = (met ?? true) && ok;
    const python = op.memoryMiB?.python;
    detail.push(
      `${op.label}: snapbox peaks ${formatMiB(peak)} above its baseline${python && python.length > 0 ? ` (Python SDK as ARES: ${formatMiB(Math.max(...python))})` : ''}.`,
    );
    if (!ok) {
      why.push(
        `**${op.label}** peaks at ${formatMiB(peak)}: the archive is streamed, so the excess is buffering between the file stream and the engine socket; lowering the highWaterMark of the file and tar streams in tar-transfer.ts would bound it.`,
      );
    }
  }
  return {
    target: `Peak memory of a 1 GiB transfer under ${memoryTargetMiB} MiB above the process's baseline`,
    met,
    detail,
    why,
  };
}

function chainTarget(results: BenchResults): TargetOutcome {
  const chain = results.chains.find((row) => row.tool === 'snapbox');
  const shallow = Math.min(...results.chainDepths);
  const deep = Math.max(...results.chainDepths);
  const base = chain ? windowMedian(chain.generations, shallow) : undefined;
  const end = chain ? windowMedian(chain.generations, deep) : undefined;
  if (chain === undefined || base === undefined || end === undefined) {
    return {
      target: `Time per generation at depth ${deep} within ${chainTargetRatio}× of depth ${shallow}`,
      met: undefined,
      detail: [
        chain?.failedAt
          ? `snapbox's chain failed at generation ${chain.failedAt.generation}: ${chain.failedAt.error}`
          : 'not measured',
      ],
      why: [],
    };
  }
  const value = end / base;
  const ok = value <= chainTargetRatio;
  const slope = linearFit(chain.layers ?? [], chain.generations)?.slope;
  return {
    target: `Time per generation at depth ${deep} within ${chainTargetRatio}× of depth ${shallow}`,
    met: ok,
    detail: [
      `depth ${shallow}: ${formatMs(base)} ms, depth ${deep}: ${formatMs(end)} ms per generation (${formatRatio(value)}); flattened at generations ${chain.flattened.join(', ') || 'none'}.`,
    ],
    why: ok
      ? []
      : [
          `Time per generation grows with the number of layers under the container (overlay2 mounts every layer; commit walks them)${slope === undefined ? '' : `: ${slope.toFixed(1)} ms per layer here (least squares)`}. snapbox flattens only once a lineage reaches \`flattenAtLayers\` (default 100) layers, so a generation near that depth pays for ~100 layers; flattening earlier (a lower \`flattenAtLayers\`, e.g. 30) keeps every generation near the shallow time, at the cost of more flattening generations (each copies the whole filesystem: ${chain.flattened.map((generation) => formatMs(chain.generations[generation - 1] ?? Number.NaN)).join(', ') || '–'} ms here, for a ${results.image} container).`,
        ],
  };
}

/** Issue 16: the daemonless backend against the Docker backend, same run, as speed-up ratios. */
export const bubblewrapOpTargets: readonly { id: string; ratio: number }[] = [
  { id: 'return', ratio: 20 },
  { id: 'restore', ratio: 20 },
  { id: 'snapshot-1mib', ratio: 15 },
  { id: 'exec-true', ratio: 6 },
];
export const bubblewrapCycleTargetRatio = 10;

function bubblewrapTarget(results: BenchResults): TargetOutcome {
  const detail: string[] = [];
  const misses: string[] = [];
  let met: boolean | undefined;
  for (const { id, ratio } of bubblewrapOpTargets) {
    const op = results.ops.find((row) => row.id === id);
    const docker = op?.samples.snapbox;
    const bubblewrap = op?.samples.bubblewrap;
    if (op === undefined || !docker?.length || !bubblewrap?.length) continue;
    const value = median(docker) / median(bubblewrap);
    const ok = value >= ratio;
    met = (met ?? true) && ok;
    const line = `${op.label}: Docker ${formatMs(median(docker))} ms, bubblewrap ${formatMs(median(bubblewrap))} ms: ${value.toFixed(1)}× (target ${ratio}×).`;
    detail.push(line);
    if (!ok) misses.push(line);
  }
  for (const concurrency of [1, 8]) {
    const docker = throughputAt(results, 'cycle', 'snapbox', concurrency);
    const bubblewrap = throughputAt(results, 'cycle', 'bubblewrap', concurrency);
    if (!docker || !bubblewrap || docker.error || bubblewrap.error || docker.perSecond === 0) continue;
    const value = bubblewrap.perSecond / docker.perSecond;
    const ok = value >= bubblewrapCycleTargetRatio;
    met = (met ?? true) && ok;
    const line = `snapshot/restore cycles with ${concurrency} worker${concurrency === 1 ? '' : 's'}: Docker ${docker.perSecond.toFixed(1)}/s, bubblewrap ${bubblewrap.perSecond.toFixed(1)}/s: ${value.toFixed(1)}× (target ${bubblewrapCycleTargetRatio}×).`;
    detail.push(line);
    if (!ok) misses.push(line);
  }
  const why = misses.length === 0 ? [] : [`Missed: ${misses.join(' ')}`, ...bubblewrapBreakdown(results)];
  return {
    target:
      'Daemonless backend (issue 16): return ≥ 20×, restore to first exec ≥ 20×, snapshot of 1 MiB ≥ 15×, exec `true` ≥ 6×, cycles/s with 1 and 8 workers ≥ 10× the Docker backend',
    met,
    detail,
    why,
  };
}

/**
 * Where the bubblewrap side's time went, from this run's own numbers: the parts of a return, how
 * much of each operation was CPU of the benchmarking process (the backend's JavaScript and its
 * pipes to the spawn relay) and how much was spent outside it (the relay's forks, the kernel's
 * mounts, the sandbox's processes, and waiting for a CPU), and how busy the machine was.
 */
function bubblewrapBreakdown(results: BenchResults): string[] {
  const lines: string[] = [];
  const part = (id: string) => {
    const op = results.ops.find((row) => row.id === id);
    const samples = op?.samples.bubblewrap;
    if (samples === undefined || samples.length === 0) return undefined;
    const cpu = op?.cpuMs?.bubblewrap;
    return { ms: median(samples), cpuMs: cpu === undefined || cpu.length === 0 ? undefined : median(cpu) };
  };
  const describe = (label: string, id: string) => {
    const measured = part(id);
    if (measured === undefined) return undefined;
    const cpu =
      measured.cpuMs === undefined
        ? ''
        : ` (${formatMs(measured.cpuMs)} ms of it CPU in the benchmarking process, ${formatMs(Math.max(0, measured.ms - measured.cpuMs))} ms outside it)`;
    return `${label} ${formatMs(measured.ms)} ms${cpu}`;
  };
  const parts = [
    describe('return', 'return'),
    describe('snapshot (0 B changed)', 'snapshot-0'),
    describe('restore to first exec', 'restore'),
    describe('exec `true`', 'exec-true'),
    describe('delete a snapshot', 'delete-snapshot'),
  ].filter((line) => line !== undefined);
  if (parts.length > 0) {
    lines.push(
      `bubblewrap, medians of this run: ${parts.join('; ')}. A return is a snapshot, a restore and its first exec; the time outside the benchmarking process is the spawn relay's forks, the kernel's work (freezing, copying the upper layer, mounting the overlay, pivot_root) and the sandbox's processes, each waiting for one of ${results.machine.cores} cores (load ${results.machine.loadBefore ?? '?'} before the run, ${results.machine.loadAfter ?? '?'} after).`,
    );
  }
  for (const concurrency of [1, 8]) {
    const run = throughputAt(results, 'cycle', 'bubblewrap', concurrency);
    const docker = throughputAt(results, 'cycle', 'snapbox', concurrency);
    if (run === undefined || run.error || run.operations === 0) continue;
    const machineCpuPerOp =
      run.machineBusy === undefined
        ? undefined
        : (run.machineBusy * results.machine.cores * run.elapsedMs) / Math.max(1, run.operations);
    lines.push(
      `Cycles with ${concurrency} worker${concurrency === 1 ? '' : 's'}: bubblewrap ${run.perSecond.toFixed(1)}/s, one cycle ${formatMs(run.latencyMedianMs)} ms (median), ${formatMs(run.clientCpuMsPerOp ?? Number.NaN)} ms of CPU in the benchmarking process per cycle${machineCpuPerOp === undefined ? '' : `, ${formatMs(machineCpuPerOp)} ms of the whole machine's CPU per cycle (its CPUs ${Math.round((run.machineBusy ?? 0) * 100)} % busy, other work on the machine included)`}; Docker one cycle ${formatMs(docker?.latencyMedianMs ?? Number.NaN)} ms.`,
    );
  }
  return lines;
}

export function evaluateTargets(results: BenchResults): TargetOutcome[] {
  return [
    opsTarget(results),
    throughputTarget(results),
    memoryTarget(results),
    chainTarget(results),
    bubblewrapTarget(results),
  ];
}
