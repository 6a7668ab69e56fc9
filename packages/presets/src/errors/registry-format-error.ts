import { hasErrorMarker, markError, SnapboxError } from '@snapbox/core';

const marker = Symbol.for('snapbox.error.RegistryFormatError');

/**
 * A Harbor registry is malformed: not JSON, not an array of datasets, or an entry with a missing
 * or wrongly typed field. The message names the source, the dataset (by name and version when
 * they are readable, and always by its position) and the field.
 */
export class RegistryFormatError extends SnapboxError {
  /** Where the registry came from: a file path, a URL, or a label given by the caller. */
  readonly source: string;
  /** 0-based position of the offending entry in the registry array; `undefined` for the file as a whole. */
  readonly entryIndex: number | undefined;
  /** The dataset as `name@version` (or just `name`) when those fields could be read. */
  readonly dataset: string | undefined;
  /** The offending field, e.g. `tasks[3].git_url`; `(registry)` for the file as a whole. */
  readonly field: string;

  constructor(options: {
    source: string;
    entryIndex?: number;
    dataset?: string;
    field: string;
    detail: string;
    cause?: unknown;
  }) {
    const where =
      options.entryIndex === undefined
        ? ''
        : options.dataset === undefined
          ? ` entry ${options.entryIndex},`
          : ` dataset ${options.dataset} (entry ${options.entryIndex}),`;
    super('REGISTRY_FORMAT', {
      message: `Malformed Harbor registry ${options.source}:${where} field ${options.field}: ${options.detail}. Fix that entry, or load another registry.`,
      cause: options.cause,
    });
    this.source = options.source;
    this.entryIndex = options.entryIndex;
    this.dataset = options.dataset;
    this.field = options.field;
    markError(this, marker);
  }

  /** True for this error, including one created by another copy of this package. */
  static override isInstance(value: unknown): value is RegistryFormatError {
    return hasErrorMarker(value, marker);
  }
}
