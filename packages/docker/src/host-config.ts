import type { ContainerOptions } from '@snapbox/core';
import { InvalidArgumentError } from '@snapbox/core';
import type Docker from 'dockerode';

/**
 * What every container gets unless the `hostConfig` option says otherwise: defaults for code
 * nobody reviewed, which ordinary tools (compilers, package managers, test runners, servers on
 * high ports) never notice.
 *
 * - `PidsLimit: 1024`: a fork bomb stops at 1024 processes and threads instead of exhausting
 *   the host (`resources.pids` sets another limit).
 * - `SecurityOpt: ['no-new-privileges']`: setuid binaries (`sudo`, `su`, `ping` on some
 *   images) cannot raise privileges.
 * - `CapDrop: ['NET_RAW']`: no raw sockets, so no packet spoofing or sniffing on the bridge.
 *
 * Each is a plain Engine API field: replace one through `hostConfig` (say
 * `{ SecurityOpt: [...dockerSandboxDefaults.SecurityOpt, 'seccomp=/path.json'] }` to add a
 * profile and keep the rest, or `{ CapDrop: [] }` to keep `NET_RAW`).
 */
export const dockerSandboxDefaults = {
  /** Most processes and threads in the container. */
  PidsLimit: 1024,
  /** Setuid programs cannot raise privileges. */
  SecurityOpt: ['no-new-privileges'],
  /** No raw sockets. */
  CapDrop: ['NET_RAW'],
} as const satisfies Docker.HostConfig;

/**
 * `HostConfig` fields a `hostConfig` option cannot set: snapbox needs its init process (it reaps
 * killed commands) and removes containers itself. The fields the contract's options set
 * (resources, `NetworkMode` for `network: 'none'`, `PortBindings` of `ports`) are overridden
 * only when those options are given.
 */
const reservedFields = ['Init', 'AutoRemove'] as const;

/** Validates a `hostConfig` option: a plain object (its fields are the engine's to judge). */
export function assertHostConfig(value: unknown, argument: string): asserts value is Docker.HostConfig | undefined {
  if (value === undefined) return;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError({ argument, message: 'expected an object of Engine API HostConfig fields' });
  }
}

/**
 * The `HostConfig` of a new container: the sandbox defaults, under the factory's `hostConfig`,
 * under the container's, under what the contract's options and snapbox need (the init process,
 * resources, network, ports).
 */
export function buildHostConfig(
  options: ContainerOptions,
  layers: { factory?: Docker.HostConfig | undefined; container?: Docker.HostConfig | undefined },
  portBindAddress: string,
): Docker.HostConfig {
  const host: Docker.HostConfig = {
    ...dockerSandboxDefaults,
    SecurityOpt: [...dockerSandboxDefaults.SecurityOpt],
    CapDrop: [...dockerSandboxDefaults.CapDrop],
    ...layers.factory,
    ...layers.container,
  };
  for (const field of reservedFields) delete host[field];
  // An init process reaps the zombies of killed commands; the container is removed by snapbox.
  host.Init = true;
  const resources = options.resources ?? {};
  if (resources.cpu !== undefined) host.NanoCpus = Math.round(resources.cpu * 1e9);
  if (resources.memoryMiB !== undefined) {
    host.Memory = Math.round(resources.memoryMiB * 1024 * 1024);
    // Without this the engine adds as much swap again, and the limit would not be the limit.
    host.MemorySwap ??= host.Memory;
  }
  if (resources.pids !== undefined) host.PidsLimit = resources.pids;
  if (resources.gpu !== undefined && resources.gpu > 0) {
    host.DeviceRequests = [{ Driver: '', Count: resources.gpu, Capabilities: [['gpu']] }];
  }
  if (resources.diskGiB !== undefined) host.StorageOpt = { ...host.StorageOpt, size: `${resources.diskGiB}G` };
  if (options.network === 'none') host.NetworkMode = 'none';
  if (options.ports !== undefined && options.ports.length > 0) {
    const bindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = { ...host.PortBindings };
    for (const port of options.ports) bindings[`${port}/tcp`] = [{ HostIp: portBindAddress, HostPort: '' }];
    host.PortBindings = bindings;
  }
  return host;
}

/** The `ExposedPorts` of the create request for `ports`. */
export function exposedPorts(ports: readonly number[] | undefined): Record<string, Record<string, never>> | undefined {
  if (ports === undefined || ports.length === 0) return undefined;
  return Object.fromEntries(ports.map((port) => [`${port}/tcp`, {}]));
}
