import { type Container, type ContainerFactory, InvalidArgumentError, SnapboxError } from '@snapbox/core';
import { describe, expect, it } from 'vitest';
import { PresetAlreadyRegisteredError } from './errors/preset-already-registered-error.js';
import { PresetNotFoundError } from './errors/preset-not-found-error.js';
import type { PresetSpec, PresetTask } from './preset.js';
import { defaultRegistry, PresetRegistry } from './preset-registry.js';

function spec(description: string, count: number): PresetSpec {
  return {
    description,
    tasks: Array.from({ length: count }, (_, i) => ({ name: `task-${i}` })),
    async createContainer<C extends Container>(task: PresetTask, factory: ContainerFactory<C>) {
      return factory.fromImage({ image: `img/${task.name}` });
    },
  };
}

describe('PresetRegistry', () => {
  it('registers, gets, describes and lists presets sorted by name', () => {
    const registry = new PresetRegistry();
    const b = spec('the b preset', 3);
    registry.register('b-1.0', b);
    registry.register('a/x_y.z-2', spec('the a preset', 1));
    expect(registry.get('b-1.0')).toBe(b);
    expect(registry.has('b-1.0')).toBe(true);
    expect(registry.has('c')).toBe(false);
    expect(registry.size).toBe(2);
    expect(registry.info('b-1.0')).toEqual({ name: 'b-1.0', description: 'the b preset', numTasks: 3 });
    expect(registry.list()).toEqual([
      { name: 'a/x_y.z-2', description: 'the a preset', numTasks: 1 },
      { name: 'b-1.0', description: 'the b preset', numTasks: 3 },
    ]);
    expect(registry.names()).toEqual(['a/x_y.z-2', 'b-1.0']);
  });

  it('refuses a second registration of a name with PresetAlreadyRegisteredError', () => {
    const registry = new PresetRegistry();
    const first = spec('first', 1);
    registry.register('x', first);
    let caught: unknown;
    try {
      registry.register('x', spec('second', 2));
    } catch (error) {
      caught = error;
    }
    expect(PresetAlreadyRegisteredError.isInstance(caught)).toBe(true);
    expect(SnapboxError.isInstance(caught)).toBe(true);
    expect((caught as PresetAlreadyRegisteredError).code).toBe('PRESET_ALREADY_REGISTERED');
    expect((caught as PresetAlreadyRegisteredError).presetName).toBe('x');
    expect(registry.get('x')).toBe(first);
    // Even the very same spec is refused: a name is registered once.
    expect(() => registry.register('x', first)).toThrow(PresetAlreadyRegisteredError);
  });

  it.each(['', 'has space', 'colon:name', 'at@name', 'tab\tname', 'ünicode', 'semi;colon'])(
    'rejects the name %j with InvalidArgumentError',
    (name) => {
      const registry = new PresetRegistry();
      expect(() => registry.register(name, spec('d', 1))).toThrow(InvalidArgumentError);
      expect(() => registry.register(name, spec('d', 1))).toThrow(/Invalid name: a preset name uses only/);
      expect(registry.size).toBe(0);
    },
  );

  it('rejects a spec without description, tasks or createContainer', () => {
    const registry = new PresetRegistry();
    const bad = (value: unknown) => () => registry.register('x', value as PresetSpec);
    expect(bad(null)).toThrow(/Invalid spec:/);
    expect(bad({ tasks: [], createContainer() {} })).toThrow(/Invalid spec.description/);
    expect(bad({ description: '', tasks: 'no', createContainer() {} })).toThrow(/Invalid spec.tasks/);
    expect(bad({ description: '', tasks: [] })).toThrow(/Invalid spec.createContainer/);
  });

  it('throws PresetNotFoundError with close names as suggestions', () => {
    const registry = new PresetRegistry();
    registry.register('tbench-2.0', spec('t', 2));
    registry.register('tbench', spec('t', 2));
    registry.register('sbv', spec('s', 2));
    let caught: unknown;
    try {
      registry.get('tbench-1.0');
    } catch (error) {
      caught = error;
    }
    expect(PresetNotFoundError.isInstance(caught)).toBe(true);
    const error = caught as PresetNotFoundError;
    expect(error.suggestions).toEqual(['tbench', 'tbench-2.0']);
    expect(error.message).toBe('No preset named "tbench-1.0" is registered. Did you mean "tbench", "tbench-2.0"?');
    expect(() => registry.info('nothing')).toThrow(
      /No preset named "nothing" is registered. List the registered presets/,
    );
  });

  it('selects tasks with every selector form', () => {
    const registry = new PresetRegistry();
    const preset = spec('ten tasks', 10);
    registry.register('ten', preset);
    const names = (selector: string) => registry.select(selector).tasks.map((task) => task.name);
    expect(names('ten')).toHaveLength(10);
    expect(names('ten:3')).toEqual(['task-3']);
    expect(names('ten:2:4')).toEqual(['task-2', 'task-3']);
    expect(names('ten:8:')).toEqual(['task-8', 'task-9']);
    expect(names('ten::2')).toEqual(['task-0', 'task-1']);
    expect(names('ten@2/8')).toEqual(['task-4']);
    const selected = registry.select('ten:1');
    expect(selected.name).toBe('ten');
    expect(selected.preset).toBe(preset);
    expect(selected.selection).toEqual({ kind: 'index', index: 1 });
    expect(() => registry.select('ten:10')).toThrow(
      /"ten:10" asks for task 10, but there are 10 tasks \(indexes 0..9\)/,
    );
    expect(() => registry.select('eleven:1')).toThrow(PresetNotFoundError);
    expect(() => registry.select('ten:x')).toThrow(InvalidArgumentError);
  });

  it('has a shared default instance that keeps what is registered in it', async () => {
    expect(defaultRegistry).toBeInstanceOf(PresetRegistry);
    defaultRegistry.register('preset-registry-test/default', spec('shared', 4));
    // A second import of the module is the same instance.
    const again = await import('./preset-registry.js');
    expect(again.defaultRegistry.info('preset-registry-test/default').numTasks).toBe(4);
  });
});
