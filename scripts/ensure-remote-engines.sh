#!/usr/bin/env bash
# Starts the "remote" engines of the remote-transport test suites, both on loopback, and does
# nothing for one that answers already:
#   tcp  a second dockerd on tcp://127.0.0.1:${SNAPBOX_TCP_ENGINE_PORT:-23750}, with its own
#        data, state and bridge, so nothing it holds is shared with the local engine; the tiny
#        fixture image is loaded into it.
#   ssh  an sshd on 127.0.0.1:${SNAPBOX_SSH_ENGINE_PORT:-22022} that lets the user
#        snapbox-remote in with a key made here (docker group, /bin/sh, so a login runs
#        `docker system dial-stdio` against the local engine without reading any dotfiles).
# Usage: ensure-remote-engines.sh [tcp] [ssh]    (default: both)
# State (keys, configs, engine data, logs): ${SNAPBOX_TEST_ENGINES_DIR:-/var/lib/snapbox-test-engines}
set -euo pipefail
cd "$(dirname "$0")/.."

state=$(realpath -m "${SNAPBOX_TEST_ENGINES_DIR:-/var/lib/snapbox-test-engines}")
tcp_port=${SNAPBOX_TCP_ENGINE_PORT:-23750}
ssh_port=${SNAPBOX_SSH_ENGINE_PORT:-22022}
ssh_user=snapbox-remote
tiny=snapbox-fixture/tiny:1
wanted=("$@")
[ ${#wanted[@]} -gt 0 ] || wanted=(tcp ssh)

need_root() {
  if [ "$(id -u)" != 0 ]; then
    echo "ensure-remote-engines: the $1 engine does not answer, and starting it needs root" >&2
    exit 1
  fi
}

apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "$@" >/dev/null 2>&1 \
    || { apt-get -o DPkg::Lock::Timeout=300 update -qq \
      && apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "$@" >/dev/null; }
}

wait_for() {
  local what=$1 log=$2
  shift 2
  for _ in $(seq 1 120); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  echo "ensure-remote-engines: the ${what} did not answer within 60 s; last lines of ${log}:" >&2
  tail -n 20 "${log}" >&2 || true
  exit 1
}

ensure_tcp() {
  local dir="${state}/tcp-dockerd" host="tcp://127.0.0.1:${tcp_port}"
  tcp_answers() { docker -H "${host}" version --format '{{.Server.Version}}'; }
  if tcp_answers >/dev/null 2>&1 && docker -H "${host}" image inspect "${tiny}" >/dev/null 2>&1; then
    return 0
  fi
  # The image comes from the local engine (no registry is reachable).
  bash scripts/ensure-docker-engine.sh
  SNAPBOX_SKIP_DEBIAN_IMAGE=1 bash scripts/ensure-test-images.sh
  if ! tcp_answers >/dev/null 2>&1; then
    need_root tcp
    command -v ip >/dev/null 2>&1 || apt_install iproute2
    mkdir -p "${dir}"
    # Its own bridge: with `--bridge none` dockerd deletes docker0, the local engine's bridge.
    # No iptables, NAT or forwarding changes: the local engine owns those.
    if ! ip link show snapbox-tcp0 >/dev/null 2>&1; then
      ip link add name snapbox-tcp0 type bridge
      ip addr add 198.18.213.1/24 dev snapbox-tcp0
      ip link set dev snapbox-tcp0 up
    fi
    echo '{}' >"${dir}/daemon.json"
    if [ -f "${dir}/dockerd.pid" ] && ! kill -0 "$(cat "${dir}/dockerd.pid")" 2>/dev/null; then
      rm -f "${dir}/dockerd.pid"
    fi
    echo "ensure-remote-engines: starting dockerd on ${host} (log: ${dir}/dockerd.log)" >&2
    # From /: the engine outlives this run, and the folder it was started from may be deleted.
    (cd / && exec setsid nohup dockerd --config-file "${dir}/daemon.json" --host "${host}" --tls=false \
      --data-root "${dir}/data" --exec-root "${dir}/run" --pidfile "${dir}/dockerd.pid" \
      --bridge snapbox-tcp0 --iptables=false --ip-masq=false --ip-forward=false \
      --userland-proxy=false --cgroup-parent snapbox-tcp-engine \
      >"${dir}/dockerd.log" 2>&1 </dev/null) &
    wait_for "dockerd on ${host}" "${dir}/dockerd.log" tcp_answers
  fi
  if ! docker -H "${host}" image inspect "${tiny}" >/dev/null 2>&1; then
    docker save "${tiny}" | docker -H "${host}" load -q >/dev/null
    echo "ensure-remote-engines: loaded ${tiny} into ${host}" >&2
  fi
}

ensure_ssh() {
  local dir="${state}/sshd" home="${state}/remote-home"
  ssh_answers() {
    ssh -p "${ssh_port}" -i "${dir}/client_key" -o BatchMode=yes -o StrictHostKeyChecking=no \
      -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=5 \
      "${ssh_user}@127.0.0.1" docker version --format '{{.Server.Version}}'
  }
  if [ -f "${dir}/client_key" ] && ssh_answers >/dev/null 2>&1; then
    return 0
  fi
  need_root ssh
  bash scripts/ensure-docker-engine.sh
  command -v sshd >/dev/null 2>&1 || [ -x /usr/sbin/sshd ] || apt_install openssh-server
  # The client side (ssh, ssh-keygen, and ssh-agent for the tests).
  command -v ssh-agent >/dev/null 2>&1 || apt_install openssh-client
  mkdir -p "${dir}" /run/sshd
  chmod 755 "${state}"
  chmod 700 "${dir}"
  getent group docker >/dev/null || groupadd --system docker
  if ! id "${ssh_user}" >/dev/null 2>&1; then
    useradd --system --home-dir "${home}" --create-home --shell /bin/sh --groups docker "${ssh_user}"
  fi
  # '*': no password, but not a locked account (sshd without PAM refuses locked ones).
  usermod --password '*' "${ssh_user}"
  [ -f "${dir}/host_key" ] || ssh-keygen -q -t ed25519 -N '' -f "${dir}/host_key"
  [ -f "${dir}/client_key" ] || ssh-keygen -q -t ed25519 -N '' -C snapbox-test -f "${dir}/client_key"
  mkdir -p "${home}/.ssh"
  cp "${dir}/client_key.pub" "${home}/.ssh/authorized_keys"
  chown -R "${ssh_user}:" "${home}"
  chmod 700 "${home}/.ssh"
  chmod 600 "${home}/.ssh/authorized_keys"
  # Every API call over ssh is its own connection (docker-modem opens one per request), so
  # allow many unauthenticated connections at once.
  cat >"${dir}/sshd_config" <<EOF
Port ${ssh_port}
ListenAddress 127.0.0.1
HostKey ${dir}/host_key
PidFile ${dir}/sshd.pid
AllowUsers ${ssh_user}
AuthenticationMethods publickey
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
UseDNS no
PrintMotd no
MaxStartups 500
MaxSessions 100
LogLevel ERROR
EOF
  if [ -f "${dir}/sshd.pid" ] && kill -0 "$(cat "${dir}/sshd.pid")" 2>/dev/null; then
    kill "$(cat "${dir}/sshd.pid")"
    sleep 0.5
  fi
  echo "ensure-remote-engines: starting sshd on 127.0.0.1:${ssh_port} (log: ${dir}/sshd.log)" >&2
  "$(command -v sshd || echo /usr/sbin/sshd)" -f "${dir}/sshd_config" -E "${dir}/sshd.log"
  wait_for "sshd on 127.0.0.1:${ssh_port}" "${dir}/sshd.log" ssh_answers
}

for engine in "${wanted[@]}"; do
  case "${engine}" in
    tcp) ensure_tcp ;;
    ssh) ensure_ssh ;;
    *)
      echo "ensure-remote-engines: unknown engine ${engine} (tcp or ssh)" >&2
      exit 2
      ;;
  esac
done
