import type { Container, ContainerOptions } from './container.js';
import type { SnapshotableContainer } from './snapshotable-container.js';

/**
 * Where a container's filesystem comes from: one case per factory method. Backends keep it to
 * know, at `start()`, what to resolve, build or restore.
 */
export type ContainerSource =
  | {
      /** Start from an image (`fromImage`). */
      kind: 'image';
      /** The image reference. */
      image: string;
    }
  | {
      /** Start from the image built from a Dockerfile (`fromDockerfile`). */
      kind: 'dockerfile';
      /** Path of the Dockerfile on this machine; its folder is the build context. */
      dockerfilePath: string;
    }
  | {
      /** Start from a snapshot (`fromSnapshot`). */
      kind: 'snapshot';
      /** The snapshot id returned by `snapshot()`. */
      snapshotId: string;
    };

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
