import { currentSession, snapboxLabels } from '@snapbox/core';
import Docker from 'dockerode';

/** A direct engine client for assertions: tests check the engine itself, not our own bookkeeping. */
export const engine = new Docker();

/** Containers and images labelled with this process's session (what must be gone at the end). */
export async function sessionLeftovers(
  session = currentSession().id,
): Promise<{ containers: string[]; images: string[] }> {
  const filters = JSON.stringify({ label: [`${snapboxLabels.session}=${session}`] });
  const [containers, images] = await Promise.all([
    engine.listContainers({ all: true, filters }),
    engine.listImages({ all: true, filters } as Docker.ListImagesOptions),
  ]);
  return { containers: containers.map((c) => c.Id), images: images.map((i) => i.Id) };
}

export async function imageExists(reference: string): Promise<boolean> {
  try {
    await engine.getImage(reference).inspect();
    return true;
  } catch {
    return false;
  }
}

/** Built images are kept across runs as a build cache; tests remove the ones they built. */
export async function removeSessionBuilds(session = currentSession().id): Promise<void> {
  const filters = JSON.stringify({ label: [`${snapboxLabels.session}=${session}`, `${snapboxLabels.kind}=build`] });
  const images = await engine.listImages({ filters } as Docker.ListImagesOptions);
  for (const image of images) {
    for (const tag of image.RepoTags ?? [])
      await engine
        .getImage(tag)
        .remove()
        .catch(() => undefined);
  }
}
