import { type ChildProcessByStdio, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { OpResult, Tool } from '../results.js';
import type { TransferMessage, TransferOrder } from '../transfer-child.js';

const childPath = fileURLToPath(new URL('../transfer-child.js', import.meta.url));

export interface TransferSize {
  bytes: number;
  label: string;
  reps: number;
  minReps: number;
  /** After `minReps`, stop once the repetitions of all tools together took this long. */
  maxMs: number;
  /** Only these tools (default: all); the largest size is costly enough to limit. */
  tools?: readonly Tool[];
}

/** Writes `bytes` of incompressible data (a random MiB, repeated) to `path`. */
export async function writePayload(path: string, bytes: number): Promise<void> {
  const block = randomBytes(Math.min(bytes, 1024 * 1024));
  const file = await open(path, 'w');
  try {
    for (let written = 0; written < bytes; written += block.length) {
      await file.write(block, 0, Math.min(block.length, bytes - written));
    }
  } finally {
    await file.close();
  }
}

/** A transfer child: one tool, one size, one direction, driven one repetition at a time. */
class TransferChild {
  readonly tool: Tool;
  readonly #child: ChildProcessByStdio<Writable, Readable, null>;
  readonly #messages: TransferMessage[] = [];
  #waiting: ((message: TransferMessage) => void) | undefined;
  #exited = false;

  constructor(order: TransferOrder) {
    this.tool = order.tool;
    this.#child = spawn(process.execPath, ['--expose-gc', childPath, JSON.stringify(order)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    createInterface({ input: this.#child.stdout }).on('line', (line) => {
      let message: TransferMessage;
      try {
        message = JSON.parse(line) as TransferMessage;
      } catch {
        return;
      }
      this.#deliver(message);
    });
    this.#child.once('exit', (code) => {
      this.#exited = true;
      this.#deliver({ error: `the transfer child exited (${code})` });
    });
  }

  #deliver(message: TransferMessage): void {
    const waiter = this.#waiting;
    this.#waiting = undefined;
    if (waiter !== undefined) waiter(message);
    else this.#messages.push(message);
  }

  next(): Promise<TransferMessage> {
    const queued = this.#messages.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve) => {
      this.#waiting = resolve;
    });
  }

  rep(): Promise<TransferMessage> {
    if (this.#exited) return Promise.resolve({ error: 'the transfer child has exited' });
    this.#child.stdin.write('rep\n');
    return this.next();
  }

  async end(): Promise<void> {
    if (this.#exited) return;
    const exited = new Promise((resolve) => this.#child.once('exit', resolve));
    this.#child.stdin.end('end\n');
    await exited;
  }
}

/**
 * Upload and download of each size with each tool, each (tool, size, direction) in a fresh
 * child process; the tool order rotates between cells.
 */
export async function runTransfers(options: {
  tools: readonly Tool[];
  sizes: readonly TransferSize[];
  image: string;
  runId: string;
  workDir: string;
  log: (line: string) => void;
}): Promise<OpResult[]> {
  const { tools, sizes, image, runId, workDir, log } = options;
  const warmupPath = join(workDir, 'payload-warmup.bin');
  await writePayload(warmupPath, 1024);
  const results: OpResult[] = [];
  let cell = 0;
  for (const size of sizes) {
    const payloadPath = join(workDir, `payload-${size.bytes}.bin`);
    await writePayload(payloadPath, size.bytes);
    for (const direction of ['upload', 'download'] as const) {
      const result: OpResult = {
        id: `${direction}-${size.label.replace(/\s+/g, '').toLowerCase()}`,
        label: `${direction} ${size.label}`,
        samples: {},
        memoryMiB: {},
        failed: {},
      };
      const started = performance.now();
      const children = tools
        .filter((tool) => size.tools?.includes(tool) ?? true)
        .map(
          (tool) =>
            new TransferChild({ tool, direction, bytes: size.bytes, image, runId, payloadPath, warmupPath, workDir }),
        );
      try {
        const active: TransferChild[] = [];
        for (const child of children) {
          const ready = await child.next();
          if ('error' in ready) result.failed![child.tool] = ready.error;
          else {
            active.push(child);
            result.samples[child.tool] = [];
            result.memoryMiB![child.tool] = [];
          }
        }
        const begun = performance.now();
        for (let round = 0; round < size.reps; round++) {
          if (round >= size.minReps && performance.now() - begun > size.maxMs) break;
          const live = active.filter((child) => result.failed![child.tool] === undefined);
          for (let index = 0; index < live.length; index++) {
            const child = live[(index + round + cell) % live.length] as TransferChild;
            // Start every repetition with no dirty pages left by the previous one's writes.
            spawnSync('sync');
            const reply = await child.rep();
            if ('error' in reply) result.failed![child.tool] = reply.error;
            else if ('ms' in reply) {
              result.samples[child.tool]?.push(reply.ms);
              result.memoryMiB![child.tool]?.push(reply.memoryMiB);
            }
          }
        }
      } finally {
        await Promise.all(children.map((child) => child.end()));
      }
      cell++;
      log(`${result.id}: ${Math.round((performance.now() - started) / 1000)} s`);
      results.push(result);
    }
  }
  return results;
}
