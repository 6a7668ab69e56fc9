import type { Command } from '../command.js';

/** `snapbox ls`: what snapbox created on the engine, with owners and lineage. */
export const ls = {
  path: ['ls'],
  summary: 'List the containers and snapshots snapbox created, with owner, liveness, age, size and lineage',
  usage: `Usage: snapbox ls [--json]

Lists every container and snapshot image on the Docker engine (DOCKER_HOST; else the docker
context, then the first local Docker or Podman socket that answers) that carries snapbox's labels: its owner process, whether that process is alive
(unknown for owners on other hosts), age, size, and which snapshot each came from; then the
images fromDockerfile built, kept as build cache.

Options:
  --json       print { containers: [...], snapshots: [...], builds: [...] } as JSON
  -h, --help   show this help

Exit status: 0 on success, 1 when the engine cannot be reached.
`,
  options: { json: { type: 'boolean' } },
  load: () => import('./ls-run.js'),
} as const satisfies Command;
