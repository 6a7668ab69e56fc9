import { harborPresetId, harborShortName } from './harbor-naming.js';
import { HarborPreset, harborDatasetFingerprint } from './harbor-preset.js';
import type { HarborDataset } from './harbor-registry-schema.js';
import type { FetchHarborTaskOptions } from './harbor-task-fetch.js';
import { defaultLogger, type Logger } from './logger.js';
import { assertPresetName } from './preset-name.js';
import { defaultRegistry, type PresetRegistry } from './preset-registry.js';

/** Options of {@link registerHarborDatasets}. */
export interface RegisterHarborOptions {
  /** Where to register. Default: {@link defaultRegistry}. */
  registry?: PresetRegistry;
  /**
   * Agents to make presets for: each id also gets `<id>-<agent>` (`tbench-2.0-terminus`,
   * `tbench-terminus`). The plain ids are registered either way. Default: none.
   */
  agents?: readonly string[];
  /** Receives the registration report at debug level. Default: {@link defaultLogger}. */
  logger?: Logger;
  /** Default fetch options of the registered presets (for example `cacheDir`). */
  fetch?: FetchHarborTaskOptions;
}

/** A dataset entry skipped because an earlier entry has the same name, version and content. */
export interface SkippedDuplicate {
  /** The dataset's name. */
  readonly name: string;
  /** The dataset's version. */
  readonly version: string;
  /** 0-based position of the skipped entry in the list given. */
  readonly entryIndex: number;
  /** 0-based position of the earlier, registered entry. */
  readonly keptEntryIndex: number;
}

/** An unversioned alias (`<short>`) that was not registered, and why. */
export interface SuppressedAlias {
  /** The alias that was not registered. */
  readonly alias: string;
  /** The dataset name it would have stood for. */
  readonly datasetName: string;
  /** Why: several versions exist, or the name is taken by another preset. */
  readonly reason: string;
}

/**
 * Two candidates for one thing, of which one was kept:
 * - `dataset`: two entries with the same name and version but different content; the first
 *   entry in the list wins (the one a first-match lookup by name and version finds, and a rule
 *   that depends on nothing but order);
 * - `preset-name`: two different datasets would get the same preset name (or the name is already
 *   registered with other content); the earlier registration wins, since a name is registered once.
 */
export type RegistrationConflict =
  | {
      /** Two registry entries for the same dataset and version differ. */
      readonly kind: 'dataset';
      /** The dataset's name. */
      readonly name: string;
      /** The dataset's version. */
      readonly version: string;
      /** 0-based position of the entry that was registered. */
      readonly keptEntryIndex: number;
      /** 0-based position of the entry that was dropped. */
      readonly droppedEntryIndex: number;
      /** What differs, e.g. `description`, `tasks (89 vs 90)`, `tasks[3]`. */
      readonly differences: readonly string[];
      /** Which one won and why, in a sentence. */
      readonly reason: string;
    }
  | {
      /** Two different datasets map to the same preset name, or the name is already taken. */
      readonly kind: 'preset-name';
      /** The contested preset name. */
      readonly presetName: string;
      /** What holds the name, e.g. `terminal-bench@2.0 (entry 37)`. */
      readonly kept: string;
      /** What did not get it. */
      readonly dropped: string;
      /** Which one won and why, in a sentence. */
      readonly reason: string;
    };

/** What {@link registerHarborDatasets} did. */
export interface HarborRegistrationReport {
  /** Preset names registered by this call, in registration order. */
  readonly registered: readonly string[];
  /** Names that were already registered with the same content (registering a registry twice). */
  readonly alreadyRegistered: readonly string[];
  /** Aliases not registered. */
  readonly aliasesSuppressed: readonly SuppressedAlias[];
  /** Exact duplicate entries skipped. */
  readonly duplicatesSkipped: readonly SkippedDuplicate[];
  /** Conflicts resolved, with the winner and the reason. */
  readonly conflicts: readonly RegistrationConflict[];
}

interface Candidate {
  readonly id: string;
  readonly dataset: HarborDataset;
  readonly entryIndex: number;
  readonly agent: string | undefined;
  readonly alias: boolean;
}

