import { execFileSync } from 'node:child_process';

/**
 * The calls of a dockerode client that {@link leftovers} and {@link removeLabelled} make. Written
 * out here so that this package needs no dockerode; {@link dockerCli} is the same through the
 * `docker` command.
 */
export interface LabelledEngine {
  listContainers(options: { all: boolean; filters: string }): Promise<ReadonlyArray<{ Id: string }>>;
  listImages(options: { all: boolean; filters: string }): Promise<ReadonlyArray<{ Id: string }>>;
  getContainer(id: string): { remove(options: { force: boolean }): Promise<unknown> };
  getImage(id: string): { remove(options: { force: boolean }): Promise<unknown> };
}

/** Ids of what is still on the engine. */
export interface Leftovers {
  containers: string[];
  images: string[];
}

function filtersOf(labels: readonly string[]): string {
  return JSON.stringify({ label: labels });
}

/**
 * The containers (running or not) and images (intermediate ones included) that carry every one
 * of `labels` (`key=value`, or `key` for any value): what a test expects to be gone. Podman
 * answers a filter of two labels with nothing: there, give one.
 */
export async function leftovers(engine: LabelledEngine, labels: readonly string[]): Promise<Leftovers> {
  const filters = filtersOf(labels);
  const [containers, images] = await Promise.all([
    engine.listContainers({ all: true, filters }),
    engine.listImages({ all: true, filters }),
  ]);
  return { containers: containers.map((c) => c.Id), images: images.map((i) => i.Id) };
}

/**
 * Force-removes what carries every one of `labels`: containers first (a forced image removal on
 * Podman would take its containers too), then images, children before their parents, in rounds
 * until a round removes nothing. Failures are ignored: this is the clean-up after a test that may
 * have failed half-way, and what it leaves, a later assertion reports.
 */
export async function removeLabelled(engine: LabelledEngine, labels: readonly string[]): Promise<void> {
  const filters = filtersOf(labels);
  for (const container of await engine.listContainers({ all: true, filters })) {
    await engine
      .getContainer(container.Id)
      .remove({ force: true })
      .catch(() => undefined);
  }
  let before = Number.POSITIVE_INFINITY;
  for (;;) {
    const images = await engine.listImages({ all: true, filters });
    if (images.length === 0 || images.length >= before) return;
    before = images.length;
    for (const image of images) {
      await engine
        .getImage(image.Id)
        .remove({ force: true })
        .catch(() => undefined);
    }
  }
}

function docker(...args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8' }).trim();
}

function labelArgs(filters: string): string[] {
  return (JSON.parse(filters) as { label: string[] }).label.flatMap((label) => ['--filter', `label=${label}`]);
}

function ids(output: string): Array<{ Id: string }> {
  return output === '' ? [] : [...new Set(output.split('\n'))].map((Id) => ({ Id }));
}

/**
 * The engine the `docker` command reaches (`DOCKER_HOST`, its current context), for tests of
 * code that has no dockerode either.
 */
export const dockerCli: LabelledEngine = {
  listContainers: async ({ all, filters }) =>
    ids(docker('ps', ...(all ? ['--all'] : []), '--quiet', '--no-trunc', ...labelArgs(filters))),
  listImages: async ({ all, filters }) =>
    ids(docker('images', ...(all ? ['--all'] : []), '--quiet', '--no-trunc', ...labelArgs(filters))),
  getContainer: (id) => ({
    remove: async ({ force }) => docker('rm', ...(force ? ['--force'] : []), id),
  }),
  getImage: (id) => ({
    remove: async ({ force }) => docker('rmi', ...(force ? ['--force'] : []), id),
  }),
};
