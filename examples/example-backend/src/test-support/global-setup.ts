import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * The backend is tested against a real engine with the fixture image. Both scripts do nothing
 * when everything is there already; a missing engine fails the run, it is never a skip. The
 * exit-cleanup test runs a child program on the build output, so build it first.
 */
export default function setup(): void {
  const root = fileURLToPath(new URL('../../../../', import.meta.url));
  execFileSync('bash', ['scripts/ensure-docker-engine.sh'], { cwd: root, stdio: 'inherit' });
  execFileSync('bash', ['scripts/ensure-test-images.sh'], { cwd: root, stdio: 'inherit' });
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const packageRoot = fileURLToPath(new URL('../../', import.meta.url));
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: packageRoot, stdio: 'inherit' });
}
