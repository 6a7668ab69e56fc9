import { describe, expectTypeOf, it } from 'vitest';
import type {
  Container,
  ContainerEndpoint,
  ContainerFactory,
  ContainerOptions,
  ContainerState,
  ExecOptions,
  ExecResult,
  FileTransfer,
  NetworkMode,
  ProgressEvent,
  Resources,
  SnapshotableContainer,
  SnapshotableContainerFactory,
  SnapshotOptions,
  StartOptions,
} from './index.js';
import {
  type BaseContainer,
  ExecAbortedError,
  ExecTimeoutError,
  isSnapshotable,
  isSnapshotableFactory,
  SnapboxError,
  StartAbortedError,
  StartTimeoutError,
} from './index.js';

describe('the contract types', () => {
  it('SnapshotableContainer extends Container, and both are AsyncDisposable', () => {
    expectTypeOf<SnapshotableContainer>().toExtend<Container>();
    expectTypeOf<Container>().toExtend<AsyncDisposable>();
    expectTypeOf<Container>().not.toExtend<SnapshotableContainer>();
  });

  it('pins the signatures of exec and the lifecycle', () => {
    expectTypeOf<Container['exec']>().parameters.toEqualTypeOf<
      [command: string | readonly string[], options?: ExecOptions]
    >();
    expectTypeOf<Container['exec']>().returns.toEqualTypeOf<Promise<ExecResult>>();
    expectTypeOf<Container['start']>().parameters.toEqualTypeOf<[options?: StartOptions]>();
    expectTypeOf<Container['stopAndRemoveSync']>().returns.toEqualTypeOf<void>();
    expectTypeOf<Container['state']>().toEqualTypeOf<ContainerState>();
    expectTypeOf<ContainerState>().toEqualTypeOf<'created' | 'running' | 'stopped'>();
    expectTypeOf<Container['name']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<Container['readFile']>().returns.toEqualTypeOf<Promise<Uint8Array>>();
    expectTypeOf<Container['writeFile']>().parameter(1).toEqualTypeOf<string | Uint8Array>();
    expectTypeOf<Container['uploadFiles']>().parameter(0).toEqualTypeOf<readonly FileTransfer[]>();
  });

  it('pins ExecResult and the snapshot methods', () => {
    expectTypeOf<ExecResult>().toEqualTypeOf<{
      exitCode: number;
      output: string;
      stdout: string;
      stderr: string;
      truncated: boolean;
    }>();
    expectTypeOf<SnapshotableContainer['snapshot']>().parameters.toEqualTypeOf<[options?: SnapshotOptions]>();
    expectTypeOf<SnapshotableContainer['snapshot']>().returns.toEqualTypeOf<Promise<string>>();
    expectTypeOf<SnapshotableContainer['fromSnapshot']>().returns.toEqualTypeOf<SnapshotableContainer>();
    expectTypeOf<SnapshotableContainer['deleteSnapshotSync']>().returns.toEqualTypeOf<void>();
    expectTypeOf<SnapshotOptions>().toEqualTypeOf<{ keep?: boolean }>();
  });

  it('factories are generic in the container they make', () => {
    expectTypeOf<SnapshotableContainerFactory>().toExtend<ContainerFactory<SnapshotableContainer>>();
    expectTypeOf<ContainerFactory['fromImage']>().parameter(0).toEqualTypeOf<{ image: string } & ContainerOptions>();
    expectTypeOf<
      SnapshotableContainerFactory<SnapshotableContainer & { extra(): void }>['fromSnapshot']
    >().returns.toEqualTypeOf<SnapshotableContainer & { extra(): void }>();
  });

  it('isSnapshotable and isSnapshotableFactory narrow unknown values', () => {
    const value: unknown = undefined;
    if (isSnapshotable(value)) expectTypeOf(value).toEqualTypeOf<SnapshotableContainer>();
    const container = {} as Container;
    if (isSnapshotable(container)) expectTypeOf(container.snapshot).toBeFunction();
    if (isSnapshotableFactory(value)) expectTypeOf(value).toEqualTypeOf<SnapshotableContainerFactory>();
    expectTypeOf(isSnapshotable).guards.toEqualTypeOf<SnapshotableContainer>();
    expectTypeOf(isSnapshotableFactory).guards.toEqualTypeOf<SnapshotableContainerFactory>();
  });

  it('error guards narrow, and the exec errors carry the partial result', () => {
    const error: unknown = undefined;
    if (ExecTimeoutError.isInstance(error)) {
      expectTypeOf(error.result).toEqualTypeOf<ExecResult>();
      expectTypeOf(error.timeoutMs).toEqualTypeOf<number>();
    }
    if (ExecAbortedError.isInstance(error)) expectTypeOf(error.result).toEqualTypeOf<ExecResult>();
    if (SnapboxError.isInstance(error)) expectTypeOf(error.code).toEqualTypeOf<string>();
    expectTypeOf<ExecTimeoutError>().toExtend<SnapboxError>();
  });

  it('pins the sandbox options, the start options and endpoint', () => {
    expectTypeOf<ContainerOptions['network']>().toEqualTypeOf<'none' | 'default' | undefined>();
    expectTypeOf<NetworkMode>().toEqualTypeOf<'none' | 'default'>();
    expectTypeOf<ContainerOptions['user']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<ContainerOptions['ports']>().toEqualTypeOf<readonly number[] | undefined>();
    expectTypeOf<ExecOptions['user']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<Resources['pids']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<StartOptions['env']>().toEqualTypeOf<Record<string, string> | undefined>();
    expectTypeOf<StartOptions['signal']>().toEqualTypeOf<AbortSignal | undefined>();
    expectTypeOf<StartOptions['timeoutMs']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<NonNullable<StartOptions['onProgress']>>().parameters.toEqualTypeOf<[event: ProgressEvent]>();
    expectTypeOf<ProgressEvent>().toEqualTypeOf<{ phase: string; message: string; done?: number; total?: number }>();
    expectTypeOf<Container['endpoint']>().parameters.toEqualTypeOf<[port: number]>();
    expectTypeOf<Container['endpoint']>().returns.toEqualTypeOf<Promise<ContainerEndpoint>>();
    expectTypeOf<ContainerEndpoint>().toEqualTypeOf<{ host: string; port: number }>();
    // A readonly tuple of ports is accepted as it is.
    const ports = [8080, 9090] as const;
    expectTypeOf<{ ports: typeof ports }>().toExtend<ContainerOptions>();
  });

  it('the start errors narrow and carry what callers branch on', () => {
    const error: unknown = undefined;
    if (StartTimeoutError.isInstance(error)) {
      expectTypeOf(error.timeoutMs).toEqualTypeOf<number>();
      expectTypeOf(error.phase).toEqualTypeOf<string | undefined>();
    }
    if (StartAbortedError.isInstance(error)) expectTypeOf(error.phase).toEqualTypeOf<string | undefined>();
    expectTypeOf<StartAbortedError>().toExtend<SnapboxError>();
  });

  it('BaseContainer implements Container', () => {
    expectTypeOf<BaseContainer>().toExtend<Container>();
  });
});
