#!/usr/bin/env bash
# Builds, once per engine, the local images that the tests, the demo and the benchmarks use.
# No registry is reachable, so nothing is pulled:
#   snapbox-fixture/tiny:1    busybox + bash, a few MiB, for fast tests
#   snapbox-fixture/debian:1  Debian bookworm minbase with procps, for realistic tests
# Re-running is cheap: an image that exists is left alone.
set -euo pipefail

TINY=snapbox-fixture/tiny:1
DEBIAN=snapbox-fixture/debian:1

have_image() { docker image inspect "$1" >/dev/null 2>&1; }

apt_install() {
  if [ "$(id -u)" != 0 ]; then
    echo "ensure-test-images: need $* installed (run as root to install it)" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq "$@" >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq "$@" >/dev/null; }
}

work=$(mktemp -d)
trap 'rm -rf "${work}"' EXIT

if ! have_image "${TINY}"; then
  [ -x /bin/busybox ] && file_is_static=$(ldd /bin/busybox 2>&1 | grep -c 'not a dynamic' || true) || file_is_static=0
  if [ ! -x /bin/bash-static ] || [ "${file_is_static}" = 0 ]; then
    apt_install busybox-static bash-static
  fi
  root="${work}/tiny"
  mkdir -p "${root}"/{bin,etc,tmp,root,usr/bin,usr/sbin,sbin,proc,sys,dev,work}
  chmod 1777 "${root}/tmp"
  cp /bin/busybox "${root}/bin/busybox"
  cp /bin/bash-static "${root}/bin/bash"
  for applet in $("${root}/bin/busybox" --list); do
    case "${applet}" in bash | busybox) continue ;; esac
    ln -sf /bin/busybox "${root}/bin/${applet}"
  done
  printf 'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"${root}/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"${root}/etc/group"
  printf 'export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n' >"${root}/etc/profile"
  tar -C "${root}" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["/bin/sh"]' \
    --change 'LABEL org.snapbox.fixture=tiny' \
    - "${TINY}" >/dev/null
  echo "ensure-test-images: built ${TINY}" >&2
fi

if [ "${SNAPBOX_SKIP_DEBIAN_IMAGE:-0}" != 1 ] && ! have_image "${DEBIAN}"; then
  command -v debootstrap >/dev/null 2>&1 || apt_install debootstrap
  root="${work}/debian"
  echo "ensure-test-images: debootstrap of Debian bookworm (minbase), about a minute" >&2
  debootstrap --variant=minbase --include=procps bookworm "${root}" >"${work}/debootstrap.log" 2>&1 \
    || { tail -n 30 "${work}/debootstrap.log" >&2; exit 1; }
  rm -rf "${root}"/var/cache/apt/archives/*.deb "${root}"/var/lib/apt/lists/*
  tar -C "${root}" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["/bin/bash"]' \
    --change 'LABEL org.snapbox.fixture=debian' \
    - "${DEBIAN}" >/dev/null
  echo "ensure-test-images: built ${DEBIAN}" >&2
fi
