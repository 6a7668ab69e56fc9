import type { Container, ContainerFactory, ContainerOptions } from '@snapbox/core';

/** What every task of a preset has: a name, unique enough for a human to recognise it. */
export interface PresetTask {
  /** The task's name as its dataset gives it. */
  readonly name: string;
}

/**
 * A named set of tasks, each of which can become a container. Register one with
 * `PresetRegistry.register`; Harbor datasets become `HarborPreset`s.
 */
export interface PresetSpec<T extends PresetTask = PresetTask> {
  /** One human-readable paragraph: what the tasks are and where they come from. */
  readonly description: string;
  /** Every task, in the preset's order; selectors (`name:3`, `name@0/4`) index into it. */
  readonly tasks: readonly T[];
  /**
   * Prepares what `task` needs (for Harbor: fetches its folder) and returns a `created`
   * container from `factory`; the caller starts it. Containers are never started here.
   * @throws whatever the preparation throws (a `SnapboxError` subclass), and the factory's
   *   `InvalidArgumentError` for bad `options`.
   */
  createContainer<C extends Container>(task: T, factory: ContainerFactory<C>, options?: ContainerOptions): Promise<C>;
}

/** A preset's summary, as `PresetRegistry.info` and `list` return it. */
export interface PresetInfo {
  /** The registered name. */
  readonly name: string;
  /** The preset's description. */
  readonly description: string;
  /** How many tasks the preset has. */
  readonly numTasks: number;
}
