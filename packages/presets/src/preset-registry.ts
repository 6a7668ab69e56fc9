import { InvalidArgumentError } from '@snapbox/core';
import { PresetAlreadyRegisteredError } from './errors/preset-already-registered-error.js';
import { PresetNotFoundError } from './errors/preset-not-found-error.js';
import type { PresetInfo, PresetSpec, PresetTask } from './preset.js';
import { assertPresetName } from './preset-name.js';
import { applySelection, parseSelector, type TaskSelection } from './selector.js';

/** What `PresetRegistry.select` returns: the preset a selector names and the tasks it picks. */
export interface PresetSelection<T extends PresetTask = PresetTask> {
  /** The preset's registered name. */
  readonly name: string;
  /** The preset itself, for `createContainer`. */
  readonly preset: PresetSpec<T>;
  /** The parsed selection. */
  readonly selection: TaskSelection;
  /** The selected tasks, in the preset's order. */
  readonly tasks: readonly T[];
}

function assertSpec(spec: unknown): asserts spec is PresetSpec {
  if (typeof spec !== 'object' || spec === null) {
    throw new InvalidArgumentError({
      argument: 'spec',
      message: 'expected an object with description, tasks and createContainer',
    });
  }
  const s = spec as Record<string, unknown>;
  if (typeof s.description !== 'string') {
    throw new InvalidArgumentError({
      argument: 'spec.description',
      message: `expected a string, got ${typeof s.description}`,
    });
  }
  if (!Array.isArray(s.tasks)) {
    throw new InvalidArgumentError({ argument: 'spec.tasks', message: 'expected an array of tasks' });
  }
  if (typeof s.createContainer !== 'function') {
    throw new InvalidArgumentError({ argument: 'spec.createContainer', message: 'expected a function' });
  }
}

/**
 * Named presets, each registered once. Names match `^[a-zA-Z0-9_./-]+$`; `list()` is sorted
 * by name.
 *
 * Most programs use the shared {@link defaultRegistry}; create a separate one to keep a set of
 * presets apart (a test, a command that loads a registry file for one run).
 */
export class PresetRegistry {
  readonly #presets = new Map<string, PresetSpec>();

  /**
   * Registers `spec` under `name`.
   * @throws InvalidArgumentError for an invalid name or a spec without `description`, `tasks`
   *   and `createContainer`.
   * @throws PresetAlreadyRegisteredError when `name` is taken, whatever its spec.
   */
  register<T extends PresetTask>(name: string, spec: PresetSpec<T>): void {
    assertPresetName(name);
    assertSpec(spec);
    if (this.#presets.has(name)) throw new PresetAlreadyRegisteredError({ presetName: name });
    this.#presets.set(name, spec as unknown as PresetSpec);
  }

  /** True when a preset of that name is registered. */
  has(name: string): boolean {
    return this.#presets.has(name);
  }

  /**
   * The preset registered under `name`. Narrow it with a guard such as
   * `HarborPreset.isInstance` to reach what a kind of preset adds.
   * @throws PresetNotFoundError when there is none, with close names as suggestions.
   */
  get(name: string): PresetSpec {
    const spec = this.#presets.get(name);
    if (spec === undefined) throw new PresetNotFoundError({ presetName: name, suggestions: this.#suggest(name) });
    return spec;
  }

  /**
   * The name, description and number of tasks of one preset.
   * @throws PresetNotFoundError when there is none.
   */
  info(name: string): PresetInfo {
    const spec = this.get(name);
    return { name, description: spec.description, numTasks: spec.tasks.length };
  }

  /** Every registered preset's {@link PresetInfo}, sorted by name. */
  list(): PresetInfo[] {
    return this.names().map((name) => this.info(name));
  }

  /** Every registered name, sorted. */
  names(): string[] {
    return [...this.#presets.keys()].sort();
  }

  /** How many presets are registered. */
  get size(): number {
    return this.#presets.size;
  }

  /**
   * Resolves a selector (`name`, `name:5`, `name:2:10`, `name:5:`, `name::10`, `name@2/8`; see
   * {@link parseSelector}) to its preset and tasks.
   * @throws InvalidArgumentError for a malformed selector or one past the preset's last task.
   * @throws PresetNotFoundError when the name is not registered.
   */
  select(selector: string): PresetSelection {
    const { name, selection } = parseSelector(selector);
    const preset = this.get(name);
    return { name, preset, selection, tasks: applySelection(preset.tasks, selection, JSON.stringify(selector)) };
  }

  #suggest(name: string): string[] {
    const stem = name.toLowerCase().split(/[-_./]/)[0] ?? '';
    if (stem === '') return [];
    return this.names()
      .filter((candidate) => candidate.toLowerCase().startsWith(stem))
      .slice(0, 5);
  }
}

/** The registry shared by a process; nothing is registered in it until a caller does. */
export const defaultRegistry: PresetRegistry = new PresetRegistry();
