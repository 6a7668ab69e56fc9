import {
  formatRegistrationReport,
  type HarborDataset,
  harborDefaultRegistryUrl,
  loadHarborRegistry,
  PresetRegistry,
  RegistryLoadError,
  registerHarborDatasets,
} from '@snapbox/presets';
import type { CliIo } from '../cli-io.js';
import { type Command, parseCommandArgs, UsageError } from '../command.js';

const descriptionWidth = 80;

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > descriptionWidth ? `${flat.slice(0, descriptionWidth - 1)}…` : flat;
}

/** `snapbox presets list`: the presets a Harbor registry yields, with their task counts. */
export const presetsList: Command = {
  path: ['presets', 'list'],
  summary: 'List the presets of a Harbor registry, with their task counts',
  usage: `Usage: snapbox presets list [--registry FILE|URL] [--agents a,b] [--json]

Loads a Harbor dataset registry, registers its datasets as presets without duplicates
(ARES names: swebench-verified -> sbv, terminal-bench -> tbench; <short>-<version> always,
<short> when a name has one version), and prints them with their number of tasks.
The deduplication report goes to stderr.

Options:
  --registry FILE|URL  the registry to load (default: ${harborDefaultRegistryUrl})
  --agents a,b         also list <id>-<agent> presets for these agents
  --json               print a JSON array of { name, description, numTasks }
  -h, --help           show this help

Exit status: 0 on success, 1 when the registry cannot be loaded or is malformed, 2 for bad arguments.
`,
  async run(args: readonly string[], io: CliIo): Promise<number> {
    const { values } = parseCommandArgs(args, {
      registry: { type: 'string' },
      agents: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      io.stdout.write(this.usage);
      return 0;
    }
    const agents = values.agents?.split(',').map((agent) => agent.trim());
    if (agents?.some((agent) => agent === '')) {
      throw new UsageError(`--agents takes a comma-separated list of names, got ${JSON.stringify(values.agents)}`);
    }
    if (values.registry === '') throw new UsageError('--registry needs a file or URL');

    let datasets: HarborDataset[];
    try {
      datasets = await loadHarborRegistry(values.registry ?? harborDefaultRegistryUrl);
    } catch (error) {
      if (!RegistryLoadError.isInstance(error) || values.registry !== undefined) throw error;
      io.stderr.write(
        `snapbox presets list: ${error.message}\nThe default registry needs network access; pass --registry FILE to use a local copy.\n`,
      );
      return 1;
    }
    const registry = new PresetRegistry();
    // The report is printed below; a logger would print it a second time.
    const report = registerHarborDatasets(datasets, {
      registry,
      logger: { debug() {} },
      ...(agents ? { agents } : {}),
    });
    const presets = registry.list();

    if (values.json) {
      io.stdout.write(`${JSON.stringify(presets, null, 2)}\n`);
    } else {
      const nameWidth = Math.max(4, ...presets.map((preset) => preset.name.length));
      const countWidth = Math.max(5, ...presets.map((preset) => String(preset.numTasks).length));
      const row = (name: string, count: string, description: string) =>
        `${name.padEnd(nameWidth)}  ${count.padStart(countWidth)}  ${description}`.trimEnd();
      const lines = [row('NAME', 'TASKS', 'DESCRIPTION')];
      for (const preset of presets) lines.push(row(preset.name, String(preset.numTasks), oneLine(preset.description)));
      io.stdout.write(`${lines.join('\n')}\n`);
    }
    io.stderr.write(`${formatRegistrationReport(report)}\n`);
    return 0;
  },
};
