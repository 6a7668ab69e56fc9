import type { ContainerOptions, SnapshotableContainerFactory } from '@snapbox/core';
import { assertNonEmptyString } from '@snapbox/core';
import type Docker from 'dockerode';
import { type DockerBackendOptions, resolveBackend } from './docker-backend.js';
import { DockerContainer } from './docker-container.js';

/** A factory of Docker containers sharing one engine connection and snapshot repository. */
export interface DockerFactory extends SnapshotableContainerFactory<DockerContainer> {
  /** The dockerode client every container of this factory uses. */
  readonly docker: Docker;
  /** The repository snapshot images go to. */
  readonly snapshotRepository: string;
}

/**
 * Creates a factory of {@link DockerContainer}s. No I/O happens here or in the factory's
 * methods; each container contacts the engine in its `start()`, the first one finding it when
 * no endpoint is given and `DOCKER_HOST` is unset (when none answers, `start()` rejects with
 * `BackendUnavailableError` listing every place it looked).
 *
 * ```ts
 * const factory = createDockerFactory(); // DOCKER_HOST, or the engine found on first use
 * const box = factory.fromImage({ image: 'debian:12' });
 * await box.start();
 * ```
 * @throws InvalidArgumentError for malformed options.
 */
export function createDockerFactory(options: DockerBackendOptions = {}): DockerFactory {
  const backend = resolveBackend(options);
  return {
    docker: backend.docker,
    snapshotRepository: backend.repository,
    fromImage({ image, ...rest }: { image: string } & ContainerOptions) {
      assertNonEmptyString(image, 'image');
      return DockerContainer.create({ kind: 'image', image }, rest, backend);
    },
    fromDockerfile({ dockerfilePath, ...rest }: { dockerfilePath: string } & ContainerOptions) {
      assertNonEmptyString(dockerfilePath, 'dockerfilePath');
      return DockerContainer.create({ kind: 'dockerfile', dockerfilePath }, rest, backend);
    },
    fromSnapshot({ snapshotId, ...rest }: { snapshotId: string } & ContainerOptions) {
      assertNonEmptyString(snapshotId, 'snapshotId');
      return DockerContainer.create({ kind: 'snapshot', snapshotId }, rest, backend);
    },
  };
}
