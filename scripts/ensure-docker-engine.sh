#!/usr/bin/env bash
# Makes a Docker engine reachable, and does nothing when one already is.
# Honours DOCKER_HOST: with a remote engine configured we only check that it answers.
# On this Debian machine (as root) it installs docker.io when absent and starts dockerd.
set -euo pipefail

log=$(realpath -m "${SNAPBOX_DOCKERD_LOG:-/tmp/dockerd.log}")

engine_answers() { docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

if engine_answers; then
  exit 0
fi

if [ -n "${DOCKER_HOST:-}" ] && [[ "${DOCKER_HOST}" != unix://* ]]; then
  echo "ensure-docker-engine: DOCKER_HOST=${DOCKER_HOST} does not answer; start that engine first" >&2
  exit 1
fi

if [ "$(id -u)" != 0 ]; then
  echo "ensure-docker-engine: no Docker engine answers and starting one needs root" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
if ! command -v dockerd >/dev/null 2>&1; then
  echo "ensure-docker-engine: installing docker.io" >&2
  apt-get update -qq
  apt-get install -y -qq docker.io >/dev/null
fi

# A previous dockerd that died uncleanly leaves its pid file behind and refuses to start.
if ! pgrep -x dockerd >/dev/null 2>&1; then
  rm -f /var/run/docker.pid
  echo "ensure-docker-engine: starting dockerd (log: ${log})" >&2
  # From /: the engine outlives this run, and the folder it was started from may be deleted.
  (cd / && exec setsid nohup dockerd >"${log}" 2>&1 </dev/null) &
fi

for _ in $(seq 1 120); do
  if engine_answers; then
    exit 0
  fi
  sleep 0.5
done
echo "ensure-docker-engine: dockerd did not answer within 60 s; last lines of ${log}:" >&2
tail -n 20 "${log}" >&2 || true
exit 1
