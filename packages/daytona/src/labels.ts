import { ownerLabels, snapboxLabels } from '@snapbox/core';

/**
 * A label unique to one container object, so that the cleanup of a failed start deletes the
 * sandbox this container asked for and never another one of the same name.
 */
export const containerLabelKey = 'org.snapbox.container';

/**
 * The labels of a new sandbox: the caller's, then the library's own (`org.snapbox.managed`,
 * the kind, the session and owner process, the snapshot it was restored from), which name it
 * as ours and say who made it.
 */
export function sandboxLabels(
  userLabels: Record<string, string> | undefined,
  lineage: { parentSnapshot?: string },
): Record<string, string> {
  const labels: Record<string, string> = {
    ...userLabels,
    ...ownerLabels(),
    [snapboxLabels.kind]: 'container',
  };
  if (lineage.parentSnapshot !== undefined) labels[snapboxLabels.parentSnapshot] = lineage.parentSnapshot;
  return labels;
}
