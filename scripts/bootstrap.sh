#!/usr/bin/env bash
# One entry point for a fresh machine: pnpm, the locked dependencies, and (with --engine) a
# Docker engine plus the locally built fixture images. Every step is a no-op when done already.
set -euo pipefail
cd "$(dirname "$0")/.."

want_pnpm=$(node -p "require('./package.json').packageManager.split('@')[1]")
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version)" != "${want_pnpm}" ]; then
  echo "bootstrap: installing pnpm ${want_pnpm}" >&2
  npm install -g "pnpm@${want_pnpm}" >/dev/null
fi

pnpm install --frozen-lockfile --prefer-offline >/dev/null

if [ "${1:-}" = --engine ]; then
  bash scripts/ensure-docker-engine.sh
  bash scripts/ensure-test-images.sh
fi
