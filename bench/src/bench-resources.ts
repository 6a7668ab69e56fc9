import { hostname } from 'node:os';
import type Docker from 'dockerode';

/**
 * Every container the bench creates itself (floor, CLI, Python, testcontainers, and snapbox's
 * too, through its `labels` option) carries these labels; images committed from such a
 * container inherit them. Cleanup filters on them, so nothing of anyone else's is touched.
 * snapbox's snapshot images are left to the library's own cleanup.
 */
export const benchLabelKeys = {
  run: 'snapbox-bench.run',
  pid: 'snapbox-bench.pid',
  host: 'snapbox-bench.host',
} as const;

/** Repository of the snapshot images the other tools commit. */
export const benchRepository = 'snapbox-bench-snapshot';

export function benchLabels(runId: string): Record<string, string> {
  return { [benchLabelKeys.run]: runId, [benchLabelKeys.pid]: String(process.pid), [benchLabelKeys.host]: hostname() };
}

export interface SweepReport {
  containers: number;
  images: number;
}

/** Removes the containers, then the images, labelled with `run`. Errors are ignored: it is best effort at the end. */
export async function removeRun(docker: Docker, run: string): Promise<SweepReport> {
  return removeMatching(docker, [`${benchLabelKeys.run}=${run}`], () => true);
}

/** Removes what earlier bench runs on this host left behind when they were killed (their pid is gone). */
export async function removeStaleRuns(docker: Docker): Promise<SweepReport> {
  return removeMatching(docker, [benchLabelKeys.run], (labels) => {
    if (labels[benchLabelKeys.host] !== hostname()) return false;
    const pid = Number(labels[benchLabelKeys.pid]);
    if (!Number.isInteger(pid) || pid <= 0) return true;
    try {
      process.kill(pid, 0);
      return false;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code !== 'EPERM';
    }
  });
}

async function removeMatching(
  docker: Docker,
  labelFilter: string[],
  accept: (labels: Record<string, string>) => boolean,
): Promise<SweepReport> {
  const filters = JSON.stringify({ label: labelFilter });
  const containers = (await docker.listContainers({ all: true, filters }).catch(() => [])).filter((container) =>
    accept(container.Labels ?? {}),
  );
  await Promise.all(
    containers.map((container) =>
      docker
        .getContainer(container.Id)
        .remove({ force: true, v: true })
        .catch(() => undefined),
    ),
  );
  let images = 0;
  // Children pin their parents: remove tags first, then what is left, for a few rounds.
  for (let round = 0; round < 4; round++) {
    const found = (
      await docker.listImages({ all: true, filters } as Docker.ListImagesOptions).catch(() => [] as Docker.ImageInfo[])
    ).filter((image) => accept(image.Labels ?? {}));
    if (found.length === 0) break;
    for (const image of found) {
      const tags = (image.RepoTags ?? []).filter((tag) => tag !== '<none>:<none>');
      for (const reference of tags.length > 0 ? tags : [image.Id]) {
        const removed = await docker
          .getImage(reference)
          .remove({ force: true })
          .then(
            () => true,
            () => false,
          );
        if (removed) images++;
      }
    }
  }
  return { containers: containers.length, images };
}
