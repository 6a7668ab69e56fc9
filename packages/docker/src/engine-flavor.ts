import type Docker from 'dockerode';
import { engineMessage, statusOf, wrapEngineError } from './docker-connection.js';

/**
 * Which implementation of the Engine API answers. Podman's Docker-compatible API differs in a
 * few places that the backend branches on (see README, "Engines and transports"):
 * - commit ignores the config body: the image config and labels go in `changes`;
 * - removing an image with `force` also removes the containers that use it, so a snapshot
 *   that is still in use is untagged through Podman's own endpoint instead;
 * - names gain `localhost/` or `docker.io/library/`, and some ids lack `sha256:`.
 */
export type EngineFlavor = 'docker' | 'podman';

const flavors = new WeakMap<Docker, Promise<EngineFlavor>>();

/** Podman names itself in the version's components ("Podman Engine"), Docker never does. */
export function flavorOf(version: { Components?: { Name?: string }[]; Platform?: { Name?: string } }): EngineFlavor {
  const names = [version.Platform?.Name ?? '', ...(version.Components ?? []).map((component) => component.Name ?? '')];
  return names.some((name) => /podman/i.test(name)) ? 'podman' : 'docker';
}

/**
 * The flavor of the engine behind `docker`, asked once per client and cached. A failed probe
 * is not cached, so the next call asks again.
 * @throws BackendUnavailableError when the engine cannot be reached.
 */
export function engineFlavor(docker: Docker): Promise<EngineFlavor> {
  const cached = flavors.get(docker);
  if (cached !== undefined) return cached;
  const probe = docker.version().then(
    (version) => flavorOf(version as Parameters<typeof flavorOf>[0]),
    (error: unknown) => {
      flavors.delete(docker);
      throw wrapEngineError(error, docker, 'identify the engine');
    },
  );
  flavors.set(docker, probe);
  return probe;
}

/** An image id in Docker's form (`sha256:<hex>`); Podman leaves the prefix out in places. */
export function normalizeImageId(id: string): string {
  return /^[0-9a-f]{64}$/.test(id) ? `sha256:${id}` : id;
}

/**
 * A reference as the user wrote it: Podman reports `snapbox-snapshot:x` as
 * `docker.io/library/snapbox-snapshot:x` (made by commit) or `localhost/...` (made by import or
 * load). The `docker.io/` forms are the same image on Docker too.
 */
export function shortReference(reference: string): string {
  return reference.replace(/^(?:docker\.io\/library\/|docker\.io\/|localhost\/)/, '');
}

/**
 * True when the engine refused because the container is not running or no longer exists:
 * Docker answers 409 ("... is not running") or 404, Podman 500 ("container state improper").
 * A paused container (a snapshot in progress) is not one of them.
 */
export function isNotRunningError(error: unknown): boolean {
  const status = statusOf(error);
  if (status === 404) return true;
  if (status !== 409 && status !== 500) return false;
  return /is not running|state improper|can only create exec sessions on running containers/i.test(
    engineMessage(error),
  );
}

/**
 * True when an image removal failed because the image is already gone: 404, or Docker's 500
 * "unrecognized image ID" when another removal (a reclaim, a child's removal pruning its
 * parents) took it at the same moment.
 */
export function isImageGoneError(error: unknown): boolean {
  const status = statusOf(error);
  return status === 404 || (status === 500 && /unrecognized image ID|image not known/i.test(engineMessage(error)));
}
