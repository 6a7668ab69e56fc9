import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type Docker from 'dockerode';
import { pythonPath } from './drivers/python-driver.js';
import type { MachineInfo } from './results.js';

const run = (command: string, args: string[]) => {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : 'unknown';
};

export function loadAverage(): string {
  return loadavg()
    .map((value) => value.toFixed(2))
    .join(' / ');
}

function testcontainersVersion(): string {
  try {
    const require = createRequire(import.meta.url);
    // The package's exports map hides package.json; find it beside the entry point.
    const entry = require.resolve('testcontainers');
    const root = dirname(dirname(entry));
    return (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** The commit of the checkout, and whether the packages the bench runs differ from it. */
function describeCheckout(): string {
  const git = (args: string[]) => spawnSync('git', ['-C', repoRoot, ...args], { encoding: 'utf8' });
  const head = git(['rev-parse', '--short', 'HEAD']);
  if (head.status !== 0) return 'unknown (not a git checkout)';
  const dirty = git(['status', '--porcelain', '--', 'packages/core', 'packages/docker', 'packages/go-explore']);
  const changed = dirty.stdout.split('\n').filter((line) => line.trim() !== '').length;
  return `commit ${head.stdout.trim()}${changed > 0 ? ` with ${changed} uncommitted changes in packages/core, docker, go-explore` : ''}`;
}

/** What the report says about where it ran. */
export async function describeMachine(docker: Docker, dockerPy: string): Promise<MachineInfo> {
  const osRelease = (() => {
    try {
      return /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? 'unknown';
    } catch {
      return 'unknown';
    }
  })();
  const [version, info] = await Promise.all([docker.version(), docker.info() as Promise<{ Driver?: string }>]);
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    os: osRelease,
    kernel: release(),
    node: process.version,
    python: run(pythonPath, ['--version']).replace(/^Python /, ''),
    dockerPy,
    dockerCli: run('docker', ['version', '--format', '{{.Client.Version}}']),
    testcontainers: testcontainersVersion(),
    engine: version.Version,
    engineApi: version.ApiVersion,
    storageDriver: info.Driver ?? 'unknown',
    snapbox: describeCheckout(),
    loadBefore: loadAverage(),
  };
}
