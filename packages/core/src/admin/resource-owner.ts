import { ownerLiveness } from '../session/owner-liveness.js';
import { currentSession, snapboxLabels } from '../session/session-info.js';
import type { ResourceOwner } from './admin-resource.js';

/** Prefix of the label keys snapbox keeps for itself. */
const reservedPrefix = 'org.snapbox.';

/**
 * The owner of a resource from what it records, with its liveness: `'alive'` for the asking
 * process's own session, `'unknown'` when `pid` or `host` is missing, else `ownerLiveness`
 * (pid and start time on this host; `'unknown'` for another host).
 * @param record the owner's session, and its pid, host and start time when the resource records them.
 */
export function describeOwner(record: {
  session: string;
  pid?: number | undefined;
  host?: string | undefined;
  processStartedAt?: number | undefined;
}): ResourceOwner {
  const pid = record.pid ?? Number.NaN;
  const host = record.host ?? '';
  const processStartedAt = record.processStartedAt ?? Number.NaN;
  const isCurrentProcess = record.session !== '' && record.session === currentSession().id;
  const recorded = Number.isFinite(pid) && host !== '';
  const liveness = isCurrentProcess ? 'alive' : recorded ? ownerLiveness({ pid, host, processStartedAt }) : 'unknown';
  return { session: record.session, pid, host, processStartedAt, liveness, isCurrentProcess };
}

/**
 * The owner of a resource labelled with `ownerLabels()` (`org.snapbox.session`,
 * `org.snapbox.owner.pid`, `.host`, `.started-at`), with its liveness; see {@link describeOwner}.
 */
export function ownerFromLabels(labels: Readonly<Record<string, string>>): ResourceOwner {
  const number = (key: string) => (labels[key] === undefined ? undefined : Number(labels[key]));
  return describeOwner({
    session: labels[snapboxLabels.session] ?? '',
    pid: number(snapboxLabels.ownerPid),
    host: labels[snapboxLabels.ownerHost],
    processStartedAt: number(snapboxLabels.ownerStartedAt),
  });
}

/** `labels` without snapbox's own bookkeeping (keys under `org.snapbox.`): an {@link AdminResource}'s `labels`. */
export function userLabels(labels: Readonly<Record<string, string>> | undefined | null): Record<string, string> {
  return Object.fromEntries(Object.entries(labels ?? {}).filter(([key]) => !key.startsWith(reservedPrefix)));
}
