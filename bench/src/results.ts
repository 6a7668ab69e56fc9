/** The shape of what a bench run measured; the report renders it, `results.json` keeps it. */

/** The ways of driving the engine that the bench compares. */
export type Tool = 'floor' | 'snapbox' | 'python' | 'cli' | 'testcontainers' | 'bubblewrap';

export const allTools: readonly Tool[] = ['floor', 'snapbox', 'python', 'cli', 'testcontainers', 'bubblewrap'];

export const toolLabels: Record<Tool, string> = {
  floor: 'floor (dockerode)',
  snapbox: 'snapbox',
  python: 'Python SDK (as ARES)',
  cli: 'docker CLI',
  testcontainers: 'testcontainers',
  bubblewrap: 'snapbox on bubblewrap',
};

/** One operation measured with several tools, interleaved rep by rep. */
export interface OpResult {
  id: string;
  label: string;
  /** Milliseconds per repetition, per tool. */
  samples: Partial<Record<Tool, number[]>>;
  /** Peak memory above the process's baseline, MiB, per repetition (transfers only). */
  memoryMiB?: Partial<Record<Tool, number[]>>;
  /** Tools that cannot do this operation, with why. */
  unsupported?: Partial<Record<Tool, string>>;
  /** Tools that failed, with the error. */
  failed?: Partial<Record<Tool, string>>;
  /** CPU time of the benchmarking process per repetition, ms (tools that run inside it). */
  cpuMs?: Partial<Record<Tool, number[]>>;
  /** Engine API calls per repetition (median), for the tools whose dockerode client is instrumented. */
  apiCalls?: Partial<Record<Tool, ApiCallProfile>>;
}

/** Which Engine API calls one repetition made, and how long they took (median over repetitions). */
export interface ApiCallProfile {
  /** Calls per repetition. */
  calls: number;
  /** `METHOD /path-pattern` → calls per repetition and median ms per call. */
  byEndpoint: Record<string, { perRep: number; medianMs: number }>;
}

/** Throughput of one tool at one concurrency. */
export interface ThroughputResult {
  kind: 'exec' | 'cycle';
  tool: Tool;
  concurrency: number;
  operations: number;
  elapsedMs: number;
  perSecond: number;
  /** Latency of single operations inside the run, ms. */
  latencyMedianMs: number;
  latencyP95Ms: number;
  /** CPU time of the client process (Node or Python) per operation, ms. */
  clientCpuMsPerOp?: number;
  /** Share of the machine's CPU time that was busy during the run (all processes), 0…1. */
  machineBusy?: number;
  error?: string;
}

/** A snapshot chain: restore → change → snapshot, generation after generation. */
export interface ChainResult {
  tool: Tool;
  /** ms per generation, index 0 = generation 1. */
  generations: number[];
  /** Layers of each generation's snapshot image, index 0 = generation 1. */
  layers: number[];
  /** Generations whose snapshot was flattened (snapbox only). */
  flattened: number[];
  /** The generation that failed, and why (the floor stops at the engine's layer limit). */
  failedAt?: { generation: number; error: string };
  /** Layers of the last snapshot image. */
  lastLayers?: number;
}

/** `stopAndRemoveSync()` inside `process.on('exit')`, and the library's own exit cleanup. */
export interface ExitCleanupResult {
  mode: 'stopAndRemoveSync' | 'session-cleanup';
  containers: number;
  /** From just before `process.exit()` to the child process's end, as the parent saw it. */
  exitToEndMs: number;
  /** Inside the exit handler(s), as the child measured it. */
  handlerMs: number | undefined;
  /** Containers of the child still on the engine afterwards. */
  leftover: number;
}

export interface GoExploreRunResult {
  status: 'ran' | 'skipped';
  reason?: string;
  iterations?: number;
  returns?: number;
  cells?: number;
  totalMs?: number;
  returnsPerSecond?: number;
  timing?: Record<string, number>;
}

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  kernel: string;
  node: string;
  python: string;
  dockerPy: string;
  dockerCli: string;
  testcontainers: string;
  engine: string;
  engineApi: string;
  storageDriver: string;
  /** The commit measured, and whether the packages the bench runs had uncommitted changes. */
  snapbox: string;
  loadBefore: string;
  loadAfter?: string;
}

export interface BenchResults {
  startedAt: string;
  finishedAt?: string;
  mode: 'quick' | 'full';
  command: string;
  image: string;
  machine: MachineInfo;
  ops: OpResult[];
  transfers: OpResult[];
  throughput: ThroughputResult[];
  chains: ChainResult[];
  chainDepths: number[];
  exitCleanup: ExitCleanupResult[];
  /** What one synchronous cleanup process costs before it removes anything (median ms). */
  exitCleanupBreakdown?: { nodeStartMs: number; nodeWithDockerodeMs: number };
  goExplore: GoExploreRunResult;
  notes: string[];
}
