#!/usr/bin/env bash
# Packs every publishable package (packages/*, not private) into one folder, as `pnpm publish`
# would publish it (`workspace:^` becomes a real version range), and prints the tarballs' paths.
# Until the packages are on the npm registry, this is how a project outside the workspace uses
# them (see the README's "Install"). Usage: bash scripts/pack.sh [destination] (default: ./tarballs).
set -euo pipefail
cd "$(dirname "$0")/.."
dest=$(mkdir -p "${1:-tarballs}" && cd "${1:-tarballs}" && pwd)

for manifest in packages/*/package.json; do
  [ "$(node -p "Boolean(require('./${manifest}').private)")" = false ] || continue
  dir=$(dirname "${manifest}")
  if [ ! -d "${dir}/dist" ]; then
    echo "pack: ${dir}/dist is missing; run 'pnpm build' (or 'npm run build') first" >&2
    exit 1
  fi
  (cd "${dir}" && pnpm pack --pack-destination "${dest}" >/dev/null)
done
ls -1 "${dest}"/*.tgz
