import { hasErrorMarker, markError, SnapboxError } from '@snapbox/core';

const marker = Symbol.for('snapbox.error.PresetAlreadyRegisteredError');

/** `PresetRegistry.register` was called with a name that is already registered. */
export class PresetAlreadyRegisteredError extends SnapboxError {
  /** The preset name that was registered twice. */
  readonly presetName: string;

  constructor(options: { presetName: string }) {
    super('PRESET_ALREADY_REGISTERED', {
      message: `A preset named ${JSON.stringify(options.presetName)} is already registered; preset names are registered once. Pick another name, or use a separate PresetRegistry.`,
    });
    this.presetName = options.presetName;
    markError(this, marker);
  }

  /** True for this error, including one created by another copy of this package. */
  static override isInstance(value: unknown): value is PresetAlreadyRegisteredError {
    return hasErrorMarker(value, marker);
  }
}
