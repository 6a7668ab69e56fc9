import type { ContainerOptions, SnapshotableContainerFactory } from '@snapbox/core';
import { assertNonEmptyString } from '@snapbox/core';
import type Docker from 'dockerode';
import { type DockerBackendOptions, resolveBackend } from './docker-backend.js';
import { DockerContainer, type DockerContainerExtras } from './docker-container.js';

/**
 * A factory of Docker containers sharing one engine connection and snapshot repository. Its
 * methods take the contract's options plus {@link DockerContainerExtras} (a per-container
 * `hostConfig`).
 */
export interface DockerFactory extends SnapshotableContainerFactory<DockerContainer> {
  /** A container that starts from an image on the engine (pulled when missing, if a registry answers). */
  fromImage(options: { image: string } & ContainerOptions & DockerContainerExtras): DockerContainer;
  /** A container from the image built from a Dockerfile (context: its folder, `.dockerignore` honoured). */
  fromDockerfile(options: { dockerfilePath: string } & ContainerOptions & DockerContainerExtras): DockerContainer;
  /** A container that starts from a snapshot of this engine. */
  fromSnapshot(options: { snapshotId: string } & ContainerOptions & DockerContainerExtras): DockerContainer;
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
    fromImage({ image, ...rest }) {
      assertNonEmptyString(image, 'image');
      return DockerContainer.create({ kind: 'image', image }, rest, backend);
    },
    fromDockerfile({ dockerfilePath, ...rest }) {
      assertNonEmptyString(dockerfilePath, 'dockerfilePath');
      return DockerContainer.create({ kind: 'dockerfile', dockerfilePath }, rest, backend);
    },
    fromSnapshot({ snapshotId, ...rest }) {
      assertNonEmptyString(snapshotId, 'snapshotId');
      return DockerContainer.create({ kind: 'snapshot', snapshotId }, rest, backend);
    },
  };
}
