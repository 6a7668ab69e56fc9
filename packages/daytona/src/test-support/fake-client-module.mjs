// A fake Daytona client for the tests that cross a process boundary: the synchronous cleanup
// worker loads it through the factory's `syncClientModule` option, and the exit scenarios use
// it in-process too. Its state lives in the JSON file named by SNAPBOX_FAKE_DAYTONA_STATE
// (read and written on every call), so that a test can set it up and check every call made.
import { readFileSync, writeFileSync } from 'node:fs';

function load() {
  return JSON.parse(readFileSync(process.env.SNAPBOX_FAKE_DAYTONA_STATE, 'utf8'));
}

function save(state) {
  writeFileSync(process.env.SNAPBOX_FAKE_DAYTONA_STATE, JSON.stringify(state, null, 2));
}

function fail(status, message, name = 'DaytonaError') {
  return Object.assign(new Error(message), { name, statusCode: status });
}

// Records a call (with the process it came from) and throws an injected failure if one is due.
function record(method, args) {
  const state = load();
  state.calls.push({ method, args, pid: process.pid });
  const failure = (state.failures ?? []).find((candidate) => candidate.method === method && candidate.times > 0);
  if (failure) failure.times -= 1;
  save(state);
  if (failure) throw fail(failure.status, failure.message, failure.name);
  return state;
}

function sandboxObject(id) {
  return {
    id,
    name: load().sandboxes[id]?.name,
    async delete() {
      const state = record('sandbox.delete', [id]);
      if (!state.sandboxes[id]) throw fail(404, `Sandbox ${id} not found`, 'DaytonaNotFoundError');
      delete state.sandboxes[id];
      save(state);
    },
    async createSnapshot(name) {
      const state = record('sandbox.createSnapshot', [id, name]);
      state.snapshots[name] = { state: 'active' };
      save(state);
    },
    process: {},
    fs: {
      async createFolder(path) {
        record('fs.createFolder', [id, path]);
      },
    },
  };
}

export function createClient(config) {
  record('createClient', [config]);
  return {
    async create(params) {
      const state = record('daytona.create', [params]);
      state.nextId = (state.nextId ?? 0) + 1;
      const id = `sandbox-${state.nextId}`;
      state.sandboxes[id] = { name: params.name, labels: params.labels };
      save(state);
      return sandboxObject(id);
    },
    async get(idOrName) {
      const state = record('daytona.get', [idOrName]);
      const id = Object.keys(state.sandboxes).find((key) => key === idOrName || state.sandboxes[key].name === idOrName);
      if (id === undefined) throw fail(404, `Sandbox ${idOrName} not found`, 'DaytonaNotFoundError');
      return sandboxObject(id);
    },
    snapshot: {
      async get(name) {
        const state = record('snapshot.get', [name]);
        const snapshot = state.snapshots[name];
        if (!snapshot) throw fail(404, `Snapshot ${name} not found`, 'DaytonaNotFoundError');
        return { name, state: snapshot.state, errorReason: null };
      },
      async delete(name) {
        const state = record('snapshot.delete', [name]);
        if (!state.snapshots[name]) throw fail(404, `Snapshot ${name} not found`, 'DaytonaNotFoundError');
        delete state.snapshots[name];
        save(state);
      },
    },
  };
}
