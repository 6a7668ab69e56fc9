import type { Container, ContainerFactory, SnapshotableContainer, SnapshotableContainerFactory } from '@snapbox/core';
import { describe, expectTypeOf, it } from 'vitest';
import { HarborPreset } from './harbor-preset.js';
import type { HarborTask } from './harbor-registry-schema.js';
import type { PresetSpec, PresetTask } from './preset.js';
import { PresetRegistry } from './preset-registry.js';

describe('preset types', () => {
  it('makes a HarborPreset a PresetSpec of Harbor tasks', () => {
    expectTypeOf<HarborPreset>().toExtend<PresetSpec<HarborTask>>();
    expectTypeOf<HarborTask>().toExtend<PresetTask>();
  });

  it('returns the factory’s own container type from createContainer', () => {
    const preset = {} as HarborPreset;
    const task = {} as HarborTask;
    expectTypeOf(
      preset.createContainer(task, {} as SnapshotableContainerFactory),
    ).resolves.toEqualTypeOf<SnapshotableContainer>();
    expectTypeOf(preset.createContainer(task, {} as ContainerFactory)).resolves.toEqualTypeOf<Container>();
    const spec = {} as PresetSpec;
    expectTypeOf(
      spec.createContainer({ name: 't' }, {} as SnapshotableContainerFactory),
    ).resolves.toEqualTypeOf<SnapshotableContainer>();
  });

  it('narrows a registered preset with HarborPreset.isInstance', () => {
    const preset = new PresetRegistry().get('x');
    if (HarborPreset.isInstance(preset)) expectTypeOf(preset.dataset.version).toEqualTypeOf<string>();
    expectTypeOf(new PresetRegistry().select('x').tasks).toEqualTypeOf<readonly PresetTask[]>();
  });
});
