#!/usr/bin/env bash
# Runs a command as if the clone had no sibling folders: a user clones this repository alone, so
# a test that reads `../something` must fail here exactly as it would for them. Inside a private
# mount namespace, every entry beside the clone is covered by an empty, read-only mount; the
# command runs there. Needs root and util-linux's unshare; elsewhere (and where hiding the parent
# would hide the user's home or the whole filesystem) the command runs in place, with a note.
# The static half of the same guarantee is scripts/check-self-contained.mjs.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd -P)
parent=$(dirname "$repo")

why_not=""
if [ "$(id -u)" != 0 ]; then why_not="not root"
elif ! command -v unshare >/dev/null 2>&1; then why_not="no unshare"
elif [ "$parent" = / ] || [ "$parent" = "$(cd ~ && pwd -P)" ]; then why_not="the clone's parent is / or the home folder"
fi
if [ -n "$why_not" ]; then
  echo "alone: running in place, siblings of the clone stay visible ($why_not)" >&2
  exec "$@"
fi

exec unshare --mount --propagation private -- bash -c '
  set -euo pipefail
  repo=$1 parent=$2; shift 2
  hidden=0
  for entry in "$parent"/* "$parent"/.[!.]* "$parent"/..?*; do
    [ -e "$entry" ] || [ -L "$entry" ] || continue
    [ "$entry" = "$repo" ] && continue
    if [ -d "$entry" ] && [ ! -L "$entry" ]; then
      mount -t tmpfs -o ro,size=4k,mode=555 snapbox-alone "$entry"
    else
      mount --bind /dev/null "$entry" 2>/dev/null || continue
    fi
    hidden=$((hidden + 1))
  done
  echo "alone: $hidden entries beside $repo are hidden for this run" >&2
  cd "$repo"
  exec "$@"
' alone "$repo" "$parent" "$@"
