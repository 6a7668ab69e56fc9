import type { AdminResource } from '@snapbox/core';

/**
 * The labels `@snapbox/go-explore` puts on everything a checkpointed run makes (its `runLabels`),
 * written out so that the CLI does not load go-explore; a test checks them against it.
 */
export const goExploreLabels = {
  /** The run's id, the same across resumes. */
  run: 'snapbox.go-explore.run',
  /** The checkpoint file's absolute path. */
  checkpoint: 'snapbox.go-explore.checkpoint',
} as const;

/** The resources of one Go-Explore run. */
export interface RunGroup {
  /** The run's id. */
  readonly id: string;
  /** Where its checkpoint is, when a resource says. */
  readonly checkpoint: string | undefined;
  /** Its containers and snapshots. */
  readonly resources: readonly AdminResource[];
}

/** Splits `resources` into Go-Explore runs (by their run label, oldest run first) and the rest. */
export function groupRuns(resources: readonly AdminResource[]): { runs: RunGroup[]; rest: AdminResource[] } {
  const byRun = new Map<string, AdminResource[]>();
  const rest: AdminResource[] = [];
  for (const resource of resources) {
    const run = resource.labels[goExploreLabels.run];
    if (run === undefined || run === '') rest.push(resource);
    else byRun.set(run, [...(byRun.get(run) ?? []), resource]);
  }
  const oldest = (group: readonly AdminResource[]) => Math.min(...group.map((r) => r.createdAt.getTime()));
  const runs = [...byRun.entries()]
    .sort(([, a], [, b]) => oldest(a) - oldest(b))
    .map(([id, group]) => ({
      id,
      checkpoint: group.find((r) => r.labels[goExploreLabels.checkpoint] !== undefined)?.labels[
        goExploreLabels.checkpoint
      ],
      resources: group,
    }));
  return { runs, rest };
}
