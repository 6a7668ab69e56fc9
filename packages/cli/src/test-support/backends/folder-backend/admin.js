// The admin module of a third party's backend, written from docs/writing-a-backend.md: what the
// backend made is a list of records in a JSON file (FOLDER_BACKEND_STATE), and the admin is core's
// helpers around a list and a one-record removal. Without FOLDER_BACKEND_STATE it is not configured.
import { readFileSync, writeFileSync } from 'node:fs';
import { describeOwner, pruneResources } from '@snapbox/core';

const statePath = () => process.env.FOLDER_BACKEND_STATE;
const read = () => JSON.parse(readFileSync(statePath(), 'utf8'));

export function createAdmin() {
  const list = async () =>
    read().map((record) => ({
      backend: 'folder',
      kind: record.kind,
      id: record.id,
      owner: describeOwner(record.owner),
      createdAt: new Date(record.createdAt),
      keep: record.keep,
      parentSnapshot: record.parent,
      labels: record.labels ?? {},
    }));
  const remove = async (resource) => {
    writeFileSync(statePath(), JSON.stringify(read().filter((record) => record.id !== resource.id)));
  };
  return {
    backend: 'folder',
    describeTarget: () =>
      statePath() === undefined
        ? { description: 'a JSON file', configured: false, hint: 'set FOLDER_BACKEND_STATE' }
        : { description: `file ${statePath()}` },
    list,
    prune: (options = {}) => pruneResources(options, { backend: 'folder', list, remove }),
  };
}
