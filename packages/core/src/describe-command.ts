/** Longest command text an error message shows; the rest is elided. */
const maxShown = 200;

/**
 * How a command appears in error messages and logs, the same in every backend: a string as
 * written, an argv joined with spaces, each argument that a shell would split or expand quoted
 * (JSON style), so that `['printf', '%s', 'a b']` reads `printf %s "a b"`. Long commands are
 * cut at 200 characters with `...`.
 */
export function describeCommand(command: string | readonly string[]): string {
  const text =
    typeof command === 'string'
      ? command
      : command.map((part) => (/^[\w@%+=:,./-]+$/.test(part) ? part : JSON.stringify(part))).join(' ');
  return text.length > maxShown ? `${text.slice(0, maxShown)}...` : text;
}
