import { describe, expect, it } from 'vitest';
import { describeCommand } from './describe-command.js';

describe('describeCommand', () => {
  it('shows a string command as written', () => {
    expect(describeCommand('echo $HOME | wc -c')).toBe('echo $HOME | wc -c');
  });

  it('joins argv with spaces and quotes the arguments a shell would split or expand', () => {
    expect(describeCommand(['printf', '%s|', 'a b', '$HOME', '/tmp/x.txt'])).toBe(
      'printf "%s|" "a b" "$HOME" /tmp/x.txt',
    );
    expect(describeCommand(['echo', ''])).toBe('echo ""');
  });

  it('cuts long commands at 200 characters', () => {
    const shown = describeCommand(`echo ${'x'.repeat(500)}`);
    expect(shown).toHaveLength(203);
    expect(shown.endsWith('...')).toBe(true);
  });
});
