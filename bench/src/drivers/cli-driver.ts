import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { benchRepository } from '../bench-resources.js';
import { type Box, type Capability, type Driver, freshTag, keepAlive, type Timed, timed } from './driver.js';

/** The `docker` command line, one process per operation, as a shell script would drive it. */
export class CliDriver implements Driver {
  readonly tool = 'cli' as const;
  readonly unsupported = new Map<Capability, string>();
  readonly #image: string;
  readonly #labelArgs: string[];
  /** Peak RSS of the last `docker` process, KiB (sampled from /proc while it ran). */
  lastPeakKiB = 0;

  constructor(image: string, labels: Record<string, string>) {
    this.#image = image;
    this.#labelArgs = Object.entries(labels).flatMap(([key, value]) => ['--label', `${key}=${value}`]);
  }

  start(): Promise<Timed<Box>> {
    const [entrypoint, ...args] = keepAlive;
    return timed(async () => {
      const { stdout } = await docker([
        'run',
        '-d',
        '--init',
        ...this.#labelArgs,
        '--entrypoint',
        entrypoint as string,
        this.#image,
        ...args,
      ]);
      return { id: stdout.trim() };
    });
  }

  exec(box: Box, command: string, expectBytes?: number): Promise<Timed<void>> {
    return timed(async () => {
      const { stdout } = await docker(['exec', box.id, 'bash', '-lc', command]);
      if (expectBytes !== undefined && stdout.length !== expectBytes) {
        throw new Error(`docker exec: ${command} printed ${stdout.length} bytes, expected ${expectBytes}`);
      }
    });
  }

  upload(box: Box, localPath: string, remotePath: string): Promise<Timed<void>> {
    return timed(async () => {
      this.lastPeakKiB = (await docker(['cp', localPath, `${box.id}:${remotePath}`], { sampleMemory: true })).peakKiB;
    });
  }

  download(box: Box, remotePath: string, localPath: string): Promise<Timed<void>> {
    return timed(async () => {
      this.lastPeakKiB = (await docker(['cp', `${box.id}:${remotePath}`, localPath], { sampleMemory: true })).peakKiB;
    });
  }

  snapshot(box: Box): Promise<Timed<string>> {
    const reference = `${benchRepository}:${freshTag(this.tool)}`;
    return timed(async () => {
      await docker(['commit', box.id, reference]);
      return reference;
    });
  }

  restore(snapshotId: string): Promise<Timed<Box>> {
    return timed(async () => {
      const { stdout } = await docker(['run', '-d', '--init', ...this.#labelArgs, snapshotId]);
      return { id: stdout.trim() };
    });
  }

  deleteSnapshot(snapshotId: string): Promise<Timed<void>> {
    return timed(async () => {
      await docker(['rmi', snapshotId]);
    });
  }

  async remove(box: Box): Promise<void> {
    await docker(['rm', '-f', box.id]);
  }

  async close(): Promise<void> {}
}

interface CliResult {
  stdout: string;
  peakKiB: number;
}

/** Runs `docker …`; rejects on a non-zero exit with its stderr. */
function docker(args: string[], options: { sampleMemory?: boolean } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('docker', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let peakKiB = 0;
    const sample = () => {
      try {
        const match = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (match) peakKiB = Math.max(peakKiB, Number(match[1]));
      } catch {
        // The process is gone; the last sample stands.
      }
    };
    const sampler = options.sampleMemory ? setInterval(sample, 5) : undefined;
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.once('error', (error) => {
      clearInterval(sampler);
      reject(error);
    });
    child.once('close', (code) => {
      clearInterval(sampler);
      if (code === 0) resolve({ stdout: Buffer.concat(out).toString('utf8'), peakKiB });
      else reject(new Error(`docker ${args[0]} exited ${code}: ${Buffer.concat(err).toString('utf8').trim()}`));
    });
  });
}
