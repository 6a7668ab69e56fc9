import { resolve } from 'node:path';
import { assertNonEmptyString, assertOptionalNumber, InvalidArgumentError } from '@snapbox/core';
import { BackgroundRemovals } from './background-removals.js';
import { type CgroupDetection, detectCgroups } from './cgroup-driver.js';
import { confinementArgument } from './confinement.js';
import { EngineClient } from './engine-client.js';
import { TreeTools } from './host-tools.js';
import { ImageCache } from './image-cache.js';
import { LayerStore } from './layer-store.js';
import { sharedMappedNamespace } from './mapped-namespace.js';
import { SandboxPool } from './sandbox-pool.js';
import { SessionTracker } from './session-tracker.js';
import { defaultStateRoot, storeLayout } from './store-layout.js';
import { detectIdMapping, type IdMapping } from './subordinate-ids.js';

/** Options of the bubblewrap backend, shared by the factory and the admin functions. */
export interface BubblewrapBackendOptions {
  /**
   * The folder holding images, layers, snapshots and container records. It must be on a
   * filesystem that overlayfs accepts as an upper layer (ext4, xfs, btrfs; tmpfs on Linux 6.6+).
   * Default: `$SNAPBOX_BUBBLEWRAP_STATE_DIR` when set, else `/var/lib/snapbox-bubblewrap` for
   * root, else `$XDG_DATA_HOME/snapbox-bubblewrap` (`~/.local/share/snapbox-bubblewrap`). The
   * `snapbox` command line looks in the same default folder, so set the variable for both rather
   * than passing `stateDir` when you want `snapbox ls` to see your containers.
   */
  stateDir?: string;
  /**
   * The Docker or Podman engine socket that `fromImage` reads images from (and `fromDockerfile`
   * builds on). Default: `DOCKER_HOST` when it is a `unix://` address, then
   * `/var/run/docker.sock`, then Podman's sockets.
   */
  engineSocket?: string;
  /**
   * The network of containers that do not choose one (`ContainerOptions.network`).
   * `'none'` (default): each container has its own network namespace with loopback only.
   * `'default'`: containers share the host's network.
   */
  network?: 'none' | 'default';
  /**
   * Most processes (and threads) a container may have at once, enforced by the pids cgroup
   * controller, so a fork bomb stops there. Default 4096; `0` for no limit. Needs cgroups.
   */
  pidsLimit?: number;
  /**
   * Layer depth from which a snapshot copies the whole filesystem into one layer instead of
   * stacking a new layer (kernel overlayfs stacks at most 500 layers, and mount options must fit
   * in a page). Default 64; between 2 and 128.
   */
  flattenAtLayers?: number;
  /**
   * Start a watchdog process that removes this process's containers and session snapshots if
   * it is killed with SIGKILL. Default `true`.
   */
  watchdog?: boolean;
  /** Where the cgroup filesystem is mounted. Default `/sys/fs/cgroup`. */
  cgroupRoot?: string;
  /**
   * How many sandboxes to keep started ahead of their containers (user and mount namespaces
   * made, waiting for a container's cgroups and layers), so that a start or a restore only
   * mounts and runs bwrap. Default 2; `0` starts every sandbox on demand.
   */
  prestartedSandboxes?: number;
  /**
   * How a container's commands (and the file transfers, which run its programs) are confined.
   * `'default'` (default): as in Docker's defaults, they keep only Docker's default capabilities
   * (over the sandbox's user namespace; none as another `user`) and run under a seccomp filter that
   * refuses what Docker's default profile refuses a container without extra capabilities:
   * mounting, new namespaces (`unshare`, `setns`, `clone` with namespace flags), kernel modules,
   * keyrings, BPF, perf events, kexec, clock setting, userfaultfd, and 32-bit system calls.
   * It needs the spawn relay (Perl), which starts every command; without it a start fails with
   * `BackendUnavailableError`. `'unconfined'`: commands have every capability over the sandbox's
   * user namespace and no filter, so that they can mount filesystems or nest sandboxes inside.
   */
  security?: 'default' | 'unconfined';
}

/** The resolved, shared state behind a set of containers (one per state folder in a process). */
export interface ResolvedBackend {
  stateRoot: string;
  rootless: boolean;
  /**
   * How sandboxes map ids: identity as root; as an ordinary user, its subordinate range when it
   * has one and newuidmap (then `user` works), else only itself.
   */
  idMapping: IdMapping;
  store: LayerStore;
  tools: TreeTools;
  images: ImageCache;
  engine: () => EngineClient | undefined;
  cgroups: () => CgroupDetection;
  network: 'none' | 'default';
  pidsLimit: number;
  flattenAtLayers: number;
  security: 'default' | 'unconfined';
  /** What the sandboxes' agents confine commands with (confinement.ts); undefined when unconfined or unknown here. */
  confinement: string | undefined;
  tracker: SessionTracker;
  /** What stop() and deleteSnapshot() leave to the background. */
  removals: BackgroundRemovals;
  /** Sandboxes started ahead for this backend's network setting. */
  pool: SandboxPool;
  /** Sandboxes started ahead for a container's own network (the same pool as `pool` for the factory's). */
  poolFor(network: 'none' | 'default'): SandboxPool;
}

