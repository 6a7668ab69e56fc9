// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are shell commands, ${...} is shell syntax
import { ExecTimeoutError } from '@snapbox/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryFactory, type MemoryContainer } from './memory-container.js';

/**
 * The memory backend's shell, through `exec` as a consumer sees it. Expected outputs are what
 * bash and GNU coreutils print for the same command.
 */

let container: MemoryContainer;
beforeAll(async () => {
  container = createMemoryFactory().fromImage({ image: 'memory:base' });
  await container.start({ env: { START: 'from start' } });
});
afterAll(async () => {
  await container.stop();
});

type Case = [command: string, stdout: string, exitCode?: number];

function table(cases: Case[]): void {
  it.each(cases)('%s', async (command, stdout, exitCode = 0) => {
    const result = await container.exec(command);
    expect({ stdout: result.stdout, exitCode: result.exitCode, stderr: result.stderr }).toEqual({
      stdout,
      exitCode,
      stderr: expect.any(String),
    });
  });
}

describe('lists and control flow', () => {
  table([
    ['echo a; echo b', 'a\nb\n'],
    ['true && echo yes || echo no', 'yes\n'],
    ['false && echo yes || echo no', 'no\n'],
    ['false || false || echo third', 'third\n'],
    ['echo one\necho two\n\n# a comment\necho three # trailing', 'one\ntwo\nthree\n'],
    ['exit 3', '', 3],
    ['exit 300', '', 44],
    ['false; echo $?; true; echo $?', '1\n0\n'],
    ['(exit 5); echo $?', '5\n'],
    ['(cd /tmp; pwd); pwd', '/tmp\n/\n'],
    ['{ echo a; echo b; } | wc -l', '2\n'],
    ['! false && echo negated', 'negated\n'],
    ['if false; then echo a; elif true; then echo b; else echo c; fi', 'b\n'],
    ['if [ -z "" ]; then\n  echo empty\nfi', 'empty\n'],
    ['for x in a "b c" d; do echo "<$x>"; done', '<a>\n<b c>\n<d>\n'],
    ['i=0; while [ $i -lt 3 ]; do echo $i; i=$((i+1)); done', '0\n1\n2\n'],
    ['i=0; until [ $i -ge 2 ]; do i=$((i+1)); done; echo $i', '2\n'],
    ['for i in 1 2 3 4; do [ $i = 2 ] && continue; [ $i = 4 ] && break; echo $i; done', '1\n3\n'],
    ['for a in 1 2; do for b in x y; do [ $b = y ] && continue 2; echo $a$b; done; done', '1x\n2x\n'],
    ['set -e; echo before; false; echo after', 'before\n', 1],
    ['set -e; false || true; if false; then :; fi; ! true; echo survived', 'survived\n'],
    ['bash -ec "false; echo no"; echo $?', '1\n'],
    ['set -o pipefail; false | true; echo $?', '1\n'],
    ['false | true; echo $?', '0\n'],
    ['echo $(echo $(echo nested))', 'nested\n'],
    ['echo `echo backquoted`', 'backquoted\n'],
    ['x=$(false); echo $?', '1\n'],
    ['eval "echo evaluated; y=2"; echo $y', 'evaluated\n2\n'],
    ['exec 2>&1; echo to-stderr >&2', 'to-stderr\n'],
    ['(exec echo replaced; echo never); echo after', 'replaced\nafter\n'],
  ]);
});

