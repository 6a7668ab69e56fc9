/** What {@link inRemovalOrder} needs of a snapshot. */
export interface OrderedSnapshot {
  /** Its id; `undefined` for one whose name is already gone (deleted while in use). */
  readonly id: string | undefined;
  /** When it was taken: newer snapshots are removed first. */
  readonly createdAt: Date;
  /** The snapshot it was taken from a restore of, when there is one. */
  readonly parentSnapshot?: string | undefined;
}

/**
 * Snapshots in the order to remove them: newest first, and a descendant always before its
 * ancestor, also when both were made within the same second (an engine may report creation times
 * in whole seconds). Removing children first lets each parent's storage go at once.
 */
export function inRemovalOrder<T extends OrderedSnapshot>(snapshots: readonly T[]): T[] {
  const byId = new Map(snapshots.flatMap((snapshot) => (snapshot.id === undefined ? [] : [[snapshot.id, snapshot]])));
  const depth = new Map<T, number>();
  const depthOf = (snapshot: T): number => {
    const known = depth.get(snapshot);
    if (known !== undefined) return known;
    depth.set(snapshot, 0); // guards against a cycle in foreign data
    const parent = snapshot.parentSnapshot === undefined ? undefined : byId.get(snapshot.parentSnapshot);
    const found = parent === undefined ? 0 : depthOf(parent) + 1;
    depth.set(snapshot, found);
    return found;
  };
  return [...snapshots].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || depthOf(b) - depthOf(a));
}