const backends = new Map<
  string,
  Omit<
    ResolvedBackend,
    'network' | 'pidsLimit' | 'flattenAtLayers' | 'security' | 'confinement' | 'engine' | 'images' | 'pool' | 'poolFor'
  >
>();
const pools = new Map<string, SandboxPool>();

/** Validates the options and builds the shared state. No I/O beyond what is memoized lazily. */
export function resolveBackend(options: BubblewrapBackendOptions = {}): ResolvedBackend {
  if (options.stateDir !== undefined) assertNonEmptyString(options.stateDir, 'stateDir');
  if (options.engineSocket !== undefined) assertNonEmptyString(options.engineSocket, 'engineSocket');
  const network = options.network ?? 'none';
  if (network !== 'none' && network !== 'default') {
    throw new InvalidArgumentError({
      argument: 'network',
      message: `expected "none" or "default", got ${JSON.stringify(network)}`,
    });
  }
  const security = options.security ?? 'default';
  if (security !== 'default' && security !== 'unconfined') {
    throw new InvalidArgumentError({
      argument: 'security',
      message: `expected "default" or "unconfined", got ${JSON.stringify(security)}`,
    });
  }
  const confinement = security === 'default' ? confinementArgument() : undefined;
  assertOptionalNumber(options.pidsLimit, 'pidsLimit', { min: 0, integer: true });
  assertOptionalNumber(options.flattenAtLayers, 'flattenAtLayers', { min: 2, integer: true });
  assertOptionalNumber(options.prestartedSandboxes, 'prestartedSandboxes', { min: 0, integer: true });
  if (options.flattenAtLayers !== undefined && options.flattenAtLayers > 128) {
    throw new InvalidArgumentError({
      argument: 'flattenAtLayers',
      message: `at most 128, got ${options.flattenAtLayers}`,
    });
  }
  const stateRoot = resolve(options.stateDir ?? defaultStateRoot());
  const rootless = process.getuid?.() !== 0;
  let shared = backends.get(stateRoot);
  if (shared === undefined) {
    const idMapping = detectIdMapping();
    const tools = new TreeTools(treeToolsPrefix(idMapping));
    const store = new LayerStore(storeLayout(stateRoot), tools);
    let detection: CgroupDetection | undefined;
    const cgroupRoot = options.cgroupRoot;
    const detect = () => {
      detection ??= detectCgroups({ mountPoint: cgroupRoot, rootless });
      return detection;
    };
    const tracker = new SessionTracker(
      { store, tools },
      {
        stateRoot,
        rootless,
        watchdog: options.watchdog ?? true,
        cgroupParents: () => detect().driver?.parents ?? [],
      },
    );
    shared = {
      stateRoot,
      rootless,
      idMapping,
      store,
      tools,
      cgroups: detect,
      tracker,
      removals: new BackgroundRemovals(() => tracker.hold()),
    };
    backends.set(stateRoot, shared);
  } else if (options.watchdog !== false) {
    // The shared state may have been made by an admin call (which never wants a watchdog, as it
    // tracks nothing) or a factory without one: a factory that wants one still gets it.
    shared.tracker.wantWatchdog();
  }
  let engine: EngineClient | undefined | null = null;
  const engineOf = () => {
    if (engine === null) engine = EngineClient.find(options.engineSocket);
    return engine;
  };
  const pidsLimit = options.pidsLimit ?? 4096;
  const size = options.prestartedSandboxes ?? 2;
  // One pool per network (a sandbox's network namespace is made when its process starts) and per
  // state folder (a pre-built sandbox has its store bound in). A pool spawns nothing before its
  // first take, so a network no container asks for costs nothing.
  const poolFor = (wanted: 'none' | 'default'): SandboxPool => {
    const poolKey = `${stateRoot}|${wanted}|${size}|${security}`;
    let pool = pools.get(poolKey);
    if (pool === undefined) {
      const cgroupsOf = shared.cgroups;
      pool = new SandboxPool({
        size,
        network: wanted,
        rootless,
        confinement,
        subordinateIds: shared.idMapping.kind === 'range' ? shared.idMapping.ids : undefined,
        storeRoot: shared.store.layout.root,
        cgroups: () => cgroupsOf().driver,
        hold: () => shared.tracker.hold(),
      });
      pools.set(poolKey, pool);
    }
    return pool;
  };
  return {
    ...shared,
    network,
    pool: poolFor(network),
    poolFor,
    pidsLimit,
    flattenAtLayers: options.flattenAtLayers ?? 64,
    security,
    confinement,
    engine: engineOf,
    images: new ImageCache(shared.store.layout, shared.tools, engineOf, shared.idMapping),
  };
}

/** Where the tree tools run their helpers (see TreeTools): as they are, or in a user namespace. */
function treeToolsPrefix(mapping: IdMapping): () => readonly string[] {
  if (mapping.kind === 'root') return () => [];
  if (mapping.kind === 'single') return () => ['unshare', '--map-root-user', '--'];
  const namespace = sharedMappedNamespace(mapping.ids);
  return () => namespace.prefix();
}
