import { SnapboxError } from '@snapbox/core';
import { loadBackends, originName } from '../backends/load-backends.js';
import type { CliIo } from '../cli-io.js';
import { parseCommandArgs } from '../command.js';
import { formatTable } from '../format.js';
import { backends } from './backends.js';

/** One line of `snapbox backends --json`. */
interface BackendRow {
  backend: string | undefined;
  package: string | undefined;
  version: string | undefined;
  via: string;
  dir: string | undefined;
  module: string | undefined;
  target: string | undefined;
  configured: boolean | undefined;
  hint: string | undefined;
  error: string | undefined;
}

/** Runs `snapbox backends` (see {@link backends} for its usage). */
export async function run(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(args, backends.options);
  const { loaded, failed } = await loadBackends({ only: values.backend });
  if (loaded.length === 0 && failed.length === 0) {
    throw new SnapboxError('NO_BACKEND', {
      message:
        'no snapbox backend was found. Install one beside your program (npm install @snapbox/docker) or beside this command, or name one with --backend or SNAPBOX_BACKENDS.',
    });
  }
  const rows: BackendRow[] = [
    ...loaded.map(({ origin, admin }) => {
      const target = admin.describeTarget();
      return {
        backend: admin.backend,
        package: origin.package,
        version: origin.version,
        via: origin.via,
        dir: origin.dir,
        module: origin.module,
        target: target.description,
        configured: target.configured !== false,
        hint: target.hint,
        error: undefined,
      };
    }),
    ...failed.map(({ origin, error }) => ({
      backend: undefined,
      package: origin.package,
      version: origin.version,
      via: origin.via,
      dir: origin.dir,
      module: origin.module,
      target: undefined,
      configured: undefined,
      hint: undefined,
      error: error.message,
    })),
  ];
  if (values.json) {
    io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  } else {
    const label = (name: string, version: string | undefined) => `${name}${version === undefined ? '' : `@${version}`}`;
    const table = [
      ...loaded.map(({ origin, admin }) => {
        const target = admin.describeTarget();
        return [
          admin.backend,
          label(originName(origin), origin.version),
          origin.via,
          target.configured === false
            ? `not configured${target.hint === undefined ? '' : `: ${target.hint}`}`
            : target.description,
          origin.dir ?? origin.module ?? '',
        ];
      }),
      ...failed.map(({ origin }) => [
        '-',
        label(originName(origin), origin.version),
        origin.via,
        'failed to load (see below)',
        origin.dir ?? origin.module ?? '',
      ]),
    ];
    io.stdout.write(`${formatTable([['BACKEND', 'PACKAGE', 'FOUND VIA', 'TARGET', 'WHERE'], ...table])}\n`);
  }
  for (const { origin, error } of failed)
    io.stderr.write(`snapbox backends: ${originName(origin)}: ${error.message}\n`);
  return failed.length > 0 ? 1 : 0;
}
