#!/usr/bin/env bash
# Installs what @snapbox/bubblewrap needs on a fresh Debian/Ubuntu machine: bubblewrap, and
# util-linux's unshare and nsenter (uidmap for newuidmap), and Perl for its spawn relay. The
# kernel's syscall tables (linux-libc-dev) are for its tests only: they check the relay's numbers.
# A no-op when everything is there.
set -euo pipefail

missing=()
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
command -v newuidmap >/dev/null 2>&1 || missing+=(uidmap)
command -v unshare >/dev/null 2>&1 || missing+=(util-linux)
command -v nsenter >/dev/null 2>&1 || missing+=(util-linux)
command -v perl >/dev/null 2>&1 || missing+=(perl-base)
[ -r /usr/include/asm-generic/unistd.h ] || missing+=(linux-libc-dev)

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "ensure-bubblewrap: need ${missing[*]} installed (run as root, or apt-get install them)" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 || {
    apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
  }
fi

# Unprivileged user namespaces (needed for the rootless mode, and by bwrap in general).
if [ -r /proc/sys/kernel/unprivileged_userns_clone ] && [ "$(cat /proc/sys/kernel/unprivileged_userns_clone)" = 0 ]; then
  echo "ensure-bubblewrap: unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone=0); root still works" >&2
fi