function differences(kept: HarborDataset, dropped: HarborDataset): string[] {
  const out: string[] = [];
  if (kept.description !== dropped.description) out.push('description');
  if (kept.tasks.length !== dropped.tasks.length) {
    out.push(`tasks (${kept.tasks.length} vs ${dropped.tasks.length})`);
  } else {
    const index = kept.tasks.findIndex((task, i) => JSON.stringify(task) !== JSON.stringify(dropped.tasks[i]));
    if (index !== -1)
      out.push(
        `tasks[${index}] (${JSON.stringify(kept.tasks[index]!.name)} vs ${JSON.stringify(dropped.tasks[index]!.name)})`,
      );
  }
  if (JSON.stringify(kept.metrics) !== JSON.stringify(dropped.metrics)) out.push('metrics');
  return out.length > 0 ? out : ['field order only'];
}

const label = (dataset: HarborDataset, entryIndex: number) =>
  `${dataset.name}@${dataset.version} (entry ${entryIndex})`;

/**
 * Registers Harbor datasets as presets, with ARES's naming and without duplicates:
 * - every distinct (name, version) gets `<short>-<version>` (`tbench-2.0`, `sbv-1.0`), where the
 *   short name is `sbv` for `swebench-verified`, `tbench` for `terminal-bench`, else the name;
 * - a name with exactly one version also gets the alias `<short>` (`tbench`); with several
 *   versions the alias is suppressed and reported; an alias never shadows a versioned id;
 * - with `agents`, each of those ids also gets `<id>-<agent>`;
 * - an entry repeating an earlier one (same name, version and content) is skipped; one with the
 *   same name and version but other content is dropped and reported as a conflict (the first
 *   entry wins);
 * - a name already registered with the same content is left alone, so registering the same
 *   registry twice is harmless; one registered with other content is kept and reported.
 *
 * The report is also logged at debug level (see {@link RegisterHarborOptions.logger}).
 * @param datasets as {@link parseHarborRegistry} or {@link loadHarborRegistry} return them;
 *   entry positions in the report are positions in this list.
 * @throws InvalidArgumentError for an agent name that is not a valid preset-name part, or a
 *   dataset whose ids would not be valid preset names.
 */
