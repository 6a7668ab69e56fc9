import { assertOptionalNumber, InvalidArgumentError } from '@snapbox/core';
import type { GoExploreOptions } from './options.js';

/** Checks everything but the environment (see `resolveEnvironment`), with messages naming the option. */
export function validateOptions(options: GoExploreOptions<unknown, unknown>): void {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError({ argument: 'options', message: 'expected an options object' });
  }
  const task = options.task as unknown as Record<string, unknown> | undefined;
  if (typeof task !== 'object' || task === null) {
    throw new InvalidArgumentError({
      argument: 'task',
      message: 'expected an object with reset, step, cellOf and sampleAction',
    });
  }
  for (const method of ['reset', 'step', 'cellOf', 'sampleAction']) {
    if (typeof task[method] !== 'function') {
      throw new InvalidArgumentError({ argument: `task.${method}`, message: 'expected a function' });
    }
  }
  assertOptionalNumber(options.workers, 'workers', { min: 1, integer: true });
  assertOptionalNumber(options.explorationSteps, 'explorationSteps', { min: 1, integer: true });
  assertOptionalNumber(options.maxIterations, 'maxIterations', { min: 0, integer: true });
  assertOptionalNumber(options.maxSteps, 'maxSteps', { min: 0, integer: true });
  assertOptionalNumber(options.maxTimeMs, 'maxTimeMs', { min: 0 });
  if (options.maxIterations === undefined && options.maxSteps === undefined && options.maxTimeMs === undefined) {
    throw new InvalidArgumentError({
      argument: 'maxIterations',
      message:
        'a run needs a budget: give maxIterations, maxSteps or maxTimeMs (targetScore alone may never be reached)',
    });
  }
  if (
    options.targetScore !== undefined &&
    (typeof options.targetScore !== 'number' || Number.isNaN(options.targetScore))
  ) {
    throw new InvalidArgumentError({ argument: 'targetScore', message: 'expected a number' });
  }
  for (const name of ['policy', 'cellWeight', 'onProgress'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') {
      throw new InvalidArgumentError({ argument: name, message: 'expected a function' });
    }
  }
  const seed = options.seed;
  if (seed !== undefined && !(typeof seed === 'string' || (typeof seed === 'number' && Number.isFinite(seed)))) {
    throw new InvalidArgumentError({ argument: 'seed', message: 'expected a finite number or a string' });
  }
  const signal = options.signal as unknown as Record<string, unknown> | undefined;
  if (signal !== undefined && (typeof signal !== 'object' || signal === null || typeof signal.aborted !== 'boolean')) {
    throw new InvalidArgumentError({ argument: 'signal', message: 'expected an AbortSignal' });
  }
  if (options.keepArchive !== undefined && typeof options.keepArchive !== 'boolean') {
    throw new InvalidArgumentError({ argument: 'keepArchive', message: 'expected a boolean' });
  }
  for (const name of ['onFailure', 'onTaskError'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') {
      throw new InvalidArgumentError({ argument: name, message: 'expected a function' });
    }
  }
  assertOptionalNumber(options.maxFailures, 'maxFailures', { min: 0, integer: true });
  const checkpoint = options.checkpoint as unknown as Record<string, unknown> | undefined;
  if (checkpoint !== undefined) {
    if (typeof checkpoint !== 'object' || checkpoint === null) {
      throw new InvalidArgumentError({ argument: 'checkpoint', message: 'expected { path, everyIterations? }' });
    }
    if (typeof checkpoint.path !== 'string' || checkpoint.path.length === 0) {
      throw new InvalidArgumentError({ argument: 'checkpoint.path', message: 'expected a file path' });
    }
    assertOptionalNumber(checkpoint.everyIterations, 'checkpoint.everyIterations', { min: 1, integer: true });
  }
  const resumeFrom: unknown = options.resumeFrom;
  if (resumeFrom !== undefined && (typeof resumeFrom !== 'string' || resumeFrom.length === 0)) {
    throw new InvalidArgumentError({ argument: 'resumeFrom', message: 'expected the path of a checkpoint file' });
  }
}
