import { readFileSync, writeFileSync } from 'node:fs';

/** Resident memory of this process, from /proc (Linux). */
export function residentKiB(): { rss: number; peak: number } {
  const status = readFileSync('/proc/self/status', 'utf8');
  const field = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN);
  return { rss: field('VmRSS'), peak: field('VmHWM') };
}

/**
 * Measures the peak resident memory of this process during `run`, above the resident memory
 * just before it. The kernel's high-water mark is reset first (`5` → /proc/self/clear_refs), so
 * the peak is exact, not sampled; where that is refused, RSS is sampled every 2 ms instead.
 */
export async function measurePeak<T>(
  run: () => Promise<T>,
): Promise<{ value: T; baselineKiB: number; peakKiB: number }> {
  (globalThis as { gc?: () => void }).gc?.();
  const baselineKiB = residentKiB().rss;
  let exact = true;
  try {
    writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    exact = false;
  }
  let sampled = baselineKiB;
  const sampler = exact
    ? undefined
    : setInterval(() => {
        sampled = Math.max(sampled, Math.round(process.memoryUsage.rss() / 1024));
      }, 2);
  try {
    const value = await run();
    const peakKiB = exact ? residentKiB().peak : sampled;
    return { value, baselineKiB, peakKiB };
  } finally {
    clearInterval(sampler);
  }
}
