// A TypeDoc plugin for `pnpm docs:api`: names each module of the API site after the package
// export it documents (`@snapbox/core`, `@snapbox/memory`, ...) instead of its source
// path (`core/src`), by matching the entry file against the package's `exports` map.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { Converter, ReflectionKind } from 'typedoc';

/** The nearest package.json above `file`, parsed, with its folder. */
function packageOf(file) {
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) return { dir, manifest: JSON.parse(readFileSync(manifest, 'utf8')) };
  }
  return undefined;
}

/** `@snapbox/memory` for packages/memory/src/index.ts, from the exports map. */
function exportName(file) {
  const found = packageOf(file);
  if (found === undefined) return undefined;
  const source = relative(found.dir, file).replace(/\\/g, '/');
  for (const [subpath, target] of Object.entries(found.manifest.exports ?? {})) {
    const types = typeof target === 'object' && target !== null ? target.types : undefined;
    if (typeof types !== 'string') continue;
    const fromTypes = types
      .replace(/^\.\//, '')
      .replace(/^dist\//, 'src/')
      .replace(/\.d\.ts$/, '.ts');
    if (fromTypes === source)
      return subpath === '.' ? found.manifest.name : `${found.manifest.name}${subpath.slice(1)}`;
  }
  return undefined;
}

/** @param {import('typedoc').Application} app */
export function load(app) {
  // Renamed as soon as the module exists, so that validation messages use the new names too.
  app.converter.on(Converter.EVENT_CREATE_DECLARATION, (context, reflection) => {
    if (!reflection.kindOf(ReflectionKind.Module)) return;
    const file = context.getSymbolFromReflection(reflection)?.declarations?.[0]?.getSourceFile().fileName;
    const name = file === undefined ? undefined : exportName(file);
    if (name !== undefined) reflection.name = name;
  });
}
