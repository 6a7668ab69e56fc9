import type { Command } from '../command.js';

/** The exit status of `snapbox prune --all-sessions` (or `--run`) when the removal was not confirmed. */
export const notConfirmedExitCode = 3;

/** `snapbox prune`: removes what belongs to owners that are gone, on every backend installed. */
export const prune = {
  path: ['prune'],
  summary: 'Remove the containers and snapshots of processes that are gone',
  usage: `Usage: snapbox prune [--dry-run] [--older-than DURATION] [--all-sessions [--yes]] [--session ID]
                    [--run ID [--yes]] [--include-kept] [--include-builds] [--backend NAME]... [--json]

Removes containers and session snapshots that snapbox created and whose owner process is
dead (checked by pid and start time on this host), on every backend installed ("snapbox
backends" shows which). Nothing without snapbox's labels is ever touched, nor anything of the
process running this command.

Options:
  --dry-run                show what would be removed, remove nothing
  --older-than DURATION    only what is older (90s, 30m, 12h, 7d); also prunes owners on other
                           hosts, whose liveness cannot be checked from here
  --all-sessions           also what belongs to live processes; asks first (see below)
  -y, --yes                with --all-sessions or --run: remove without asking
  --session ID             only what belongs to this session (the owner.session of ls --json)
  --run ID                 only what belongs to this Go-Explore run (snapbox ls lists runs),
                           its kept snapshots included, whoever owns them; asks first when
                           that takes kept snapshots or what a live process uses
  --include-kept           also snapshots made with keep: true
  --include-builds         also the images fromDockerfile built (build cache) that no container
                           uses, whoever built them; with --older-than, only older ones
  --backend NAME           only this backend: its name (docker), its package or a path to it;
                           repeat for more
  --json                   print the report as JSON
  -h, --help               show this help

--all-sessions removes what running programs are using, so it asks first: without --yes it
shows what it would remove and, when stdin is a terminal, asks for confirmation, then removes
exactly what it showed. When stdin is not a terminal (a script, CI), it removes nothing and
exits ${notConfirmedExitCode}. --run does the same when what it would remove includes kept snapshots or
what a live process uses.

Exit status: 0 when everything selected was removed (or nothing was selected), 1 when a
removal failed or a backend failed to load or cannot be reached, 2 for bad arguments, ${notConfirmedExitCode} when
--all-sessions was not confirmed (or --run, when it asks): no --yes, and stdin is not a
terminal or the answer was not "y"; nothing was removed.
`,
  options: {
    'dry-run': { type: 'boolean' },
    'older-than': { type: 'string' },
    'all-sessions': { type: 'boolean' },
    yes: { type: 'boolean', short: 'y' },
    session: { type: 'string' },
    run: { type: 'string' },
    'include-kept': { type: 'boolean' },
    'include-builds': { type: 'boolean' },
    backend: { type: 'string', multiple: true },
    json: { type: 'boolean' },
  },
  load: () => import('./prune-run.js'),
} as const satisfies Command;
