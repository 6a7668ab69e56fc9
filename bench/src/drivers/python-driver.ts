import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { benchRepository } from '../bench-resources.js';
import type { Box, Capability, Driver, MemorySample, Timed } from './driver.js';

/** Debian's interpreter, whose `docker` module is Debian's python3-docker (not a pip install elsewhere). */
export const pythonPath = '/usr/bin/python3';
const scriptPath = fileURLToPath(new URL('../../python/ares_driver.py', import.meta.url));

/**
 * Makes sure Debian's python3-docker is importable, installing it with apt-get when this
 * process may; otherwise fails with what to run. Returns the SDK's version.
 */
export function ensurePythonDockerSdk(): string {
  const probe = () => spawnSync(pythonPath, ['-c', 'import docker; print(docker.__version__)'], { encoding: 'utf8' });
  let result = probe();
  if (result.status === 0) return result.stdout.trim();
  if (process.getuid?.() !== 0) {
    throw new Error(
      `The Python Docker SDK is missing for ${pythonPath}. Install Debian's package: sudo apt-get install -y python3-docker`,
    );
  }
  process.stderr.write('bench: installing python3-docker with apt-get\n');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let install = spawnSync('apt-get', ['install', '-y', '-qq', 'python3-docker'], { encoding: 'utf8', env });
  if (install.status !== 0) {
    spawnSync('apt-get', ['update', '-qq'], { encoding: 'utf8', env });
    install = spawnSync('apt-get', ['install', '-y', '-qq', 'python3-docker'], { encoding: 'utf8', env });
  }
  result = probe();
  if (result.status !== 0) {
    throw new Error(
      `Could not install python3-docker (apt-get exited ${install.status}: ${install.stderr?.trim() ?? install.error?.message}). Install it by hand: apt-get install -y python3-docker`,
    );
  }
  return result.stdout.trim();
}

/** What one throughput run inside Python reports. */
export interface WorkerRun {
  kind: 'exec' | 'cycle';
  operations: number;
  elapsedMs: number;
  latencies: number[];
  cpuMs: number;
  machineBusy: number | null;
}

interface Reply {
  id: number;
  value?: unknown;
  ms?: number;
  memory?: MemorySample;
  error?: string;
}

/**
 * The Python driver (python/ares_driver.py) behind the bench's driver interface. Times are the
 * ones Python measured around its own awaited calls, so the pipe between the processes is not
 * in them.
 */
export class PythonDriver implements Driver {
  readonly tool = 'python' as const;
  readonly unsupported = new Map<Capability, string>();
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #pending = new Map<number, (reply: Reply) => void>();
  readonly #ready: Promise<void>;
  #nextId = 1;
  #exited: string | undefined;
  /** Memory of the last call sent with `memory: true`. */
  lastMemory: MemorySample | undefined;

  constructor(image: string, labels: Record<string, string>) {
    this.#child = spawn(pythonPath, [scriptPath, JSON.stringify({ image, labels, repository: benchRepository })], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const stderr: string[] = [];
    this.#child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk.toString('utf8')));
    const lines = createInterface({ input: this.#child.stdout });
    this.#ready = new Promise((resolve, reject) => {
      lines.on('line', (line) => {
        const message = JSON.parse(line) as Reply & { ready?: boolean; fatal?: string };
        if (message.ready) return resolve();
        if (message.fatal) return reject(new Error(message.fatal));
        const waiter = this.#pending.get(message.id);
        this.#pending.delete(message.id);
        waiter?.(message);
      });
      this.#child.once('exit', (code, signal) => {
        this.#exited = `the Python driver exited (${signal ?? code}): ${stderr.join('').slice(-2000)}`;
        reject(new Error(this.#exited));
        for (const waiter of this.#pending.values()) waiter({ id: 0, error: this.#exited });
        this.#pending.clear();
      });
    });
    this.#ready.catch(() => undefined);
  }

  async call<T>(op: string, args: Record<string, unknown> = {}, memory = false): Promise<Timed<T>> {
    await this.#ready;
    if (this.#exited !== undefined) throw new Error(this.#exited);
    const id = this.#nextId++;
    const reply = await new Promise<Reply>((resolve) => {
      this.#pending.set(id, resolve);
      this.#child.stdin.write(`${JSON.stringify({ id, op, args, memory })}\n`);
    });
    if (reply.error !== undefined) throw new Error(`python: ${reply.error}`);
    if (memory) this.lastMemory = reply.memory;
    return { value: reply.value as T, ms: reply.ms ?? Number.NaN };
  }

  start(): Promise<Timed<Box>> {
    return this.call<string>('start').then(({ value, ms }) => ({ value: { id: value }, ms }));
  }

  exec(box: Box, command: string, expectBytes?: number): Promise<Timed<void>> {
    return this.call('exec', { box: box.id, command, expectBytes });
  }

  /** Pass `memory` to record the peak RSS of the Python process during the call (see `lastMemory`). */
  upload(box: Box, localPath: string, remotePath: string, memory = false): Promise<Timed<void>> {
    return this.call('upload', { box: box.id, localPath, remotePath }, memory);
  }

  download(box: Box, remotePath: string, localPath: string, memory = false): Promise<Timed<void>> {
    return this.call('download', { box: box.id, remotePath, localPath }, memory);
  }

  snapshot(box: Box): Promise<Timed<string>> {
    return this.call('snapshot', { box: box.id });
  }

  restore(snapshotId: string): Promise<Timed<Box>> {
    return this.call<string>('restore', { snapshotId }).then(({ value, ms }) => ({ value: { id: value }, ms }));
  }

  deleteSnapshot(snapshotId: string): Promise<Timed<void>> {
    return this.call('deleteSnapshot', { snapshotId });
  }

  async remove(box: Box): Promise<void> {
    await this.call('remove', { box: box.id });
  }

  /** Exec, then snapshot/restore cycles, from `concurrency` asyncio tasks, entirely inside Python. */
  async throughput(concurrency: number, durationsMs: Partial<Record<'exec' | 'cycle', number>>): Promise<WorkerRun[]> {
    const { value } = await this.call<WorkerRun[]>('throughput', { concurrency, durationsMs });
    return value;
  }

  async close(): Promise<void> {
    if (this.#exited === undefined) {
      await this.call('close').catch(() => undefined);
      this.#child.stdin.end();
    }
    if (this.#child.exitCode === null) {
      await new Promise((resolve) => this.#child.once('exit', resolve));
    }
  }
}
