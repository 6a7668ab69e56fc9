import { resolve } from 'node:path';
import { assertNonEmptyString, type ContainerOptions, type SnapshotableContainerFactory } from '@snapbox/core';
import { type BubblewrapBackendOptions, resolveBackend } from './bubblewrap-backend.js';
import { BubblewrapContainer } from './bubblewrap-container.js';

/** A factory of bubblewrap containers sharing one state folder. */
export interface BubblewrapFactory extends SnapshotableContainerFactory<BubblewrapContainer> {
  /** The state folder (images, layers, snapshots, container records). */
  readonly stateDir: string;
  /**
   * A container whose root filesystem is a local folder (used in place, read-only: it must not
   * change while containers use it) or a tarball (extracted once and cached). The same as
   * `fromImage({ image: <absolute path> })`.
   */
  fromRootfs(options: { path: string } & ContainerOptions): BubblewrapContainer;
  /**
   * Resolves once what `stop()` and `deleteSnapshot()` left to the background is done: stopped
   * containers' folders, cgroups and pins removed, deleted snapshots' unused layers freed. (Both
   * calls return as soon as the container is killed or the snapshot is gone; the rest is removed
   * off their path, and at exit at the latest.) Rejects with the first removal that failed.
   */
  settled(): Promise<void>;
}

/**
 * Creates a factory of {@link BubblewrapContainer}s: each container is a bubblewrap sandbox over
 * an overlayfs root, no daemon involved. `fromImage` takes the Docker backend's image names (read
 * once from a local Docker or Podman engine) or an absolute path to a root filesystem folder or
 * tarball. No I/O happens here or in the factory's methods; each container works in `start()`.
 *
 * ```ts
 * const factory = createBubblewrapFactory();
 * const box = factory.fromImage({ image: 'debian:12' });
 * await box.start();
 * ```
 * @throws InvalidArgumentError for malformed options.
 */
export function createBubblewrapFactory(options: BubblewrapBackendOptions = {}): BubblewrapFactory {
  const backend = resolveBackend(options);
  return {
    stateDir: backend.stateRoot,
    fromImage({ image, ...rest }: { image: string } & ContainerOptions) {
      assertNonEmptyString(image, 'image');
      return BubblewrapContainer.create({ kind: 'image', image }, rest, backend);
    },
    fromRootfs({ path, ...rest }: { path: string } & ContainerOptions) {
      assertNonEmptyString(path, 'path');
      return BubblewrapContainer.create({ kind: 'image', image: resolve(path) }, rest, backend);
    },
    fromDockerfile({ dockerfilePath, ...rest }: { dockerfilePath: string } & ContainerOptions) {
      assertNonEmptyString(dockerfilePath, 'dockerfilePath');
      return BubblewrapContainer.create({ kind: 'dockerfile', dockerfilePath }, rest, backend);
    },
    fromSnapshot({ snapshotId, ...rest }: { snapshotId: string } & ContainerOptions) {
      assertNonEmptyString(snapshotId, 'snapshotId');
      return BubblewrapContainer.create({ kind: 'snapshot', snapshotId }, rest, backend);
    },
    settled: () => backend.removals.settled(),
  };
}
