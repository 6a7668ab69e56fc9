import { hasErrorMarker, markError, SnapboxError } from '@snapbox/core';

const marker = Symbol.for('snapbox.error.PresetNotFoundError');

/** No preset of that name is registered; `suggestions` holds registered names that look close. */
export class PresetNotFoundError extends SnapboxError {
  /** The name that was asked for. */
  readonly presetName: string;
  /** Registered names that start like the one asked for (at most a few), possibly none. */
  readonly suggestions: readonly string[];

  constructor(options: { presetName: string; suggestions?: readonly string[] }) {
    const suggestions = options.suggestions ?? [];
    const hint =
      suggestions.length > 0
        ? ` Did you mean ${suggestions.map((name) => JSON.stringify(name)).join(', ')}?`
        : ' List the registered presets with `registry.list()` (or `snapbox presets list`).';
    super('PRESET_NOT_FOUND', {
      message: `No preset named ${JSON.stringify(options.presetName)} is registered.${hint}`,
    });
    this.presetName = options.presetName;
    this.suggestions = suggestions;
    markError(this, marker);
  }

  /** True for this error, including one created by another copy of this package. */
  static override isInstance(value: unknown): value is PresetNotFoundError {
    return hasErrorMarker(value, marker);
  }
}
