import { describe, expect, it } from 'vitest';
import { isSnapshotable, isSnapshotableFactory } from './is-snapshotable.js';

const containerMethods = [
  'start',
  'stop',
  'stopAndRemoveSync',
  'exec',
  'uploadFiles',
  'downloadFiles',
  'uploadFile',
  'uploadDir',
  'downloadFile',
  'downloadDir',
  'writeFile',
  'readFile',
];
const snapshotMethods = ['snapshot', 'fromSnapshot', 'deleteSnapshot', 'deleteSnapshotSync'];

/** A third party's backend: a plain object literal that never imported snapbox. */
function objectWith(names: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(names.map((name) => [name, () => undefined]));
}

describe('isSnapshotable', () => {
  it('is true for a plain object with every container and snapshot method', () => {
    expect(isSnapshotable(objectWith([...containerMethods, ...snapshotMethods]))).toBe(true);
  });

  it('is true for methods found on the prototype chain (class instances)', () => {
    class ThirdParty {}
    for (const name of [...containerMethods, ...snapshotMethods]) {
      (ThirdParty.prototype as unknown as Record<string, unknown>)[name] = () => undefined;
    }
    expect(isSnapshotable(new ThirdParty())).toBe(true);
  });

  it('is false for a plain container without snapshot methods', () => {
    expect(isSnapshotable(objectWith(containerMethods))).toBe(false);
  });

  it.each([...containerMethods, ...snapshotMethods])('is false when %s is missing or not a function', (missing) => {
    const all = objectWith([...containerMethods, ...snapshotMethods]);
    const without = { ...all };
    delete without[missing];
    expect(isSnapshotable(without)).toBe(false);
    expect(isSnapshotable({ ...all, [missing]: 'not a function' })).toBe(false);
  });

  it('is false, never throwing, for null, undefined, primitives and bare functions', () => {
    for (const value of [
      null,
      undefined,
      0,
      1,
      '',
      'snapshot',
      true,
      Symbol('x'),
      10n,
      () => {},
      function named() {},
    ]) {
      expect(isSnapshotable(value)).toBe(false);
    }
  });

  it('accepts a function object that carries all the methods', () => {
    const callable = Object.assign(() => {}, objectWith([...containerMethods, ...snapshotMethods]));
    expect(isSnapshotable(callable)).toBe(true);
  });
});

describe('isSnapshotableFactory', () => {
  it('is true for a plain object with fromImage, fromDockerfile and fromSnapshot', () => {
    expect(isSnapshotableFactory(objectWith(['fromImage', 'fromDockerfile', 'fromSnapshot']))).toBe(true);
  });

  it('is false for a factory that cannot restore snapshots, or a partial one', () => {
    expect(isSnapshotableFactory(objectWith(['fromImage', 'fromDockerfile']))).toBe(false);
    expect(isSnapshotableFactory(objectWith(['fromSnapshot']))).toBe(false);
    expect(isSnapshotableFactory({ fromImage() {}, fromDockerfile() {}, fromSnapshot: {} })).toBe(false);
  });

  it('is false, never throwing, for null, undefined, primitives and bare functions', () => {
    for (const value of [null, undefined, 0, 'fromImage', false, () => {}, []]) {
      expect(isSnapshotableFactory(value)).toBe(false);
    }
  });
});
