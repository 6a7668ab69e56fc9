import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from '@snapbox/core';
import { harborRegistryPath } from '@snapbox/test-support';
import { describe, expect, it } from 'vitest';
import { HarborPreset } from './harbor-preset.js';
import { formatRegistrationReport, registerHarborDatasets } from './harbor-registration.js';
import type { HarborDataset } from './harbor-registry-schema.js';
import { parseHarborRegistry } from './harbor-registry-schema.js';
import { loadHarborRegistry } from './load-harbor-registry.js';
import type { Logger } from './logger.js';
import type { PresetSpec } from './preset.js';
import { PresetRegistry } from './preset-registry.js';

/** The real registry (Harbor commit 02e4b0b), vendored in @snapbox/test-support (see its PROVENANCE.md). */
const realRegistryPath = harborRegistryPath;

const silent: Logger = { debug() {} };

/** A second, deliberately naive reading of the file, independent of the code under test. */
function naiveCounts() {
  const raw = JSON.parse(readFileSync(realRegistryPath, 'utf8')) as {
    name: string;
    version: string;
    tasks: unknown[];
  }[];
  const versions = new Map<string, Set<string>>();
  for (const entry of raw) versions.set(entry.name, (versions.get(entry.name) ?? new Set()).add(entry.version));
  let pairs = 0;
  let singleVersionNames = 0;
  for (const set of versions.values()) {
    pairs += set.size;
    if (set.size === 1) singleVersionNames++;
  }
  return {
    raw,
    entries: raw.length,
    names: versions.size,
    pairs,
    singleVersionNames,
    tasks: raw.reduce((n, e) => n + e.tasks.length, 0),
  };
}

describe('registerHarborDatasets on the real registry', async () => {
  const datasets = await loadHarborRegistry(realRegistryPath);
  const naive = naiveCounts();

  it('reads every entry and task', () => {
    // Facts checked by hand against the file and recorded in PROVENANCE.md:
    // 43 dataset entries, 41 distinct names, 12,833 tasks.
    expect(naive).toMatchObject({ entries: 43, names: 41, tasks: 12833 });
    expect(datasets).toHaveLength(naive.entries);
    expect(datasets.reduce((n, d) => n + d.tasks.length, 0)).toBe(naive.tasks);
  });

  it('registers one versioned id per (name, version) and an alias per single-version name', () => {
    const registry = new PresetRegistry();
    const report = registerHarborDatasets(datasets, { registry, logger: silent });
    // No exact (name, version) repeats in this snapshot, so every entry is a distinct pair.
    expect(naive.pairs).toBe(43);
    // Only swe-lancer-diamond has several versions (all, ic, manager): 40 names have one.
    expect(naive.singleVersionNames).toBe(40);
    expect(report.registered).toHaveLength(naive.pairs + naive.singleVersionNames);
    expect(report.registered).toHaveLength(83);
    expect(registry.size).toBe(83);
    expect(report.duplicatesSkipped).toEqual([]);
    expect(report.conflicts).toEqual([]);
    expect(report.alreadyRegistered).toEqual([]);
    expect(report.aliasesSuppressed).toEqual([
      {
        alias: 'swe-lancer-diamond',
        datasetName: 'swe-lancer-diamond',
        reason: '3 versions exist (all, ic, manager); use a versioned id such as swe-lancer-diamond-all',
      },
    ]);
  });

  it('uses ARES names: sbv and tbench, versioned ids and aliases', () => {
    const registry = new PresetRegistry();
    registerHarborDatasets(datasets, { registry, logger: silent });
    const sizeOf = (name: string, version: string) =>
      naive.raw.find((e) => e.name === name && e.version === version)!.tasks.length;
    expect(registry.info('tbench-2.0')).toMatchObject({
      name: 'tbench-2.0',
      numTasks: sizeOf('terminal-bench', '2.0'),
    });
    expect(registry.info('tbench-2.0').numTasks).toBe(89);
    expect(registry.info('tbench').numTasks).toBe(89);
    expect(registry.info('sbv-1.0').numTasks).toBe(500);
    expect(registry.info('sbv').numTasks).toBe(500);
    expect(registry.info('sbv').description).toBe('A human-validated subset of 500 SWE-bench tasks');
    // Other datasets keep their own name as short name.
    expect(registry.info('terminal-bench-sample-2.0').numTasks).toBe(10);
    expect(registry.info('terminal-bench-sample').numTasks).toBe(10);
    expect(registry.info('ds-1000-head').numTasks).toBe(1000);
    expect(registry.info('swe-lancer-diamond-all').numTasks).toBe(463);
    expect(registry.info('swe-lancer-diamond-ic').numTasks).toBe(198);
    expect(registry.info('swe-lancer-diamond-manager').numTasks).toBe(265);
    expect(registry.has('swe-lancer-diamond')).toBe(false);
    // The full names of the renamed datasets are not registered.
    expect(registry.has('terminal-bench')).toBe(false);
    expect(registry.has('swebench-verified-1.0')).toBe(false);
    // Every listed count matches the naive reading of the file.
    for (const info of registry.list()) {
      const preset = registry.get(info.name);
      expect(HarborPreset.isInstance(preset)).toBe(true);
      const { dataset } = preset as HarborPreset;
      expect(info.numTasks).toBe(sizeOf(dataset.name, dataset.version));
    }
    const tbench = registry.select('tbench-2.0:3');
    expect(tbench.tasks).toHaveLength(1);
    expect(tbench.tasks[0]).toEqual(datasets.find((d) => d.name === 'terminal-bench')!.tasks[3]);
  });

  it('adds <id>-<agent> for every id when agents are named', () => {
    const registry = new PresetRegistry();
    const report = registerHarborDatasets(datasets, {
      registry,
      agents: ['terminus', 'mini-swe-agent', 'terminus'],
      logger: silent,
    });
    // 83 ids, each plain and with each of the 2 distinct agents.
    expect(report.registered).toHaveLength(83 * 3);
    const preset = registry.get('tbench-2.0-terminus');
    expect(HarborPreset.isInstance(preset) && preset.agent).toBe('terminus');
    expect(registry.info('tbench-mini-swe-agent').numTasks).toBe(89);
    expect(registry.info('sbv-1.0-mini-swe-agent').numTasks).toBe(500);
    expect(registry.has('swe-lancer-diamond-terminus')).toBe(false);
    expect(registry.has('swe-lancer-diamond-all-terminus')).toBe(true);
    expect((registry.get('tbench') as HarborPreset).agent).toBeUndefined();
  });

  it('is harmless to register twice', () => {
    const registry = new PresetRegistry();
    const first = registerHarborDatasets(datasets, { registry, logger: silent });
    const second = registerHarborDatasets(datasets, { registry, logger: silent });
    expect(second.registered).toEqual([]);
    expect([...second.alreadyRegistered].sort()).toEqual([...first.registered].sort());
    expect(second.conflicts).toEqual([]);
    expect(registry.size).toBe(83);
  });

  it('rejects an invalid agent name', () => {
    expect(() =>
      registerHarborDatasets(datasets, { registry: new PresetRegistry(), agents: ['bad agent'], logger: silent }),
    ).toThrow(InvalidArgumentError);
    expect(() =>
      registerHarborDatasets(datasets, { registry: new PresetRegistry(), agents: ['a:b'], logger: silent }),
    ).toThrow(/Invalid options\.agents\[0\]/);
  });
});

