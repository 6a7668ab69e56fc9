import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The synchronous paths run the built worker (dist/sync-worker.js) in a child process, and the
 * exit scenarios import dist/index.js. Build first when dist is missing or older than a source
 * file, so that a test never exercises stale code.
 */
export default function setup(): void {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const newestSource = Math.max(
    ...readdirSync(join(root, 'src'), { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts') && !file.includes('.test'))
      .map((file) => statSync(join(root, 'src', file)).mtimeMs),
  );
  const built = ['dist/index.js', 'dist/sync-worker.js'].map((file) => {
    try {
      return statSync(join(root, file)).mtimeMs;
    } catch {
      return 0;
    }
  });
  if (Math.min(...built) >= newestSource) return;
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
}
