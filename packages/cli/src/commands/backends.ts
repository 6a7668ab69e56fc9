import type { Command } from '../command.js';

/** `snapbox backends`: which backends `ls` and `prune` use, where they were found, and what failed. */
export const backends = {
  path: ['backends'],
  summary: 'List the backends ls and prune use, where each was found, and those that fail to load',
  usage: `Usage: snapbox backends [--backend NAME]... [--json]

Lists the backends "snapbox ls" and "snapbox prune" work on, and how they were found:

  1. SNAPBOX_BACKENDS, when set: a comma-separated list of package names or paths (a package
     folder, or an admin module file); nothing else is searched;
  2. otherwise every package whose package.json declares "snapbox": { "admin": "./admin" }, in
     the node_modules folders from the current folder upward, then from where this command is
     installed upward (a global install finds the backends installed beside it).

Each backend's admin module is loaded (no request is made): a backend that fails to load is
listed with the reason, and one that is not configured says what it needs.

Options:
  --backend NAME   only this backend: its name (docker), its package or a path to it;
                   repeat for more
  --json           print an array of { backend, package, version, via, dir, module, target,
                   configured, hint, error } as JSON
  -h, --help       show this help

Exit status: 0 when every backend loaded, 1 when one failed to load or none was found.
`,
  options: { backend: { type: 'string', multiple: true }, json: { type: 'boolean' } },
  load: () => import('./backends-run.js'),
} as const satisfies Command;
