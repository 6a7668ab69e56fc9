import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SnapboxError } from './errors/snapbox-error.js';

/** Prefix of the worker's answer on stdout; anything else it prints (an SDK's logging) is ignored. */
const resultMarker = 'SNAPBOX_BLOCKING_WORKER_RESULT ';

/** What {@link runBlockingWorker} runs. */
export interface BlockingWorkerRequest<Job> {
  /** Absolute path of the worker module, one that calls {@link serveBlockingWorker}. */
  script: string;
  /** The job, sent as JSON on the worker's stdin (so secrets in it never show in a process list). */
  job: Job;
  /** How long the worker may take before it is killed and the call fails. */
  timeoutMs: number;
  /** What the worker does, for the error message: `'the synchronous Docker cleanup'`. */
  what: string;
  /**
   * Write what the worker printed on stderr to this process's stderr once it answered (its
   * debug lines, say). Default false: a worker that fails has its stderr in the error instead.
   */
  forwardStderr?: boolean;
}

/**
 * Runs an asynchronous job to completion while blocking the calling thread: a child Node process
 * does the work while this one waits in `spawnSync`. That is how the `*Sync` methods
 * (`stopAndRemoveSync`, `deleteSnapshotSync`) and exit cleanup work inside `process.on('exit')`,
 * where no promise can settle. The worker module calls {@link serveBlockingWorker}.
 *
 * @returns what the worker's handler resolved with (after a JSON round trip).
 * @throws SnapboxError `SYNC_CLEANUP_FAILED` when the worker cannot start, fails, or gives no
 *   answer within `timeoutMs`; the message carries the end of its stderr.
 */
export function runBlockingWorker<Job, Result>(request: BlockingWorkerRequest<Job>): Result {
  const child = spawnSync(process.execPath, [request.script], {
    input: JSON.stringify(request.job),
    encoding: 'utf8',
    timeout: request.timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
    windowsHide: true,
  });
  const line = (child.stdout ?? '')
    .split('\n')
    .reverse()
    .find((candidate) => candidate.startsWith(resultMarker));
  if (line === undefined) {
    const timedOut = (child.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT';
    const how = timedOut
      ? `it did not finish within ${request.timeoutMs} ms and was killed`
      : child.error
        ? child.error.message
        : child.signal
          ? `it was killed by ${child.signal}`
          : `it exited with code ${child.status} and no answer`;
    const stderr = (child.stderr ?? '').trim().split('\n').slice(-10).join('\n');
    throw new SnapboxError('SYNC_CLEANUP_FAILED', {
      message: `${request.what} did not complete: ${how}.${stderr ? `\n${stderr}` : ''}`,
      cause: child.error,
    });
  }
  if (request.forwardStderr === true && child.stderr) process.stderr.write(child.stderr);
  return JSON.parse(line.slice(resultMarker.length)) as Result;
}

/**
 * The worker side of {@link runBlockingWorker}: reads the job from stdin, awaits `handle`, prints
 * the answer, and exits (an SDK may hold sockets open that would keep the process alive). A
 * handler that throws makes the worker exit 1 with the error on stderr.
 */
export async function serveBlockingWorker<Job, Result>(handle: (job: Job) => Promise<Result>): Promise<void> {
  try {
    const job = JSON.parse(readFileSync(0, 'utf8')) as Job;
    const result = await handle(job);
    process.stdout.write(`\n${resultMarker}${JSON.stringify(result)}\n`, () => process.exit(0));
  } catch (error) {
    process.stderr.write(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  }
}

/**
 * The compiled script `name` beside the module at `moduleUrl` (pass `import.meta.url`): for a
 * worker or watchdog that runs as its own process. When the module runs from its TypeScript
 * source (a package's own tests), the script comes from the package's `dist/` instead.
 *
 * @throws SnapboxError `WORKER_SCRIPT_MISSING` when neither exists (a broken install or an unbuilt package).
 */
export function builtScriptPath(moduleUrl: string, name: string): string {
  const beside = fileURLToPath(new URL(`./${name}.js`, moduleUrl));
  if (existsSync(beside)) return beside;
  const built = fileURLToPath(new URL(`../dist/${name}.js`, moduleUrl));
  if (existsSync(built)) return built;
  throw new SnapboxError('WORKER_SCRIPT_MISSING', {
    message: `The script ${name}.js was not found beside ${fileURLToPath(moduleUrl)} nor in the package's dist/; reinstall the package (or build it, in its own repository).`,
  });
}
