#!/usr/bin/env bash
# Makes Podman's Docker-compatible API answer on a unix socket and loads fixture images into
# Podman, for the Podman test suites. Every step is a no-op when done already.
# On this Debian machine (as root) it installs podman and catatonit when absent.
# Usage: ensure-podman.sh [image...]   (default: snapbox-fixture/tiny:1, all the tests use;
#        add snapbox-fixture/debian:1 to run the demo on Podman)
#   SNAPBOX_PODMAN_SOCKET  the socket to serve (default /run/podman/podman.sock)
#   SNAPBOX_PODMAN_LOG     the service's log (default /tmp/podman-service.log)
set -euo pipefail
cd "$(dirname "$0")/.."

socket=${SNAPBOX_PODMAN_SOCKET:-/run/podman/podman.sock}
log=$(realpath -m "${SNAPBOX_PODMAN_LOG:-/tmp/podman-service.log}")
images=("$@")
[ ${#images[@]} -gt 0 ] || images=(snapbox-fixture/tiny:1)

# The API itself answers, not just the socket file: a stale socket survives a dead service.
api_answers() {
  node -e "require('http').get({ socketPath: process.argv[1], path: '/_ping', timeout: 3000 }, (r) => process.exit(r.statusCode === 200 ? 0 : 1)).on('error', () => process.exit(1)).on('timeout', () => process.exit(1))" "${socket}"
}
# The services of a previous run may have been started from a clone since deleted: a service whose
# working folder is gone answers its API, but conmon and runc, which inherit that folder, cannot
# start a container ("write child: broken pipe"). Such a service is restarted; new ones start from /.
service_pids() { pgrep -f "podman system service.*unix://${socket}" || true; }
service_cwd_ok() {
  local pid
  for pid in $(service_pids); do
    case "$(readlink "/proc/${pid}/cwd" 2>/dev/null)" in *" (deleted)") return 1 ;; esac
  done
}
images_loaded() {
  for image in "${images[@]}"; do podman image exists "${image}" || return 1; done
}

# Podman asks the runtime for 1048576 open files per container, more than root may grant here
# ("error setting rlimit type 7: operation not permitted"). Ask for what this host allows; the
# process limit stays under the 32768 that Podman sets for itself. A drop-in file of ours keeps
# any containers.conf of the machine untouched.
at_most() { if [ "$1" = unlimited ] || [ "$1" -gt "$2" ]; then echo "$2"; else echo "$1"; fi; }
nofile=$(at_most "$(ulimit -Hn)" 1048576)
nproc=$(at_most "$(ulimit -Hu)" 32768)
conf=/etc/containers/containers.conf.d/50-snapbox-ulimits.conf
want=$(printf '# Written by snapbox scripts/ensure-podman.sh\n[containers]\ndefault_ulimits = ["nofile=%s:%s", "nproc=%s:%s"]\n' \
  "${nofile}" "${nofile}" "${nproc}" "${nproc}")
# Debian's crun (1.8) refuses cgroups v1 and hybrid layouts ("cgroups in hybrid mode not
# supported"), and Podman prefers crun whenever it is installed (the bubblewrap backend's
# comparison installs it). Where cgroups are not unified v2, pin runc, which docker.io brings.
if [ ! -f /sys/fs/cgroup/cgroup.controllers ] && command -v runc >/dev/null 2>&1; then
  want=$(printf '%s\n[engine]\nruntime = "runc"\n' "${want}")
fi
conf_written() { [ "$(cat "${conf}" 2>/dev/null)" = "${want}" ]; }

if command -v podman >/dev/null 2>&1 && conf_written && api_answers && service_cwd_ok && images_loaded; then
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  echo "ensure-podman: Podman's API does not answer on ${socket} (or lacks the fixture images), and setting it up needs root" >&2
  exit 1
fi

if ! command -v podman >/dev/null 2>&1 || ! command -v catatonit >/dev/null 2>&1; then
  echo "ensure-podman: installing podman and catatonit" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt_get() { apt-get -o DPkg::Lock::Timeout=300 "$@"; }
  apt_get install -y -qq --no-install-recommends podman catatonit >/dev/null 2>&1 \
    || { apt_get update -qq && apt_get install -y -qq --no-install-recommends podman catatonit >/dev/null; }
fi

restart=""
if ! conf_written; then
  mkdir -p "$(dirname "${conf}")"
  printf '%s\n' "${want}" >"${conf}"
  # A running service read the old settings at its start.
  restart="its settings changed"
fi
service_cwd_ok || restart="its working folder was deleted"
pids=$(service_pids)
if [ -n "${restart}" ] && [ -n "${pids}" ]; then
  echo "ensure-podman: restarting the Podman service (${restart})" >&2
  kill ${pids} || true
  sleep 1
fi

if ! api_answers; then
  mkdir -p "$(dirname "${socket}")"
  rm -f "${socket}"
  echo "ensure-podman: starting podman system service on unix://${socket} (log: ${log})" >&2
  (cd / && exec setsid nohup podman system service --time=0 "unix://${socket}" >"${log}" 2>&1 </dev/null) &
  for _ in $(seq 1 60); do
    api_answers && break
    sleep 0.5
  done
  if ! api_answers; then
    echo "ensure-podman: the Podman API did not answer within 30 s; last lines of ${log}:" >&2
    tail -n 20 "${log}" >&2 || true
    exit 1
  fi
fi

# No registry is reachable: the fixture images come from the Docker engine, where
# ensure-test-images.sh builds them.
for image in "${images[@]}"; do
  if ! podman image exists "${image}"; then
    if ! docker image inspect "${image}" >/dev/null 2>&1; then
      bash scripts/ensure-docker-engine.sh
      bash scripts/ensure-test-images.sh
    fi
    docker save "${image}" | podman load -q >/dev/null
    echo "ensure-podman: loaded ${image} into Podman" >&2
  fi
done
