import type { Tool } from '../results.js';

/** A running container, as a driver knows it. */
export interface Box {
  readonly id: string;
}

/** A result and the milliseconds it took (measured by the driver: in Python, inside Python). */
export interface Timed<T> {
  value: T;
  ms: number;
}

/** Memory of one measured call: RSS before it and the peak during it, KiB. */
export interface MemorySample {
  baselineKiB: number;
  peakKiB: number;
}

export type Capability = 'deleteSnapshot';

/**
 * The operations the bench times, each done the way its tool does it. Every tool runs the same
 * shell command under `bash -lc` (snapbox's string form, and what ARES does).
 */
export interface Driver {
  readonly tool: Tool;
  readonly unsupported: ReadonlyMap<Capability, string>;
  start(): Promise<Timed<Box>>;
  /** Runs `bash -lc command`; rejects unless it exits 0 (and prints `expectBytes` bytes, when given). */
  exec(box: Box, command: string, expectBytes?: number): Promise<Timed<void>>;
  upload(box: Box, localPath: string, remotePath: string): Promise<Timed<void>>;
  download(box: Box, remotePath: string, localPath: string): Promise<Timed<void>>;
  snapshot(box: Box): Promise<Timed<string>>;
  /** Creates and starts a container from a snapshot (the first exec is timed separately). */
  restore(snapshotId: string): Promise<Timed<Box>>;
  deleteSnapshot(snapshotId: string): Promise<Timed<void>>;
  /** Removes the container (not timed by the bench). */
  remove(box: Box): Promise<void>;
  close(): Promise<void>;
}

export async function timed<T>(run: () => Promise<T>): Promise<Timed<T>> {
  const started = performance.now();
  const value = await run();
  return { value, ms: performance.now() - started };
}

/** The shell commands every tool runs. */
export const commands = {
  true: 'true',
  /** 1 MiB of output on stdout. */
  output1MiB: 'yes 0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ | head -c 1048576',
  /** Writes `bytes` random bytes to a file, changing that much of the container's filesystem. */
  change: (bytes: number, path = '/tmp/changed') => `head -c ${bytes} /dev/urandom > ${path}`,
} as const;

export const keepAlive = ['/bin/sh', '-c', 'while :; do sleep 3600; done'];

let counter = 0;
/** A fresh tag for a snapshot image. */
export function freshTag(tool: Tool): string {
  counter++;
  return `${tool}-${process.pid}-${counter}-${Math.random().toString(36).slice(2, 8)}`;
}
