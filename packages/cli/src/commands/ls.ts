import type { Command } from '../command.js';

/** `snapbox ls`: what snapbox created, on every backend installed, with owners and lineage. */
export const ls = {
  path: ['ls'],
  summary: 'List the containers and snapshots snapbox created, with owner, liveness, age, size and lineage',
  usage: `Usage: snapbox ls [--backend NAME]... [--json]

Lists every container and snapshot that snapbox created, on every backend installed (found in
node_modules, or listed in SNAPBOX_BACKENDS; "snapbox backends" shows which): its backend, its
owner process, whether that process is alive (unknown for owners on other hosts), age, size,
and which snapshot each came from. The containers and snapshots of a Go-Explore run are shown
together under their run; then the images fromDockerfile built, kept as build cache.

A backend that is not configured (no credentials in the environment) is skipped; one that fails
to load or cannot be reached is reported on stderr, and the others are listed all the same.
The Docker backend uses DOCKER_HOST; else the docker context, then the first local Docker or
Podman socket that answers.

Options:
  --backend NAME   only this backend: its name (docker), its package or a path to it;
                   repeat for more
  --json           print { containers: [...], snapshots: [...], builds: [...] } as JSON,
                   each with its "backend"
  -h, --help       show this help

Exit status: 0 on success, 1 when a backend failed to load or cannot be reached (or is named
with --backend and not configured), or no backend is installed.
`,
  options: { backend: { type: 'string', multiple: true }, json: { type: 'boolean' } },
  load: () => import('./ls-run.js'),
} as const satisfies Command;
