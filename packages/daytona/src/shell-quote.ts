/**
 * POSIX shell quoting for the command lines this backend writes into a Daytona session shell.
 * Everything the caller gives (command, argv, env, workdir) goes through here, so no input is
 * ever interpreted by the session shell itself.
 */

const safeWord = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quotes one word for a POSIX shell: single quotes, with `'` written as `'\''`. */
export function quoteShellArg(value: string): string {
  if (safeWord.test(value)) return value;
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** Quotes every word and joins them with spaces. */
export function quoteCommandLine(words: readonly string[]): string {
  return words.map(quoteShellArg).join(' ');
}
