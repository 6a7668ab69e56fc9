import { createBubblewrapAdmin, createBubblewrapFactory } from '@snapbox/bubblewrap';
import { type BackendAdmin, currentSession, type SnapshotableContainerFactory } from '@snapbox/core';
import { createDockerAdmin, createDockerFactory } from '@snapbox/docker';
import { runLabels } from '@snapbox/go-explore';

/** The backends the demo compares. */
export const backendNames = ['bubblewrap', 'docker'] as const;
export type BackendName = (typeof backendNames)[number];

/** How the demo names a backend in its output. */
export const backendTitles: Record<BackendName, string> = { bubblewrap: 'bubblewrap', docker: 'Docker' };

/** A backend that works here: its factory, its admin (for the leftover check), and where it runs. */
export interface DemoBackend {
  readonly name: BackendName;
  readonly factory: SnapshotableContainerFactory;
  readonly admin: BackendAdmin;
  /** Its engine or state folder, in words. */
  readonly where: string;
  /**
   * Resolves once what was stopped or deleted is gone: bubblewrap removes folders and layers in
   * the background after `stop()` and `deleteSnapshot()` resolve (its factory's `settled()`).
   */
  readonly settled: () => Promise<void>;
}

/** A backend that does not work here, and why. */
export interface MissingBackend {
  readonly name: BackendName;
  readonly problem: string;
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

async function openDocker(image: string): Promise<DemoBackend | MissingBackend> {
  const factory = createDockerFactory({ pull: 'never' });
  try {
    await factory.docker.ping();
  } catch (error) {
    return {
      name: 'docker',
      problem: `No Docker engine answers (${message(error)}). Start one (bash scripts/ensure-docker-engine.sh) or set DOCKER_HOST.`,
    };
  }
  try {
    await factory.docker.getImage(image).inspect();
  } catch {
    return {
      name: 'docker',
      problem: `The image ${image} is missing on this engine. Build it with: bash scripts/ensure-test-images.sh (or run npm run demo from the repository root, which does it).`,
    };
  }
  const admin = createDockerAdmin({ docker: factory.docker });
  return {
    name: 'docker',
    factory,
    admin,
    where: admin.describeTarget().description,
    settled: () => Promise.resolve(),
  };
}

/**
 * Bubblewrap works when a sandbox starts: bwrap, user namespaces and overlayfs are there, and the
 * image can be read from the local engine (once; it is cached in the state folder).
 */
async function openBubblewrap(image: string): Promise<DemoBackend | MissingBackend> {
  try {
    const factory = createBubblewrapFactory();
    const probe = factory.fromImage({ image });
    try {
      await probe.start();
      const answer = await probe.exec(['true']);
      if (answer.exitCode !== 0) throw new Error(`a command in the sandbox failed: ${answer.output.trim()}`);
    } finally {
      await probe.stop();
    }
    return {
      name: 'bubblewrap',
      factory,
      admin: createBubblewrapAdmin(),
      where: factory.stateDir,
      settled: () => factory.settled(),
    };
  } catch (error) {
    return {
      name: 'bubblewrap',
      problem: `${message(error)} (bash scripts/ensure-bubblewrap.sh installs what it needs on Debian or Ubuntu)`,
    };
  }
}

/** Checks a backend first, so that a missing one gets a message, not a stack. */
export function openBackend(name: BackendName, image: string): Promise<DemoBackend | MissingBackend> {
  return name === 'docker' ? openDocker(image) : openBubblewrap(image);
}

export const isWorking = (backend: DemoBackend | MissingBackend): backend is DemoBackend => 'factory' in backend;

/** What this process left on a backend. */
export interface Leftovers {
  readonly containers: number;
  /** Snapshots, apart from those kept on purpose for a resume. */
  readonly snapshots: number;
  /** Snapshots kept for a resume: under a checkpoint of `checkpointsDir`, made with `keep: true`. */
  readonly kept: number;
}

/**
 * What this process left on `backend`, through its admin (what `snapbox ls` shows), the
 * snapshots kept for a resume (`keep: true`, labelled with a checkpoint in `checkpointsDir`)
 * counted apart.
 */
export async function leftovers(backend: DemoBackend, checkpointsDir: string): Promise<Leftovers> {
  await backend.settled();
  const mine = await backend.admin.list({ session: currentSession().id });
  const forResume = (labels: Readonly<Record<string, string>>, keep: boolean | undefined) =>
    keep === true && (labels[runLabels.checkpoint] ?? '').startsWith(checkpointsDir);
  const snapshots = mine.filter((resource) => resource.kind === 'snapshot');
  const kept = snapshots.filter((snapshot) => forResume(snapshot.labels, snapshot.keep)).length;
  return {
    containers: mine.filter((resource) => resource.kind === 'container').length,
    snapshots: snapshots.length - kept,
    kept,
  };
}
