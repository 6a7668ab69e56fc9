import { InvalidArgumentError } from '@snapbox/core';
import { isValidPresetName, presetNamePattern } from './preset-name.js';

/** Which tasks of a preset a selector picks. */
export type TaskSelection =
  /** `name`: every task. */
  | {
      /** Every task. */
      readonly kind: 'all';
    }
  /** `name:5`: the task at this 0-based index. */
  | {
      /** One task. */
      readonly kind: 'index';
      /** Its 0-based index. */
      readonly index: number;
    }
  /** `name:2:10`, `name:5:`, `name::10`: tasks `start` (default 0) up to, not including, `end` (default: the last). */
  | {
      /** A range of tasks. */
      readonly kind: 'slice';
      /** The first index; `undefined` for 0. */
      readonly start: number | undefined;
      /** The index after the last; `undefined` for the end. Clamped like a Python slice. */
      readonly end: number | undefined;
    }
  /** `name@2/8`: shard `index` (0-based) of `count` near-equal contiguous shards. */
  | {
      /** One shard of the tasks. */
      readonly kind: 'shard';
      /** The shard's 0-based index, below `count`. */
      readonly index: number;
      /** How many shards the tasks are split into. */
      readonly count: number;
    };

/** A selector string taken apart. */
export interface ParsedSelector {
  /** The preset name before the first `:` or `@`. */
  readonly name: string;
  /** Which of its tasks are selected. */
  readonly selection: TaskSelection;
}

function fail(selector: string, problem: string): never {
  throw new InvalidArgumentError({ argument: 'selector', message: `${JSON.stringify(selector)} ${problem}` });
}

function parseCount(selector: string, text: string, what: string): number {
  if (text === '') fail(selector, `has an empty ${what}`);
  if (/^-\d+$/.test(text)) fail(selector, `has a negative ${what} (${text}); counting starts at 0`);
  if (!/^\d+$/.test(text)) fail(selector, `has a ${what} that is not a non-negative integer: ${JSON.stringify(text)}`);
  const value = Number(text);
  if (!Number.isSafeInteger(value)) fail(selector, `has a ${what} that is too large: ${text}`);
  return value;
}

/**
 * Parses a task selector, as ARES writes them:
 * `name` (every task), `name:5` (the task at index 5), `name:2:10`, `name:5:`, `name::10`
 * (slices, end excluded), and `name@2/8` (shard 2 of 8, shards numbered from 0).
 * The name is everything before the first `:` or `@`; preset names contain neither.
 * @throws InvalidArgumentError (argument `selector`) naming the problem: an empty or invalid name,
 *   an empty, negative or non-integer number, start ≥ end, a shard index ≥ the shard count,
 *   a shard count of 0, or extra separators.
 */
export function parseSelector(selector: string): ParsedSelector {
  if (typeof selector !== 'string' || selector === '') {
    throw new InvalidArgumentError({
      argument: 'selector',
      message: 'expected a non-empty string such as "tbench-2.0:3"',
    });
  }
  const at = selector.search(/[:@]/);
  const name = at === -1 ? selector : selector.slice(0, at);
  if (name === '') fail(selector, 'has no preset name before its first ":" or "@"');
  if (!isValidPresetName(name))
    fail(selector, `has an invalid preset name ${JSON.stringify(name)} (allowed: ${presetNamePattern})`);
  if (at === -1) return { name, selection: { kind: 'all' } };

  const rest = selector.slice(at + 1);
  if (selector[at] === '@') {
    if (/[:@]/.test(rest)) fail(selector, 'has extra separators after "@"; a shard is written name@INDEX/COUNT');
    const parts = rest.split('/');
    if (parts.length !== 2) {
      fail(
        selector,
        `has ${parts.length > 2 ? 'extra "/" separators' : 'no "/"'}; a shard is written name@INDEX/COUNT`,
      );
    }
    const index = parseCount(selector, parts[0]!, 'shard index');
    const count = parseCount(selector, parts[1]!, 'shard count');
    if (count === 0) fail(selector, 'has a shard count of 0; it must be at least 1');
    if (index >= count) {
      fail(
        selector,
        `has shard index ${index}, which is not below the shard count ${count} (shards are numbered 0..${count - 1})`,
      );
    }
    return { name, selection: { kind: 'shard', index, count } };
  }

  if (rest.includes('@')) fail(selector, 'mixes ":" and "@"; write name:START:END or name@INDEX/COUNT, not both');
  const parts = rest.split(':');
  if (parts.length > 2) fail(selector, 'has extra ":" separators; write name:INDEX or name:START:END');
  if (parts.length === 1)
    return { name, selection: { kind: 'index', index: parseCount(selector, parts[0]!, 'task index') } };
  const [startText, endText] = parts as [string, string];
  if (startText === '' && endText === '') fail(selector, 'is an empty slice "::"; write the name alone for every task');
  const start = startText === '' ? undefined : parseCount(selector, startText, 'slice start');
  const end = endText === '' ? undefined : parseCount(selector, endText, 'slice end');
  if (start !== undefined && end !== undefined && start >= end) {
    fail(selector, `has slice start ${start} not below its end ${end}; the slice would be empty`);
  }
  return { name, selection: { kind: 'slice', start, end } };
}

/**
 * The `[start, end)` range of shard `index` of `count` over `total` items: contiguous shards in
 * order, the first `total % count` of them one item longer, so sizes differ by at most one and
 * every item is in exactly one shard. Shards are empty when `count > total` and `index ≥ total`.
 */
export function shardRange(
  total: number,
  index: number,
  count: number,
): {
  /** The shard's first index. */
  start: number;
  /** The index after the shard's last (equal to `start` for an empty shard). */
  end: number;
} {
  const base = Math.floor(total / count);
  const remainder = total % count;
  const start = index * base + Math.min(index, remainder);
  return { start, end: start + base + (index < remainder ? 1 : 0) };
}

function available(count: number): string {
  if (count === 0) return 'there are no tasks';
  return count === 1 ? 'there is 1 task (index 0)' : `there are ${count} tasks (indexes 0..${count - 1})`;
}

/**
 * Applies a selection to a task list. Slices clamp to the list like Python's (`name::10` of a
 * five-task preset is all five), but must select at least one task; shards may be empty when
 * there are more shards than tasks.
 * @param label names the selection in error messages (for example the selector string).
 * @throws InvalidArgumentError (argument `selector`) for an index past the last task, or a slice
 *   that starts past it.
 */
export function applySelection<T>(tasks: readonly T[], selection: TaskSelection, label = 'the selection'): T[] {
  switch (selection.kind) {
    case 'all':
      return [...tasks];
    case 'index': {
      if (selection.index >= tasks.length) {
        throw new InvalidArgumentError({
          argument: 'selector',
          message: `${label} asks for task ${selection.index}, but ${available(tasks.length)}`,
        });
      }
      return [tasks[selection.index]!];
    }
    case 'slice': {
      const start = selection.start ?? 0;
      if (start >= tasks.length) {
        throw new InvalidArgumentError({
          argument: 'selector',
          message: `${label} starts at task ${start}, but ${available(tasks.length)}`,
        });
      }
      return tasks.slice(start, selection.end);
    }
    case 'shard': {
      const { start, end } = shardRange(tasks.length, selection.index, selection.count);
      return tasks.slice(start, end);
    }
  }
}
