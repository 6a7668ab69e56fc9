import type { Container, ContainerOptions } from './container.js';
import type { SnapshotableContainer } from './snapshotable-container.js';

/**
 * Creates containers of one backend. Factories do no I/O: what they return is `created`, and
 * the backend is contacted by `start()`.
 */
export interface ContainerFactory<C extends Container = Container> {
  /** A container that starts from an image (resolved, built or pulled by the backend). */
  fromImage(options: { image: string } & ContainerOptions): C;
  /**
   * A container that starts from an image built from a Dockerfile; the build context is the
   * Dockerfile's folder. Building happens in `start()` and fails with `ImageBuildError`.
   */
  fromDockerfile(options: { dockerfilePath: string } & ContainerOptions): C;
}

/** A factory whose containers can snapshot, and which can start containers from snapshots. */
export interface SnapshotableContainerFactory<C extends SnapshotableContainer = SnapshotableContainer>
  extends ContainerFactory<C> {
  /** A container that starts from a snapshot id returned by `snapshot()` of this backend. */
  fromSnapshot(options: { snapshotId: string } & ContainerOptions): C;
}
