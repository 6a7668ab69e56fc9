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
import { parseCommandArgs, UsageError } from '../command.js';
import { parseDuration } from '../format.js';
import { presetsList } from './presets-list.js';

const descriptionWidth = 80;

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > descriptionWidth ? `${flat.slice(0, descriptionWidth - 1)}…` : flat;
}

/** Runs `snapbox presets list` (see {@link presetsList} for its usage). */
export async function run(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(args, presetsList.options);
  const agents = values.agents?.split(',').map((agent) => agent.trim());
  if (agents?.some((agent) => agent === '')) {
    throw new UsageError(`--agents takes a comma-separated list of names, got ${JSON.stringify(values.agents)}`);
  }
  if (values.registry === '') throw new UsageError('--registry needs a file or URL');
  let timeoutMs: number | undefined;
  if (values.timeout !== undefined) {
    timeoutMs = parseDuration(values.timeout);
    if (timeoutMs === undefined || timeoutMs === 0) {
      throw new UsageError(`--timeout takes a duration such as 30s or 2m, got ${JSON.stringify(values.timeout)}`);
    }
  }

  let datasets: HarborDataset[];
  try {
    datasets = await loadHarborRegistry(values.registry ?? harborDefaultRegistryUrl, {
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    });
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
}
