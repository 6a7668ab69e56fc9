import Docker from 'dockerode';

/** What docker-modem reads from the environment when it builds a client. */
const dockerEnvironment = [
  'DOCKER_HOST',
  'DOCKER_TLS_VERIFY',
  'DOCKER_CERT_PATH',
  'DOCKER_PATH_PREFIX',
  'DOCKER_CLIENT_TIMEOUT',
] as const;

/**
 * A client for options that name an endpoint (`socketPath` or `host`), used as given:
 * docker-modem would otherwise let `DOCKER_HOST` override an explicit socket path, and
 * `SSH_AUTH_SOCK` an explicit ssh agent.
 */
export function explicitClient(options: Docker.DockerOptions): Docker {
  const saved = dockerEnvironment.map((name) => [name, process.env[name]] as const);
  for (const [name] of saved) delete process.env[name];
  try {
    return new Docker(options);
  } finally {
    for (const [name, value] of saved) if (value !== undefined) process.env[name] = value;
  }
}
