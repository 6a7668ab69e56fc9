/** An error as one short line, for a table note. */
export function errorText(error: unknown, max = 300): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/\s+/g, ' ').trim().slice(0, max);
}