function synthetic(name: string, version: string, taskNames: string[], description = `${name} ${version}`) {
  return {
    name,
    version,
    description,
    tasks: taskNames.map((task) => ({
      name: task,
      git_url: 'file:///repo',
      git_commit_id: 'HEAD',
      path: `tasks/${task}`,
    })),
  };
}

describe('registerHarborDatasets on synthetic registries', () => {
  it('registers an exact duplicate once and reports it as skipped', () => {
    const datasets = parseHarborRegistry([
      synthetic('foo', '1.0', ['a', 'b']),
      synthetic('bar', '1', ['x']),
      synthetic('foo', '1.0', ['a', 'b']),
    ]);
    const registry = new PresetRegistry();
    const report = registerHarborDatasets(datasets, { registry, logger: silent });
    expect(report.registered).toEqual(['foo-1.0', 'bar-1', 'foo', 'bar']);
    expect(report.duplicatesSkipped).toEqual([{ name: 'foo', version: '1.0', entryIndex: 2, keptEntryIndex: 0 }]);
    expect(report.conflicts).toEqual([]);
    expect(registry.info('foo').numTasks).toBe(2);
  });

  it('registers a conflicting duplicate once, keeps the first entry and says why', () => {
    const datasets = parseHarborRegistry([
      synthetic('foo', '1.0', ['a', 'b']),
      synthetic('foo', '1.0', ['a', 'b', 'c'], 'changed'),
      synthetic('foo', '1.0', ['a', 'z']),
    ]);
    const registry = new PresetRegistry();
    const report = registerHarborDatasets(datasets, { registry, logger: silent });
    expect(report.registered).toEqual(['foo-1.0', 'foo']);
    expect(report.duplicatesSkipped).toEqual([]);
    expect(report.conflicts).toEqual([
      {
        kind: 'dataset',
        name: 'foo',
        version: '1.0',
        keptEntryIndex: 0,
        droppedEntryIndex: 1,
        differences: ['description', 'tasks (2 vs 3)'],
        reason:
          'entry 0 was kept because it comes first in the registry (the one a lookup of foo@1.0 finds); entry 1 was dropped',
      },
      expect.objectContaining({
        kind: 'dataset',
        keptEntryIndex: 0,
        droppedEntryIndex: 2,
        differences: ['tasks[1] ("b" vs "z")'],
      }),
    ]);
    expect(registry.info('foo-1.0')).toEqual({ name: 'foo-1.0', description: 'foo 1.0', numTasks: 2 });
    // The alias stays: after deduplication foo has a single version.
    expect(registry.info('foo').numTasks).toBe(2);
  });

  it('suppresses the alias of a multi-version name and never lets an alias shadow a versioned id', () => {
    // "x-1"'s alias is "x-1", which is also the versioned id of x@1: the versioned id wins.
    const datasets = parseHarborRegistry([
      synthetic('x-1', '0', ['a']),
      synthetic('x', '1', ['b']),
      synthetic('x', '2', ['c']),
    ]);
    const registry = new PresetRegistry();
    const report = registerHarborDatasets(datasets, { registry, logger: silent });
    expect(report.registered).toEqual(['x-1-0', 'x-1', 'x-2']);
    expect((registry.get('x-1') as HarborPreset).dataset.name).toBe('x');
    expect(report.aliasesSuppressed).toEqual([
      { alias: 'x', datasetName: 'x', reason: '2 versions exist (1, 2); use a versioned id such as x-1' },
      { alias: 'x-1', datasetName: 'x-1', reason: 'the name is already the id of x@1 (entry 1)' },
    ]);
  });

  it('reports two datasets that map to the same versioned id, keeping the first', () => {
    // "a-b" version "1" and "a" version "b-1" both become "a-b-1".
    const datasets = parseHarborRegistry([synthetic('a-b', '1', ['t']), synthetic('a', 'b-1', ['u'])]);
    const report = registerHarborDatasets(datasets, { registry: new PresetRegistry(), logger: silent });
    expect(report.conflicts).toEqual([
      {
        kind: 'preset-name',
        presetName: 'a-b-1',
        kept: 'a-b@1 (entry 0)',
        dropped: 'a@b-1 (entry 1)',
        reason: 'two datasets map to the same preset name; the one earlier in the registry keeps it',
      },
    ]);
  });

  it('keeps a name already registered with other content and reports it', () => {
    const registry = new PresetRegistry();
    registerHarborDatasets(parseHarborRegistry([synthetic('foo', '1.0', ['a'])]), { registry, logger: silent });
    const report = registerHarborDatasets(parseHarborRegistry([synthetic('foo', '1.0', ['a', 'b'])]), {
      registry,
      logger: silent,
    });
    expect(report.registered).toEqual([]);
    expect(report.conflicts.map((c) => c.kind === 'preset-name' && c.presetName)).toEqual(['foo-1.0', 'foo']);
    expect(registry.info('foo-1.0').numTasks).toBe(1);
    const custom: PresetSpec = {
      description: 'mine',
      tasks: [],
      createContainer: () => Promise.reject(new Error('unused')),
    };
    const other = new PresetRegistry();
    other.register('bar-2', custom);
    const second = registerHarborDatasets(parseHarborRegistry([synthetic('bar', '2', ['a'])]), {
      registry: other,
      logger: silent,
    });
    expect(second.registered).toEqual(['bar']);
    expect(second.conflicts).toEqual([
      expect.objectContaining({ presetName: 'bar-2', kept: 'the preset already registered under this name' }),
    ]);
    expect(other.get('bar-2')).toBe(custom);
  });

  it('logs the report at debug level, as text and as data', () => {
    const calls: [string, unknown][] = [];
    const datasets: HarborDataset[] = parseHarborRegistry([synthetic('foo', '1', ['a']), synthetic('foo', '1', ['a'])]);
    const report = registerHarborDatasets(datasets, {
      registry: new PresetRegistry(),
      logger: { debug: (m, d) => calls.push([m, d]) },
    });
    expect(calls).toEqual([[formatRegistrationReport(report), report]]);
    expect(calls[0]![0]).toBe(
      'Harbor presets: 2 registered, 0 already registered, 0 aliases suppressed, 1 duplicate skipped, 0 conflicts.\n' +
        '  duplicate skipped: foo@1 (entry 1) repeats entry 0',
    );
  });
});
