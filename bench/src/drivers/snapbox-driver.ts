import { createDockerFactory, type DockerContainer, type DockerFactory } from '@snapbox/docker';
import type Docker from 'dockerode';
import { ContractDriver } from './contract-driver.js';

/** snapbox's Docker backend, used as its README shows. */
export class SnapboxDriver extends ContractDriver<DockerContainer, DockerFactory> {
  constructor(
    docker: Docker,
    image: string,
    labels: Record<string, string>,
    options: { flattenAtLayers?: number } = {},
  ) {
    super('snapbox', createDockerFactory({ docker, ...options }), image, labels);
  }
}
