#!/usr/bin/env bash
# The packaging test: are the packages usable as published, outside this workspace?
#
# 1. scripts/pack.sh packs every publishable package (packages/*, not private) into a temporary
#    folder; pnpm replaces `workspace:^` with the real version ranges, as `pnpm publish` does.
# 2. A fresh npm project in that temporary folder (outside the workspace: no pnpm links, no
#    hoisted node_modules above it) installs the tarballs; their third-party dependencies come
#    from the npm registry, as for a user.
# 3. scripts/pack-test/smoke.mjs runs there, importing the packages by their public entry
#    points only: a Docker container from snapbox-fixture/tiny:1 (exec, files, snapshot,
#    restore, delete) and a small Go-Explore run on the memory backend of @snapbox/core/testing.
#    It also checks that the `snapbox` bin starts, finds the installed backends by their
#    package.json, and that nothing is left on the engine.
# 4. scripts/pack-test/smoke-require.cjs loads every entry point with require(), as a CommonJS
#    consumer on Node >= 20.19 does.
# 5. `tsc --noEmit` over scripts/pack-test/smoke-types.ts, strict and without skipLibCheck,
#    proves that the published type declarations resolve and type-check for a consumer.
#
# Needs the packages built (dist/) and a Docker engine with the fixture image; bootstrap.sh
# --engine provides both. Set SNAPBOX_PACK_TEST_KEEP=1 to keep the temporary folder.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

work=$(mktemp -d "${TMPDIR:-/tmp}/snapbox-pack-test.XXXXXX")
if [ "${SNAPBOX_PACK_TEST_KEEP:-0}" != 1 ]; then
  trap 'rm -rf "${work}"' EXIT
else
  echo "pack-test: keeping ${work}" >&2
fi
mkdir -p "${work}/tarballs" "${work}/project"

bash scripts/ensure-docker-engine.sh
bash scripts/ensure-test-images.sh

bash scripts/pack.sh "${work}/tarballs" >/dev/null

# The project depends on every tarball; `overrides` makes the packages' dependencies on each
# other resolve to the tarballs too (they are not on the registry yet).
node - "${work}" "${root}" <<'EOF'
const { readdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const [work, root] = process.argv.slice(2);
const tarballs = readdirSync(join(work, 'tarballs')).filter((file) => file.endsWith('.tgz'));
const local = {};
for (const file of tarballs) {
  const name = `@snapbox/${file.replace(/^snapbox-/, '').replace(/-\d+\.\d+\.\d+(?:-[\w.]+)?\.tgz$/, '')}`;
  local[name] = `file:${join(work, 'tarballs', file)}`;
}
const rootManifest = require(join(root, 'package.json'));
const manifest = {
  name: 'snapbox-pack-test',
  private: true,
  type: 'module',
  dependencies: { ...local },
  devDependencies: {
    typescript: rootManifest.devDependencies.typescript,
    '@types/node': rootManifest.devDependencies['@types/node'],
  },
  overrides: { ...local },
};
writeFileSync(join(work, 'project', 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
console.error(`pack-test: installing ${Object.keys(local).sort().join(', ')}`);
EOF

cp scripts/pack-test/smoke.mjs scripts/pack-test/smoke-require.cjs scripts/pack-test/smoke-types.ts scripts/pack-test/tsconfig.smoke.json "${work}/project/"
cd "${work}/project"
npm install --no-audit --no-fund --loglevel=error >/dev/null

echo "pack-test: tsc --noEmit on smoke-types.ts" >&2
npx --no-install tsc -p tsconfig.smoke.json

echo "pack-test: running smoke.mjs" >&2
node smoke.mjs

echo "pack-test: running smoke-require.cjs" >&2
node --no-warnings=ExperimentalWarning smoke-require.cjs
