import { currentSession, snapboxLabels } from '@snapbox/core';
import { leftovers } from '@snapbox/test-support';
import Docker from 'dockerode';

/** What the tests ask of an engine directly: they check the engine itself, not our own bookkeeping. */
export interface EngineHelpers {
  imageExists(reference: string): Promise<boolean>;
  /** Containers and images labelled with `session` (this process's by default): what must be gone at the end. */
  sessionLeftovers(session?: string): Promise<{ containers: string[]; images: string[] }>;
  /**
   * Removes this session's built images. They are a build cache that no cleanup removes, so
   * tests remove theirs. Podman keeps an image per build step, with the build's labels: those go
   * too, children before parents.
   */
  removeSessionBuilds(): Promise<void>;
}

/** {@link EngineHelpers} on the engine that `client` reaches. */
export function engineHelpers(client: Docker): EngineHelpers {
  return {
    imageExists: (reference) =>
      client
        .getImage(reference)
        .inspect()
        .then(
          () => true,
          () => false,
        ),
    sessionLeftovers: (session = currentSession().id) => leftovers(client, [`${snapboxLabels.session}=${session}`]),
    async removeSessionBuilds() {
      const filters = JSON.stringify({ label: [`${snapboxLabels.session}=${currentSession().id}`] });
      for (let round = 0; round < 10; round++) {
        const builds = (await client.listImages({ all: true, filters })).filter(
          (image) => image.Labels?.[snapboxLabels.kind] === 'build',
        );
        if (builds.length === 0) return;
        for (const image of builds) {
          // By tag first: an image with several tags cannot be removed by id without force, and
          // a forced removal on Podman would take the containers that use it along.
          for (const tag of image.RepoTags ?? []) {
            await client
              .getImage(tag)
              .remove()
              .catch(() => undefined);
          }
          await client
            .getImage(image.Id)
            .remove()
            .catch(() => undefined);
        }
      }
    },
  };
}

/** The local engine (`DOCKER_HOST`, else the default socket), for the tests of the local engine. */
export const engine = new Docker();

export const { imageExists, sessionLeftovers, removeSessionBuilds } = engineHelpers(engine);
