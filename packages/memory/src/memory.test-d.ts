import type { BaseContainer, SnapshotableContainer, SnapshotableContainerFactory } from '@snapbox/core';
import { describe, expectTypeOf, it } from 'vitest';
import {
  createMemoryFactory,
  type MemoryContainer,
  type MemoryExecContext,
  type MemoryExecHandler,
  type MemoryFactory,
} from './index.js';

describe('the memory backend types', () => {
  it('is a snapshotable factory of MemoryContainers with an inspection API', () => {
    expectTypeOf(createMemoryFactory).returns.toEqualTypeOf<MemoryFactory>();
    expectTypeOf<MemoryFactory>().toExtend<SnapshotableContainerFactory<MemoryContainer>>();
    expectTypeOf<MemoryContainer>().toExtend<SnapshotableContainer>();
    expectTypeOf<MemoryContainer>().toExtend<BaseContainer>();
    expectTypeOf<MemoryFactory['fromImage']>().returns.toEqualTypeOf<MemoryContainer>();
    expectTypeOf<MemoryContainer['fromSnapshot']>().returns.toEqualTypeOf<MemoryContainer>();
    expectTypeOf<MemoryFactory['liveContainers']>().returns.toEqualTypeOf<MemoryContainer[]>();
    expectTypeOf<ReturnType<MemoryFactory['listSnapshots']>[number]['keep']>().toEqualTypeOf<boolean>();
    expectTypeOf<ReturnType<MemoryFactory['endSession']>['deletedSnapshots']>().toEqualTypeOf<string[]>();
  });

  it('gives exec handlers a typed context and accepts the documented replies', () => {
    expectTypeOf<Parameters<MemoryExecHandler>[0]>().toEqualTypeOf<MemoryExecContext>();
    expectTypeOf<MemoryExecContext['argv']>().toEqualTypeOf<readonly string[] | undefined>();
    expectTypeOf<MemoryExecContext['signal']>().toEqualTypeOf<AbortSignal>();
    const handlers: MemoryExecHandler[] = [
      () => undefined,
      () => 3,
      () => ({ stdout: 'x' }),
      async () => ({ exitCode: 1, stderr: new Uint8Array([1]) }),
    ];
    expectTypeOf(handlers).toBeArray();
    // @ts-expect-error a string is not a reply
    const wrong: MemoryExecHandler = () => 'done';
    expectTypeOf(wrong).toBeFunction();
  });
});
