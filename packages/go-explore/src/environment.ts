import {
  assertContainerOptions,
  assertNonEmptyString,
  type ContainerOptions,
  InvalidArgumentError,
  isSnapshotable,
  isSnapshotableFactory,
  type SnapshotableContainer,
  type SnapshotableContainerFactory,
  UnsupportedCapabilityError,
} from '@snapbox/core';

/** Options for the containers a run or a replay creates; `name` is left out because there are many. */
export type ExploreContainerOptions = Omit<ContainerOptions, 'name'>;

/**
 * Where containers come from: either a factory and the image (or Dockerfile) of the initial
 * state, or one container that is not started yet and whose `fromSnapshot` makes the rest.
 */
export interface EnvironmentOptions {
  /** A factory that can snapshot, e.g. `createDockerFactory()` or `createMemoryFactory()`. */
  factory?: SnapshotableContainerFactory;
  /** With `factory`: the image the first container starts from. */
  image?: string;
  /** With `factory`, instead of `image`: a Dockerfile to build the first container's image from. */
  dockerfilePath?: string;
  /**
   * Instead of `factory`: the first container, not started yet. The run starts it, resets it,
   * snapshots it and stops it; restores go through its `fromSnapshot`.
   */
  root?: SnapshotableContainer;
  /** Options for every container created (labels, resources, default workdir). */
  containerOptions?: ExploreContainerOptions;
  /**
   * Environment for every container's `start()`. Snapshots do not hold it, so each restored
   * container gets it again.
   */
  env?: Record<string, string>;
}

/** The resolved environment: how to make the first container and restore the others. */
export interface Environment {
  createRoot(): SnapshotableContainer;
  restore(snapshotId: string): SnapshotableContainer;
  readonly env: Record<string, string> | undefined;
}

function unsupported(what: string, backend: string | undefined): UnsupportedCapabilityError {
  return new UnsupportedCapabilityError({
    capability: 'snapshots',
    ...(backend === undefined ? {} : { backend }),
    detail: `Go-Explore returns to archived states with snapshot() and fromSnapshot(), and ${what} cannot snapshot. Use a snapshotable backend such as createDockerFactory() from @snapbox/docker, or createMemoryFactory() from @snapbox/memory for tests.`,
  });
}

function backendOf(value: unknown): string | undefined {
  const backend = (value as { backend?: unknown } | null)?.backend;
  return typeof backend === 'string' ? backend : undefined;
}

/**
 * Checks the environment options and the snapshot capability, with no I/O.
 * @throws UnsupportedCapabilityError for a factory or container that cannot snapshot.
 * @throws InvalidArgumentError for missing or conflicting options.
 */
export function resolveEnvironment(options: EnvironmentOptions, requireSnapshots = true): Environment {
  const { factory, root, image, dockerfilePath } = options;
  const containerOptions = options.containerOptions ?? {};
  // Only the shape is checked here: what the backend supports, its factory decides.
  assertContainerOptions(containerOptions, { network: true, user: true, ports: true, pids: true });
  if ((containerOptions as ContainerOptions).name !== undefined) {
    throw new InvalidArgumentError({
      argument: 'containerOptions.name',
      message: 'a run creates many containers, so they cannot share one name; leave name out',
    });
  }
  if (options.env !== undefined && (typeof options.env !== 'object' || options.env === null)) {
    throw new InvalidArgumentError({ argument: 'env', message: 'expected an object of strings' });
  }
  if ((factory === undefined) === (root === undefined)) {
    throw new InvalidArgumentError({
      argument: 'factory',
      message: 'give exactly one of factory (with image or dockerfilePath) and root',
    });
  }
  if (root !== undefined) {
    if (image !== undefined || dockerfilePath !== undefined) {
      throw new InvalidArgumentError({
        argument: 'image',
        message: 'image and dockerfilePath go with factory; a root container already has its source',
      });
    }
    if (typeof root !== 'object' || root === null) {
      throw new InvalidArgumentError({ argument: 'root', message: 'expected a container' });
    }
    if (requireSnapshots && !isSnapshotable(root)) throw unsupported('the root container', backendOf(root));
    if (root.state !== 'created') {
      throw new InvalidArgumentError({
        argument: 'root',
        message: `expected a container that is not started yet (state "created"), got state "${root.state}"`,
      });
    }
    let used = false;
    return {
      env: options.env,
      createRoot() {
        if (used) throw new InvalidArgumentError({ argument: 'root', message: 'a root container serves one run' });
        used = true;
        return root;
      },
      restore: (snapshotId) => root.fromSnapshot(snapshotId, containerOptions),
    };
  }
  if (typeof factory !== 'object' || factory === null) {
    throw new InvalidArgumentError({ argument: 'factory', message: 'expected a container factory' });
  }
  if (requireSnapshots && !isSnapshotableFactory(factory)) throw unsupported('this factory', backendOf(factory));
  if ((image === undefined) === (dockerfilePath === undefined)) {
    throw new InvalidArgumentError({
      argument: 'image',
      message: 'with factory, give exactly one of image and dockerfilePath',
    });
  }
  if (image !== undefined) assertNonEmptyString(image, 'image');
  if (dockerfilePath !== undefined) assertNonEmptyString(dockerfilePath, 'dockerfilePath');
  return {
    env: options.env,
    createRoot() {
      const container: unknown =
        image !== undefined
          ? factory.fromImage({ ...containerOptions, image })
          : factory.fromDockerfile({ ...containerOptions, dockerfilePath: dockerfilePath as string });
      // A factory can have fromSnapshot and still hand out containers that cannot snapshot.
      if (requireSnapshots && !isSnapshotable(container))
        throw unsupported('the containers of this factory', backendOf(container));
      return container as SnapshotableContainer;
    },
    restore: (snapshotId) => factory.fromSnapshot({ ...containerOptions, snapshotId }),
  };
}
