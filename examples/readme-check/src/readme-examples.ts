/**
 * Finds the examples of a README. An example is a ```ts block in a section titled "Example",
 * "Examples" or "Quick start", or anywhere right after the comment `<!-- example -->`, whose
 * words after `example` are options:
 *
 * - `typecheck-only`: compiled but not run (it needs something CI does not have), with the reason
 *   after the word `because`, e.g. `<!-- example typecheck-only because it needs a Daytona account -->`;
 * - `fixture=NAME`: run in a folder prepared by the fixture NAME (see fixtures.ts).
 *
 * A ```text block right after `<!-- example-output -->` that follows an example is what the
 * example must print on stdout, exactly.
 */

/** One example of a README. */
export interface ReadmeExample {
  /** The README it comes from, relative to the repository root. */
  readme: string;
  /** The example's 1-based position in its README. */
  index: number;
  /** The line of the opening fence, for messages. */
  line: number;
  code: string;
  /** Why it is only type-checked; `undefined` when it runs. */
  typecheckOnly: string | undefined;
  fixture: string | undefined;
  /** What it must print on stdout, when the README says. */
  expectedOutput: string | undefined;
}

const examplePattern = /^<!--\s*example(?<options>(?:\s+[^-\s][^\s]*)*?)(?:\s+because\s+(?<reason>.*?))?\s*-->$/;

/** The fenced block starting at or after `from` (blank lines allowed before it). */
function fencedBlock(
  lines: readonly string[],
  from: number,
  languages: readonly string[],
): { body: string; start: number; end: number } | undefined {
  let start = from;
  while (start < lines.length && (lines[start] ?? '').trim() === '') start++;
  const fence = /^```(\w*)\s*$/.exec(lines[start] ?? '');
  if (fence === null || !languages.includes(fence[1] ?? '')) return undefined;
  let end = start + 1;
  while (end < lines.length && lines[end] !== '```') end++;
  if (end >= lines.length) return undefined;
  return { body: `${lines.slice(start + 1, end).join('\n')}\n`, start, end };
}

/** Every example in `text` (the contents of `readme`). */
export function readmeExamples(readme: string, text: string): ReadmeExample[] {
  const lines = text.split('\n');
  const examples: ReadmeExample[] = [];
  let inExampleSection = false;
  for (let at = 0; at < lines.length; at++) {
    const line = lines[at] ?? '';
    const heading = /^#{1,6}\s+(.*?)\s*$/.exec(line);
    if (heading !== null) inExampleSection = /^(examples?|quick start)$/i.test(heading[1] ?? '');
    const match = examplePattern.exec(line.trim());
    const unmarked = match === null && inExampleSection ? fencedBlock(lines, at, ['ts', 'typescript']) : undefined;
    if (match === null && (unmarked === undefined || unmarked.start !== at)) continue;
    const block = unmarked ?? fencedBlock(lines, at + 1, ['ts', 'typescript']);
    if (block === undefined) throw new Error(`${readme}:${at + 1}: "<!-- example -->" is not followed by a ts block`);
    const options = (match?.groups?.options ?? '').trim().split(/\s+/).filter(Boolean);
    const fixture = options.find((option) => option.startsWith('fixture='))?.slice('fixture='.length);
    const typecheckOnly = options.includes('typecheck-only') ? (match?.groups?.reason ?? 'no reason given') : undefined;
    let expectedOutput: string | undefined;
    let next = block.end + 1;
    while (next < lines.length && (lines[next] ?? '').trim() === '') next++;
    if (/^<!--\s*example-output\s*-->$/.test((lines[next] ?? '').trim())) {
      const output = fencedBlock(lines, next + 1, ['text', '']);
      if (output === undefined) throw new Error(`${readme}:${next + 1}: "<!-- example-output -->" needs a text block`);
      expectedOutput = output.body;
    }
    examples.push({
      readme,
      index: examples.length + 1,
      line: block.start + 1,
      code: block.body,
      typecheckOnly,
      fixture,
      expectedOutput,
    });
    at = block.end;
  }
  return examples;
}
