import { InvalidArgumentError } from '@snapbox/core';

/** The characters a preset name may use (and nothing else, not even a space). */
export const presetNamePattern: RegExp = /^[a-zA-Z0-9_./-]+$/;

/** True when `name` is a valid preset name (see {@link presetNamePattern}). */
export function isValidPresetName(name: unknown): name is string {
  return typeof name === 'string' && presetNamePattern.test(name);
}

/**
 * Asserts a valid preset name.
 * @throws InvalidArgumentError naming `argument` otherwise.
 */
export function assertPresetName(name: unknown, argument = 'name'): asserts name is string {
  if (!isValidPresetName(name)) {
    const got = typeof name === 'string' ? JSON.stringify(name) : typeof name;
    throw new InvalidArgumentError({
      argument,
      message: `a preset name uses only letters, digits and "_", ".", "/", "-" (${presetNamePattern}); got ${got}`,
    });
  }
}
