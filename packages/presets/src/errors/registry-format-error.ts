import { hasErrorMarker, markError, SnapboxError } from '@snapbox/core';

const marker = Symbol.for('snapbox.error.RegistryFormatError');

/** At most this many problems are spelled out in the message; all of them are in `problems`. */
const listedProblems = 20;

/** One thing wrong with a Harbor registry, as {@link RegistryFormatError.problems} lists them. */
export interface RegistryProblem {
  /** 0-based position of the offending entry in the registry array; `undefined` for the file as a whole. */
  readonly entryIndex: number | undefined;
  /** The dataset as `name@version` (or just `name`) when those fields could be read. */
  readonly dataset: string | undefined;
  /** The offending field, e.g. `tasks[3].git_url`; `(registry)` for the file as a whole. */
  readonly field: string;
  /** What is wrong with it, e.g. `expected a non-empty string, got number 7`. */
  readonly detail: string;
}

function describeProblem(problem: RegistryProblem): string {
  const where =
    problem.entryIndex === undefined
      ? ''
      : problem.dataset === undefined
        ? `entry ${problem.entryIndex}, `
        : `dataset ${problem.dataset} (entry ${problem.entryIndex}), `;
  return `${where}field ${problem.field}: ${problem.detail}`;
}

function message(source: string, problems: readonly RegistryProblem[]): string {
  const [first] = problems;
  if (first === undefined) return `Malformed Harbor registry ${source}.`;
  // Empty, not JSON, not an array: nothing in it can be read, so there is no entry to point at.
  if (first.entryIndex === undefined) {
    return `Malformed Harbor registry ${source}: ${first.detail}. Fix the file, or load another registry.`;
  }
  if (problems.length === 1) {
    return `Malformed Harbor registry ${source}: ${describeProblem(first)}. Fix that entry, or load another registry.`;
  }
  const entries = new Set(problems.map((problem) => problem.entryIndex)).size;
  const lines = problems.slice(0, listedProblems).map((problem) => `  - ${describeProblem(problem)}`);
  if (problems.length > listedProblems) {
    lines.push(`  ... and ${problems.length - listedProblems} more (the error's \`problems\` lists them all)`);
  }
  return `Malformed Harbor registry ${source}: ${problems.length} problems in ${entries} ${entries === 1 ? 'entry' : 'entries'}:\n${lines.join('\n')}\nFix those entries, or load another registry.`;
}

/**
 * A Harbor registry is malformed. Either the file as a whole is unusable (empty, not JSON, not an
 * array of datasets: one problem, with `entryIndex` undefined and `field` `(registry)`), or some
 * entries do not match the schema: then {@link RegistryFormatError.problems} lists every problem
 * of every entry, in registry order, and the message spells them out (the first 20 of them),
 * naming the source, the dataset (by name and version when they are readable, and always by its
 * position) and the field.
 */
export class RegistryFormatError extends SnapboxError {
  /** Where the registry came from: a file path, a URL, or a label given by the caller. */
  readonly source: string;
  /** Every problem found, in registry order; at least one. */
  readonly problems: readonly RegistryProblem[];
  /** The first problem's entry: 0-based position in the registry array; `undefined` for the file as a whole. */
  readonly entryIndex: number | undefined;
  /** The first problem's dataset as `name@version` (or just `name`) when those fields could be read. */
  readonly dataset: string | undefined;
  /** The first problem's field, e.g. `tasks[3].git_url`; `(registry)` for the file as a whole. */
  readonly field: string;

  /** `problems` lists what is wrong, in registry order (at least one). */
  constructor(options: { source: string; problems: readonly RegistryProblem[]; cause?: unknown }) {
    super('REGISTRY_FORMAT', { message: message(options.source, options.problems), cause: options.cause });
    this.source = options.source;
    this.problems = Object.freeze([...options.problems]);
    const first = options.problems[0];
    this.entryIndex = first?.entryIndex;
    this.dataset = first?.dataset;
    this.field = first?.field ?? '(registry)';
    markError(this, marker);
  }

  /** True for this error, including one created by another copy of this package. */
  static override isInstance(value: unknown): value is RegistryFormatError {
    return hasErrorMarker(value, marker);
  }
}
