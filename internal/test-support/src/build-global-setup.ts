import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, sep } from 'node:path';
import type { TestProject } from 'vitest/node';

function modifiedMs(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

/**
 * Builds the package at `packageRoot` (`tsc -p tsconfig.build.json`) when a source file is newer
 * than its output in `dist/`, or has none. Tests that run the build output in a child process
 * (a worker, an exit scenario, a program) then never exercise stale code. Test files and
 * `src/test-support/`, which the builds leave out, are not looked at.
 */
export function buildIfStale(packageRoot: string): void {
  const sources = readdirSync(join(packageRoot, 'src'), { recursive: true, encoding: 'utf8' }).filter(
    (file) =>
      file.endsWith('.ts') &&
      !file.endsWith('.d.ts') &&
      !/\.test(-d)?\.ts$/.test(file) &&
      !file.split(sep).includes('test-support'),
  );
  const stale = sources.some(
    (file) =>
      modifiedMs(join(packageRoot, 'dist', file.replace(/\.ts$/, '.js'))) < modifiedMs(join(packageRoot, 'src', file)),
  );
  if (!stale) return;
  const tsc = createRequire(join(packageRoot, 'package.json')).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: packageRoot, stdio: 'inherit' });
}

/** Vitest global setup that builds the package under test when stale: see {@link buildIfStale}. */
export default function setup(project: TestProject): void {
  buildIfStale(project.config.root);
}
