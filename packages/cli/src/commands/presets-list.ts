import type { Command } from '../command.js';

/**
 * The default registry, written out here so that `--help` does not load `@snapbox/presets`; a
 * test checks it against `harborDefaultRegistryUrl`.
 */
export const defaultRegistryForHelp = 'https://raw.githubusercontent.com/laude-institute/harbor/main/registry.json';

/** `snapbox presets list`: the presets a Harbor registry yields, with their task counts. */
export const presetsList = {
  path: ['presets', 'list'],
  summary: 'List the presets of a Harbor registry, with their task counts',
  usage: `Usage: snapbox presets list [--registry FILE|URL] [--agents a,b] [--timeout DURATION] [--json]

Loads a Harbor dataset registry, registers its datasets as presets without duplicates
(ARES names: swebench-verified -> sbv, terminal-bench -> tbench; <short>-<version> always,
<short> when a name has one version), and prints them with their number of tasks.
The deduplication report goes to stderr.

Options:
  --registry FILE|URL  the registry to load: a path, a file: URL or an http(s) URL
                       (default: ${defaultRegistryForHelp})
  --agents a,b         also list <id>-<agent> presets for these agents
  --timeout DURATION   give up on a download after this long (30s, 2m; default 60s)
  --json               print a JSON array of { name, description, numTasks }
  -h, --help           show this help

Exit status: 0 on success, 1 when the registry cannot be loaded (or its download times out) or is
malformed (every problem is listed), 2 for bad arguments.
`,
  options: {
    registry: { type: 'string' },
    agents: { type: 'string' },
    timeout: { type: 'string' },
    json: { type: 'boolean' },
  },
  load: () => import('./presets-list-run.js'),
} as const satisfies Command;
