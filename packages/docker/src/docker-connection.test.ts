import Docker from 'dockerode';
import { afterEach, describe, expect, it } from 'vitest';
import { describeEndpoint, resolveDocker, serializeConnection } from './docker-connection.js';

const saved = process.env.DOCKER_HOST;
afterEach(() => {
  if (saved === undefined) delete process.env.DOCKER_HOST;
  else process.env.DOCKER_HOST = saved;
});

describe('connections that another process can rebuild', () => {
  it('keeps an ssh connection with its key and agent, and drops what cannot cross a process', () => {
    const docker = resolveDocker({
      protocol: 'ssh',
      host: '10.0.0.5',
      port: 2222,
      username: 'ci',
      sshOptions: {
        privateKey: Buffer.from('-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n'),
        passphrase: 'secret',
        agent: '/run/user/1000/ssh-agent.sock',
        hostVerifier: () => true,
      } as Docker.DockerOptions['sshOptions'],
    });
    const serialized = serializeConnection(docker);
    expect(serialized).toMatchObject({ protocol: 'ssh', host: '10.0.0.5', port: 2222, username: 'ci' });
    expect(serialized.sshOptions).toEqual({
      privateKey: '-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n',
      passphrase: 'secret',
      agent: '/run/user/1000/ssh-agent.sock',
    });
    const rebuilt = serializeConnection(resolveDocker(JSON.parse(JSON.stringify(serialized))));
    expect(rebuilt).toEqual(serialized);
    expect(describeEndpoint(resolveDocker(serialized))).toBe('ssh://ci@10.0.0.5:2222');
  });

  it('reads DOCKER_HOST once, in the process that starts, and hands on the endpoint itself', () => {
    process.env.DOCKER_HOST = 'tcp://127.0.0.1:23750';
    const serialized = serializeConnection(resolveDocker(undefined));
    expect(serialized).toMatchObject({ host: '127.0.0.1', port: '23750', protocol: 'http' });
    // The other process may have another DOCKER_HOST: the serialized endpoint wins.
    process.env.DOCKER_HOST = 'unix:///run/podman/podman.sock';
    expect(describeEndpoint(resolveDocker(serialized))).toBe('tcp://127.0.0.1:23750');
    expect(describeEndpoint(resolveDocker(undefined))).toBe('unix:///run/podman/podman.sock');
  });

  it('uses an explicit socket path even when DOCKER_HOST names another engine', () => {
    process.env.DOCKER_HOST = 'tcp://127.0.0.1:23750';
    const docker = resolveDocker({ socketPath: '/run/podman/podman.sock' });
    expect(describeEndpoint(docker)).toBe('unix:///run/podman/podman.sock');
    expect(serializeConnection(docker)).toEqual({ socketPath: '/run/podman/podman.sock', protocol: 'http' });
    expect(process.env.DOCKER_HOST).toBe('tcp://127.0.0.1:23750');
  });

  it('keeps TLS material, a list of CA certificates included', () => {
    const docker = new Docker({ host: 'engine.example', port: 2376, ca: ['CA1', 'CA2'], cert: 'CERT', key: 'KEY' });
    expect(serializeConnection(docker)).toMatchObject({
      host: 'engine.example',
      port: 2376,
      protocol: 'https',
      ca: ['CA1', 'CA2'],
      cert: 'CERT',
      key: 'KEY',
    });
  });
});