export function registerHarborDatasets(
  datasets: readonly HarborDataset[],
  options: RegisterHarborOptions = {},
): HarborRegistrationReport {
  const registry = options.registry ?? defaultRegistry;
  const agents = [...new Set(options.agents ?? [])];
  agents.forEach((agent, index) => {
    assertPresetName(agent, `options.agents[${index}]`);
  });

  const duplicatesSkipped: SkippedDuplicate[] = [];
  const conflicts: RegistrationConflict[] = [];
  const aliasesSuppressed: SuppressedAlias[] = [];

  // 1. One entry per (name, version): the first wins.
  const firstByKey = new Map<string, { dataset: HarborDataset; entryIndex: number; fingerprint: string }>();
  datasets.forEach((dataset, entryIndex) => {
    const key = JSON.stringify([dataset.name, dataset.version]);
    const fingerprint = harborDatasetFingerprint(dataset);
    const first = firstByKey.get(key);
    if (first === undefined) {
      firstByKey.set(key, { dataset, entryIndex, fingerprint });
    } else if (first.fingerprint === fingerprint) {
      duplicatesSkipped.push({
        name: dataset.name,
        version: dataset.version,
        entryIndex,
        keptEntryIndex: first.entryIndex,
      });
    } else {
      conflicts.push({
        kind: 'dataset',
        name: dataset.name,
        version: dataset.version,
        keptEntryIndex: first.entryIndex,
        droppedEntryIndex: entryIndex,
        differences: differences(first.dataset, dataset),
        reason: `entry ${first.entryIndex} was kept because it comes first in the registry (the one a lookup of ${dataset.name}@${dataset.version} finds); entry ${entryIndex} was dropped`,
      });
    }
  });
  const unique = [...firstByKey.values()];

  // 2. Candidate names: versioned ids first, so that no alias can take one of them.
  const versionsByName = new Map<string, string[]>();
  for (const { dataset } of unique)
    versionsByName.set(dataset.name, [...(versionsByName.get(dataset.name) ?? []), dataset.version]);
  const candidates: Candidate[] = [];
  const withAgents = (id: string, dataset: HarborDataset, entryIndex: number, alias: boolean) => {
    candidates.push({ id, dataset, entryIndex, agent: undefined, alias });
    for (const agent of agents) candidates.push({ id: `${id}-${agent}`, dataset, entryIndex, agent, alias });
  };
  for (const { dataset, entryIndex } of unique)
    withAgents(harborPresetId(dataset.name, dataset.version), dataset, entryIndex, false);
  for (const { dataset, entryIndex } of unique) {
    const versions = versionsByName.get(dataset.name)!;
    const alias = harborShortName(dataset.name);
    if (versions.length === 1) {
      withAgents(alias, dataset, entryIndex, true);
    } else if (versions[0] === dataset.version) {
      aliasesSuppressed.push({
        alias,
        datasetName: dataset.name,
        reason: `${versions.length} versions exist (${versions.join(', ')}); use a versioned id such as ${harborPresetId(dataset.name, versions[0]!)}`,
      });
    }
  }
  for (const candidate of candidates)
    assertPresetName(candidate.id, `preset id of ${label(candidate.dataset, candidate.entryIndex)}`);

  // 3. Register, keeping whatever already holds a name.
  const registered: string[] = [];
  const alreadyRegistered: string[] = [];
  const claimedBy = new Map<string, Candidate>();
  for (const candidate of candidates) {
    const claimant = claimedBy.get(candidate.id);
    if (claimant !== undefined) {
      if (candidate.alias && candidate.agent === undefined) {
        aliasesSuppressed.push({
          alias: candidate.id,
          datasetName: candidate.dataset.name,
          reason: `the name is already the id of ${label(claimant.dataset, claimant.entryIndex)}`,
        });
      } else if (!candidate.alias) {
        conflicts.push({
          kind: 'preset-name',
          presetName: candidate.id,
          kept: label(claimant.dataset, claimant.entryIndex),
          dropped: label(candidate.dataset, candidate.entryIndex),
          reason: 'two datasets map to the same preset name; the one earlier in the registry keeps it',
        });
      }
      continue;
    }
    claimedBy.set(candidate.id, candidate);
    const preset = new HarborPreset({
      dataset: candidate.dataset,
      ...(candidate.agent === undefined ? {} : { agent: candidate.agent }),
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    });
    if (registry.has(candidate.id)) {
      const existing = registry.get(candidate.id);
      const same =
        HarborPreset.isInstance(existing) &&
        existing.dataset.name === candidate.dataset.name &&
        existing.dataset.version === candidate.dataset.version &&
        existing.agent === candidate.agent &&
        existing.fingerprint === preset.fingerprint;
      if (same) {
        alreadyRegistered.push(candidate.id);
      } else {
        conflicts.push({
          kind: 'preset-name',
          presetName: candidate.id,
          kept: 'the preset already registered under this name',
          dropped: label(candidate.dataset, candidate.entryIndex),
          reason:
            'the name was already registered with other content; a name is registered once, so the existing preset stays',
        });
      }
      continue;
    }
    registry.register(candidate.id, preset);
    registered.push(candidate.id);
  }

  const report: HarborRegistrationReport = {
    registered,
    alreadyRegistered,
    aliasesSuppressed,
    duplicatesSkipped,
    conflicts,
  };
  (options.logger ?? defaultLogger()).debug(formatRegistrationReport(report), report);
  return report;
}

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/**
 * A human-readable report: a summary line, then one line per suppressed alias, skipped
 * duplicate and conflict. `snapbox presets list` prints it on stderr.
 */
export function formatRegistrationReport(report: HarborRegistrationReport): string {
  const lines = [
    `Harbor presets: ${plural(report.registered.length, 'registered', 'registered')}, ${report.alreadyRegistered.length} already registered, ` +
      `${plural(report.aliasesSuppressed.length, 'alias', 'aliases')} suppressed, ${plural(report.duplicatesSkipped.length, 'duplicate')} skipped, ` +
      `${plural(report.conflicts.length, 'conflict')}.`,
  ];
  for (const alias of report.aliasesSuppressed)
    lines.push(`  alias ${alias.alias} (${alias.datasetName}) not registered: ${alias.reason}`);
  for (const duplicate of report.duplicatesSkipped) {
    lines.push(
      `  duplicate skipped: ${duplicate.name}@${duplicate.version} (entry ${duplicate.entryIndex}) repeats entry ${duplicate.keptEntryIndex}`,
    );
  }
  for (const conflict of report.conflicts) {
    if (conflict.kind === 'dataset') {
      lines.push(
        `  conflict: ${conflict.name}@${conflict.version} entries ${conflict.keptEntryIndex} and ${conflict.droppedEntryIndex} differ in ${conflict.differences.join(', ')}; ${conflict.reason}`,
      );
    } else {
      lines.push(
        `  conflict: preset ${conflict.presetName} kept for ${conflict.kept}, not ${conflict.dropped}: ${conflict.reason}`,
      );
    }
  }
  return lines.join('\n');
}