describe('quoting and expansion', () => {
  table([
    ['echo \'single $START\' "double $START"', 'single $START double from start\n'],
    ['echo a\\ b \\$x "\\$y \\"q\\""', 'a b $x $y "q"\n'],
    ['echo "${START}" ${MISSING:-default} "${MISSING:-two words}"', 'from start default two words\n'],
    ['v=set; echo ${v:-no} ${v:+alt} ${u+alt}x ${u-dash}', 'set alt x dash\n'],
    ['echo ${u:=assigned}; echo $u', 'assigned\nassigned\n'],
    ['v=hello; echo ${#v}', '5\n'],
    ['p=/a/b/c.tar.gz; echo ${p##*/} ${p%.*} ${p%%.*} ${p#/a/}', 'c.tar.gz /a/b/c.tar /a/b/c b/c.tar.gz\n'],
    ['words="a   b"; printf "[%s]" $words "$words"; echo', '[a][b][a   b]\n'],
    ['empty=; printf "[%s]" $empty "$empty" ""; echo', '[][]\n'],
    ['echo $((7 / 2)) $((7 % 3)) $((2 ** 10)) $((1 < 2 && 3 > 4)) $(( (1 + 2) * 3 ))', '3 1 1024 0 9\n'],
    ['n=5; echo $((n * 2 + 1)) $((-n)) $((n > 3 ? 1 : 0))', '11 -5 1\n'],
    ['echo ~ ~/x', '/root /root/x\n'],
    ["echo $'tab\\there'", 'tab\there\n'],
    ['set -- a "b c"; echo $#; for arg in "$@"; do echo "<$arg>"; done; echo "$*"', '2\n<a>\n<b c>\na b c\n'],
    ["bash -c 'echo $0 $1 $2' zero one two", 'zero one two\n'],
    ['A=1; A+=2; echo $A', '12\n'],
    ['X=local printenv X; echo "[$X]"', 'local\n[]\n'],
    ["export EXPORTED=yes; bash -c 'echo $EXPORTED'; NOTEXP=no; bash -c 'echo \"[$NOTEXP]\"'", 'yes\n[]\n'],
    ['x="a b"; export Y=$x; bash -c \'echo "$Y"\'', 'a b\n'],
    ['echo "$START"', 'from start\n'],
  ]);

  it('expands globs against the tree, sorted, keeping unmatched patterns', async () => {
    await container.exec('mkdir -p /glob/sub && touch /glob/b.txt /glob/a.txt /glob/.hidden /glob/c.log');
    expect((await container.exec('echo /glob/*.txt')).stdout).toBe('/glob/a.txt /glob/b.txt\n');
    expect((await container.exec('cd /glob && echo *')).stdout).toBe('a.txt b.txt c.log sub\n');
    expect((await container.exec('cd /glob && echo ?.log [ab].txt */')).stdout).toBe('c.log a.txt b.txt sub/\n');
    expect((await container.exec('echo /glob/*.none "/glob/*"')).stdout).toBe('/glob/*.none /glob/*\n');
    expect((await container.exec('cd /glob && echo .h*')).stdout).toBe('.hidden\n');
  });

  it('refuses ${var:?message} by ending the shell with status 1', async () => {
    const result = await container.exec('echo ${NOPE:?is required}; echo unreachable');
    expect(result).toMatchObject({ exitCode: 1, stdout: '' });
    expect(result.stderr).toMatch(/NOPE: is required/);
  });

  it('reports syntax errors with status 2', async () => {
    for (const command of ['echo "unterminated', 'if true; then echo', '(echo a', 'echo a |', 'fi']) {
      const result = await container.exec(command);
      expect(result.exitCode, command).toBe(2);
      expect(result.stderr, command).toMatch(/syntax error|unexpected EOF/);
    }
    expect((await container.exec('done')).stderr).toMatch(/unexpected token `done'/);
  });
});

describe('redirections and pipes', () => {
  table([
    ['echo one > /tmp/r1; echo two >> /tmp/r1; cat < /tmp/r1', 'one\ntwo\n'],
    ['echo err >&2 2>/dev/null; echo out', 'out\n'],
    ['(echo to-stderr >&2) 2>&1', 'to-stderr\n'],
    ['echo x 1>&2 | wc -c', '0\n'],
    ['{ echo o; echo e >&2; } 2>/dev/null', 'o\n'],
    ['{ echo o; echo e >&2; } > /tmp/both 2>&1; cat /tmp/both', 'o\ne\n'],
    ['echo hi &> /tmp/amp; cat /tmp/amp', 'hi\n'],
    ['ls /nonexistent 2>&1 | wc -l', '1\n'],
    ['seq 1 10 | head -n 3 | tail -n 1', '3\n'],
    ['echo abc | cat - /etc/os-release | head -n 1', 'abc\n'],
    ['cat <<EOF\nhome=$HOME\n$(echo sub)\nEOF', 'home=/root\nsub\n'],
    ["cat <<'EOF'\nliteral $HOME\nEOF", 'literal $HOME\n'],
    ['cat <<-EOF\n\ttabs stripped\n\tEOF', 'tabs stripped\n'],
    ['read -r a b <<< "first second third"; echo "$a|$b"', 'first|second third\n'],
    [
      'printf "l1\\nl2\\nl3\\n" > /tmp/lines; while read -r line; do echo "<$line>"; done < /tmp/lines',
      '<l1>\n<l2>\n<l3>\n',
    ],
    // As in bash, a last line without a newline makes read fail, so the loop skips it.
    ['printf "l1\\nl2" | while read -r line; do echo "<$line>"; done', '<l1>\n'],
    ['echo piped | { read v; echo "got $v"; }', 'got piped\n'],
    ['echo data | tee /tmp/tee-out | wc -c; cat /tmp/tee-out', '5\ndata\n'],
    ['echo hi > /dev/null; cat /dev/null; echo done', 'done\n'],
    ['echo to-stdout > /dev/stdout', 'to-stdout\n'],
    ['echo "echo from stdin" | bash', 'from stdin\n'],
  ]);

  it('fails a redirection from a missing file without running the command', async () => {
    const result = await container.exec('cat < /tmp/missing-input && echo ran');
    expect(result).toMatchObject({ exitCode: 1, stdout: '' });
    expect(result.stderr).toMatch(/\/tmp\/missing-input: No such file or directory/);
  });

  it('stops a writer whose reader is gone, like SIGPIPE', async () => {
    const result = await container.exec('i=0; while true; do echo $i; i=$((i+1)); done | head -n 2', {
      timeoutMs: 5000,
    });
    expect(result).toMatchObject({ exitCode: 0, stdout: '0\n1\n' });
  });
});

describe('commands', () => {
  table([
    ['echo -n no-newline; echo', 'no-newline\n'],
    ['echo -e "a\\tb\\x41\\0101"', 'a\tbAA\n'],
    ['echo -e "cut\\chere"', 'cut'],
    ['printf "%s-%d-%%-%5s|%-3s|%03d\\n" str 42 pad ab 7', 'str-42-%-  pad|ab |007\n'],
    ['printf "%s\\n" a b c', 'a\nb\nc\n'],
    ['printf "%x %o %c %.2f %b" 255 8 xyz 3.14159 "a\\tb"', 'ff 10 x 3.14 a\tb'],
    ['printf "%d\\n" notanumber', '0\n', 1],
    ['printf -v var "%s!" hi; echo $var', 'hi!\n'],
    ['seq 3', '1\n2\n3\n'],
    ['seq 2 4', '2\n3\n4\n'],
    ['seq 10 -3 1', '10\n7\n4\n1\n'],
    ['seq -s, 1 3', '1,2,3\n'],
    ['seq -w 8 10', '08\n09\n10\n'],
    ['seq 0.5 0.5 1.5', '0.5\n1.0\n1.5\n'],
    ['printf "ab\\nc d\\n" | wc', '      2       3       7\n'],
    ['printf "ab\\nc d\\n" | wc -l -w', '      2       3\n'],
    ['printf "héllo" | wc -c; printf "héllo" | wc -m', '6\n5\n'],
    [
      'printf "1\\n2\\n3\\n4\\n" > /tmp/n; head -n 2 /tmp/n; tail -n 2 /tmp/n; tail -n +4 /tmp/n; head -c 3 /tmp/n',
      '1\n2\n3\n4\n4\n1\n2',
    ],
    ['head -1 /tmp/n; seq 5 | tail -2', '1\n4\n5\n'],
    ['test -e /etc/hostname && test -f /etc/hostname && test -d /etc && ! test -f /etc && echo ok', 'ok\n'],
    ['[ -n "x" ] && [ -z "" ] && [ a = a ] && [ a != b ] && [ 3 -gt 2 ] && [ ! -e /nope ] && echo ok', 'ok\n'],
    ['[ -x /bin/sh ] && [ ! -x /etc/hostname ] && [ -c /dev/null ] && echo ok', 'ok\n'],
    ['[ 1 -eq 1 -a 2 -eq 3 ]; echo $?; [ 1 -eq 1 -o 2 -eq 3 ]; echo $?; [ \\( -n x \\) ]; echo $?', '1\n0\n0\n'],
    ['[ a = a; echo $?', '2\n'],
    ['[ x -eq 1 ]; echo $?', '2\n'],
    ['cd /tmp && mkdir -p m/n/o && cd m/n && pwd && cd .. && pwd && cd - && cd', '/tmp/m/n\n/tmp/m\n/tmp/m/n\n'],
    ['cd /nope; echo $?', '1\n'],
    ['mkdir /tmp/once && mkdir /tmp/once; echo $?', '1\n'],
    ['mkdir /no/parent; echo $?; mkdir -p /tmp/p/q && echo made', '1\nmade\n'],
    ['touch /tmp/t1 && test -f /tmp/t1 && touch /no/such/dir/x; echo $?', '1\n'],
    [
      'mkdir -p /tmp/rmme/a && touch /tmp/rmme/a/f; rm /tmp/rmme; echo $?; rm -r /tmp/rmme && test ! -e /tmp/rmme && echo gone',
      '1\ngone\n',
    ],
    ['rm /tmp/never-there; echo $?; rm -f /tmp/never-there; echo $?', '1\n0\n'],
    [
      'mkdir -p /tmp/lnk && echo target > /tmp/lnk/t && ln -s /tmp/lnk/t /tmp/lnk/l && cat /tmp/lnk/l && readlink /tmp/lnk/l && test -L /tmp/lnk/l && echo link',
      'target\n/tmp/lnk/t\nlink\n',
    ],
    [
      'mkdir -p /tmp/ld/real && ln -s real /tmp/ld/alias && echo inside > /tmp/ld/alias/f && cat /tmp/ld/real/f && ls /tmp/ld',
      'inside\nalias\nreal\n',
    ],
    [
      'ln -s /tmp/x /tmp/dup && ln -s /tmp/y /tmp/dup; echo $?; ln -sf /tmp/y /tmp/dup && readlink /tmp/dup',
      '1\n/tmp/y\n',
    ],
    ['ln /etc/hostname /tmp/hard; echo $?', '1\n'],
    ['ln -s /loop/b /tmp/loop-a; ln -s /tmp/loop-a /loop-b 2>/dev/null; cat /tmp/loop-a; echo $?', '1\n'],
    [
      'mkdir -p /tmp/lsd/sub && touch /tmp/lsd/f /tmp/lsd/.dot && cd /tmp/lsd && ls && ls -a && ls -A -p',
      'f\nsub\n.\n..\n.dot\nf\nsub\n.dot\nf\nsub/\n',
    ],
    ['ls /tmp/lsd/f /tmp/lsd/sub', '/tmp/lsd/f\n\n/tmp/lsd/sub:\n'],
    ['ls /nope; echo $?', '2\n'],
    [
      'mkdir -p /tmp/cp/src/d && echo 1 > /tmp/cp/src/d/f && cp -r /tmp/cp/src /tmp/cp/dst && cat /tmp/cp/dst/d/f && cp /tmp/cp/src/d/f /tmp/cp/g && cat /tmp/cp/g',
      '1\n1\n',
    ],
    ['cp /tmp/cp/src /tmp/cp/x; echo $?', '1\n'],
    ['cp -r / /tmp/whole-root; echo $?; test -e /tmp/whole-root; echo $?', '1\n1\n'],
    [
      'echo m > /tmp/mv1 && mv /tmp/mv1 /tmp/mv2 && cat /tmp/mv2 && test ! -e /tmp/mv1 && mkdir -p /tmp/mvd && mv /tmp/mv2 /tmp/mvd && ls /tmp/mvd',
      'm\nmv2\n',
    ],
    [
      'touch /tmp/ch && chmod +x /tmp/ch && test -x /tmp/ch && chmod a-x /tmp/ch && ! test -x /tmp/ch && chmod 700 /tmp/ch && test -x /tmp/ch && echo ok',
      'ok\n',
    ],
    ['chmod bogus /tmp/ch; echo $?', '1\n'],
    ['basename /a/b/c.txt .txt; basename /a/b/; dirname /a/b/c; dirname c; dirname /', 'c\nb\n/a/b\n.\n/\n'],
    ['env -i A=1 B=2 env', 'A=1\nB=2\n'],
    ['env -i X=y printenv X; printenv NOPE; echo $?', 'y\n1\n'],
    ['printenv START', 'from start\n'],
    ['whoami; id -u', 'root\n0\n'],
    ['command -v cat ls; command -v cd; command -v nothing-here; echo $?', '/bin/cat\n/bin/ls\ncd\n1\n'],
    ['which sh; type cd', '/bin/sh\ncd is a shell builtin\n'],
    ['f=$(mktemp) && test -f $f && d=$(mktemp -d) && test -d $d && echo ${f%.*} ${d%.*}', '/tmp/tmp /tmp/tmp\n'],
    ['sh -c "exit 9"; echo $?', '9\n'],
    ['bash -lc "pwd"', '/\n'],
    ['printf "echo script \\$1\\n" > /tmp/s.sh; bash /tmp/s.sh arg; sh /tmp/s.sh two', 'script arg\nscript two\n'],
    ['printf "v=sourced\\n" > /tmp/src.sh; . /tmp/src.sh; echo $v; source /tmp/src.sh; echo $v', 'sourced\nsourced\n'],
    ['echo a b c | { read x rest; echo "$x/$rest"; }', 'a/b c\n'],
    ['read v < /dev/null; echo $?', '1\n'],
    ['sleep 0.01 && sleep .01 && sleep 0s && echo slept', 'slept\n'],
    ['sleep; echo $?; sleep nope; echo $?', '1\n1\n'],
    ['unset START; echo "[${START}]"', '[]\n'],
    ['set -u; echo $UNSET_VAR; echo unreachable', '', 1],
    ['shift; set -- 1 2 3; shift; echo "$@"', '2 3\n'],
    ['/bin/echo via path; /bin/true && echo true-ran', 'via path\ntrue-ran\n'],
    ['./nothing; echo $?; /etc; echo $?; /etc/hostname; echo $?', '127\n126\n126\n'],
  ]);

  it('says "command not found" with status 127, in a shell and as argv', async () => {
    const shell = await container.exec('no-such-tool --flag');
    expect(shell).toMatchObject({ exitCode: 127, stdout: '' });
    expect(shell.stderr).toMatch(/no-such-tool: command not found/);
    const argv = await container.exec(['no-such-tool']);
    expect(argv.exitCode).toBe(127);
    expect(argv.stderr).toMatch(/no-such-tool: command not found/);
  });

  it('runs argv without any shell interpretation', async () => {
    expect((await container.exec(['echo', '$HOME', '*', '"q"', 'a;b', '`x`'])).stdout).toBe('$HOME * "q" a;b `x`\n');
    expect((await container.exec(['bash', '-c', 'echo $((1+1))'])).stdout).toBe('2\n');
    expect((await container.exec(['mkdir', '-p', '--', '/tmp/argv dir'])).exitCode).toBe(0);
    expect((await container.exec(['test', '-d', '/tmp/argv dir'])).exitCode).toBe(0);
  });

  it('refuses options it does not implement instead of ignoring them', async () => {
    for (const command of ['ls -l /', 'cat -n /etc/hostname', 'rm --recursive /tmp/x', 'set -o vi']) {
      const result = await container.exec(command);
      expect(result.exitCode, command).not.toBe(0);
      expect(result.stderr, command).toMatch(/option/);
    }
  });

  it('streams output as it is produced, before a following sleep ends', async () => {
    const arrivals: Array<{ chunk: string; at: number }> = [];
    const began = Date.now();
    await container.exec('echo first; sleep 0.3; echo second', {
      onStdout: (chunk) => arrivals.push({ chunk, at: Date.now() - began }),
    });
    expect(arrivals.map((arrival) => arrival.chunk)).toEqual(['first\n', 'second\n']);
    expect(arrivals[0]!.at).toBeLessThan(250);
    expect(arrivals[1]!.at).toBeGreaterThanOrEqual(250);
  });

  it('writes raw bytes from printf octal escapes', async () => {
    await container.exec("printf '\\377\\000A' > /tmp/raw");
    expect(await container.readFile('/tmp/raw')).toEqual(new Uint8Array([0xff, 0x00, 0x41]));
  });

  it('interrupts a busy loop at its timeout', async () => {
    const error = await container.exec('while true; do :; done', { timeoutMs: 200 }).catch((e: unknown) => e);
    expect(ExecTimeoutError.isInstance(error)).toBe(true);
    expect((await container.exec('echo responsive')).stdout).toBe('responsive\n');
  });

  it('appends efficiently and exactly in a long loop', async () => {
    const result = await container.exec(
      'rm -f /tmp/many; for i in $(seq 1 2000); do echo $i >> /tmp/many; done; wc -l < /tmp/many; tail -n 1 /tmp/many',
    );
    expect(result.stdout).toBe('2000\n2000\n');
  });
});
