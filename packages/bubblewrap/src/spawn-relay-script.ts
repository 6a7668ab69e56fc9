/**
 * The relay: a small Perl program, started once per Node.js process, that forks and execs the
 * backend's helper processes (sandboxes, `cp` for snapshots, `nsenter` where there is no agent)
 * and relays their pipes over its own stdin and stdout; and, forked from it, one agent per
 * sandbox that runs the container's commands.
 *
 * Why: Node.js starts a process with `fork()`, whose cost grows with the parent's memory (the
 * page tables are copied, then every page the parent touches before the child's `exec` is
 * copied too). Measured on a 2-core VM: 3.6 ms of CPU from a fresh Node.js, 11 ms with 50 MB
 * more in use, 20 ms with 200 MB; a process like the bench pays that for every exec, restore
 * and snapshot. The relay is a few MiB, so its `fork()` costs a fraction of a millisecond
 * whatever the caller's size. An agent is a copy of the relay already inside its sandbox (its
 * namespaces, root and cgroups): a command is one `fork()` and the command's own `exec`, where
 * `nsenter` costs another program, seven `setns` and, per cgroup hierarchy, a cgroup migration
 * (each can wait for an RCU grace period on cgroup v1). Perl because it is there on nearly every
 * Linux host (perl-base is essential on Debian and Ubuntu) and needs no compiler; without it the
 * backend spawns from Node.js and enters sandboxes with `nsenter` (spawner.ts).
 *
 * Protocol. To the relay (or an agent, on its stdin): frames `<length>\n<payload>`, the
 * payload's fields separated by NUL:
 * - `R id stdio cwd user nEnv env… nCgroups cgroupProcs… argv…`: start a process. `stdio` has
 *   one letter per child fd from 0 (`p` a pipe, `i` /dev/null, `o` the relay's own stdout). The
 *   child joins the cgroups (writes its pid to each `cgroup.procs`; exit 125 if it cannot),
 *   takes `user` (`uid:gid`, or empty to stay root) and execs. An empty argv[0] names a built-in
 *   run in the forked child instead (`place`, `agent`).
 * - `W id data`: write to the child's stdin. `C id`: close its stdin.
 * - `D id fd`: stop relaying that fd (closes the relay's end). `K id signal`: kill the process.
 * - `P id fd` / `U id fd`: pause / resume reading that fd (its reader is behind: the child then
 *   blocks on a full pipe, so a large file never piles up in memory).
 * From the relay and the agents, on the relay's stdout: frames `<type> <id> <a> <length>\n<data>`:
 * - `S id pid`: the child started (for a program: it exec'd). `F id errno`: it could not exec.
 * - `O id fd` with data: output on that fd; an empty one is its end.
 * - `X id status`: the child exited (`status` is the wait status).
 * - `A id bytes`: that many bytes of `W` data were written to the child's stdin, or dropped (its
 *   stdin closed); the writer keeps a bounded number of bytes unacknowledged.
 * Agents write to the same socket as the relay: every frame is written whole in one `write` of
 * at most 4 KiB (the kernel keeps such a write on a Unix socket in one piece), so frames never
 * interleave. When its stdin closes (its owner exited or was killed), the relay SIGKILLs its
 * children and exits; the sandboxes' bwrap dies with it (`--die-with-parent`), and the agents
 * see their own stdin close.
 */
export const spawnRelayScript = String.raw`
use strict;
use warnings;
use POSIX ();
use Fcntl qw(F_GETFL F_SETFL F_DUPFD O_NONBLOCK);
use Errno qw(EAGAIN EINTR EINVAL);

$SIG{PIPE} = 'IGNORE';
# With a handler (not the default), select is interrupted when a child exits; pidfds (below)
# cover the exits that land just before select starts.
$SIG{CHLD} = sub { };

sub nonblocking { my $fh = shift; my $flags = fcntl($fh, F_GETFL, 0); fcntl($fh, F_SETFL, $flags | O_NONBLOCK); }

my $agent = 0;     # true in a sandbox's agent
my %confine;       # in an agent that confines its commands: prctl, capset, keep (capability mask), filter
my %kids;          # id => { pid, pidfd, status, err, errtext, failed, reported, out => { fd => fh }, in, inq, inclose }
my %pid_id;
my @to_node;       # whole frames
my $to_node_bytes = 0;
my $from_node = '';
my $node_gone = 0;
my $out_cap = 4 * 1024 * 1024;
# Output is read in pieces small enough that a frame stays under 4 KiB.
my $piece = 4000;
# SNAPBOX_BWRAP_RELAY_TRACE (a file): every frame in and out and every pipe event, for debugging.
# Time::HiRes is loaded only then, and only if there: it is not in Debian's perl-base, which is all
# the relay may assume.
my $trace;
if (length($ENV{SNAPBOX_BWRAP_RELAY_TRACE} // '')) {
  open($trace, '>>', $ENV{SNAPBOX_BWRAP_RELAY_TRACE}) or undef $trace;
  eval { require Time::HiRes; 1 };
}
sub trace {
  return unless $trace;
  my $now = defined &Time::HiRes::time ? Time::HiRes::time() : time();
  syswrite($trace, sprintf("%.6f %d%s %s\n", $now, $$, $agent ? 'a' : 'r', join(' ', @_)));
}

sub emit {
  my ($type, $id, $a, $data) = @_;
  $data = '' unless defined $data;
  my $frame = "$type $id $a " . length($data) . "\n" . $data;
  trace('emit', $type, $id, $a, length($data)) if $trace;
  push @to_node, $frame;
  $to_node_bytes += length($frame);
}

sub flush_node {
  while (@to_node) {
    my $wrote = syswrite(STDOUT, $to_node[0]);
    if (!defined $wrote) { return if $! == EAGAIN || $! == EINTR; $node_gone = 1; return; }
    $to_node_bytes -= $wrote;
    if ($wrote < length($to_node[0])) { substr($to_node[0], 0, $wrote) = ''; return; }
    shift @to_node;
  }
}

# In a built-in's child (a copy of the relay that runs on): closes every pipe of the relay's
# children, and the child's own originals of its stdio, through Perl before the rest (pidfds) by
# number. PerlIO counts the handles open on each fd number and closes the number only when the
# last goes: a handle copied from the relay and left open here over a number closed underneath it
# would count against the next pipe to get that number, whose close would then leave it open (an
# agent's command whose output never ends).
sub forget_relay_fds {
  my ($for_child, @started) = @_;
  for my $kid (values %kids) { close($_) for grep { defined } ($kid->{in}, $kid->{err}, values %{$kid->{out}}); }
  close($_) for grep { defined && $_ != \*STDOUT } (@$for_child, @started);
  %kids = ();
  %pid_id = ();
  close_extra_fds($trace ? fileno($trace) : ());
}

sub close_extra_fds {
  my %keep = map { $_ => 1 } (0, 1, 2, @_);
  opendir(my $dir, '/proc/self/fd') or return;
  my @fds = grep { /^\d+$/ && !$keep{$_} } readdir($dir);
  closedir($dir);
  POSIX::close($_) for @fds;
}

sub fail_child { my ($code, $message) = @_; syswrite(STDERR, "snapbox: $message\n"); POSIX::_exit($code); }

# Built-ins run in a forked child instead of a program; they die with a message on failure.
my %builtins;

# Gives a pre-built sandbox its root filesystem: joins the user, mount and uts namespaces of its
# init (blocked before it runs anything), mounts the overlay (its layers are relative to the
# store, bound into the sandbox at $store), binds /proc and /dev into it, sets the hostname, and
# makes it the root of the mount namespace (pivot_root), which moves the root of every process
# there (the init, the agent) with it; the old root (with the store) is detached. Syscall numbers
# come from the caller, by architecture.
$builtins{place} = sub {
  my ($pid, $numbers, $store, $root, $options, $host) = @_;
  my ($setns, $mount, $umount2, $pivot_root, $sethostname) = split /,/, $numbers;
  my @namespaces;
  for my $type ('user', 'mnt', 'uts') {
    open(my $fh, '<', "/proc/$pid/ns/$type") or die "cannot open /proc/$pid/ns/$type: $!\n";
    push @namespaces, $fh;
  }
  for my $fh (@namespaces) { syscall($setns, fileno($fh), 0) == 0 or die "cannot join the sandbox's namespaces: $!\n"; }
  chdir($store) or die "cannot enter $store in the sandbox: $!\n";
  my ($source, $target, $type, $data) = ('overlay', $root, 'overlay', $options);
  syscall($mount, $source, $target, $type, 0, $data) == 0 or die "cannot mount the overlay ($data): $!\n";
  for my $dir ('proc', 'dev') {
    my ($from, $to) = ("/$dir", "$root/$dir");
    mkdir($to, 0755) unless -d $to;
    syscall($mount, $from, $to, 0, 4096 | 16384, 0) == 0 or die "cannot bind $from: $!\n";
  }
  my $name = $host;
  syscall($sethostname, $name, length($name)) == 0 or die "cannot set the hostname: $!\n";
  chdir($root) or die "cannot enter $root: $!\n";
  my ($new, $old) = ('.', '.');
  syscall($pivot_root, $new, $old) == 0 or die "pivot_root: $!\n";
  syscall($umount2, $old, 2) == 0 or die "cannot detach the old root: $!\n";
  chdir('/');
};

# Becomes a sandbox's agent: joins every namespace of its init (the pid namespace for its
# children), becomes the subreaper of what they leave behind, and serves start requests from its
# stdin, writing frames to the relay's stdout, until its stdin closes. Given a confinement (the
# kept capabilities' mask and a seccomp program in hex, from confinement.ts), it confines every
# command it starts (see confine_before_user).
$builtins{agent} = sub {
  my ($pid, $numbers, $confine) = @_;
  my ($setns, $prctl, $capset) = (split /,/, $numbers)[0, 5, 6];
  if (defined $confine && length($confine)) {
    my ($keep, $hex) = split /,/, $confine;
    %confine = (prctl => $prctl, capset => $capset, keep => $keep + 0, filter => pack('H*', $hex));
  }
  # Every namespace is opened before any is joined: once in the mount namespace, the host's /proc
  # is out of sight. Only those bwrap made: one the sandbox shares with the host (the network
  # with network 'default'; the cgroup namespace where it has none) is the agent's already, and
  # joining it from inside the sandbox's user namespace would be refused.
  my @namespaces;
  for my $type ('user', 'mnt', 'ipc', 'uts', 'net', 'pid', 'cgroup') {
    open(my $fh, '<', "/proc/$pid/ns/$type") or die "cannot open /proc/$pid/ns/$type: $!\n";
    next if (stat($fh))[1] == (stat("/proc/self/ns/$type"))[1];
    push @namespaces, $fh;
  }
  for my $fh (@namespaces) { syscall($setns, fileno($fh), 0) == 0 or die "cannot join the sandbox's namespaces: $!\n"; }
  close($_) for @namespaces;
  syscall($prctl, 36, 1, 0, 0, 0) == 0 or die "cannot become a subreaper: $!\n";
  chdir('/');
  $agent = 1;
  $SIG{CHLD} = sub { };
  # This copy of the relay starts afresh: the relay's children are not its own (forget_relay_fds
  # closed their pipes), nor are the frames it had not sent.
  @to_node = ();
  $to_node_bytes = 0;
  $from_node = '';
  nonblocking(\*STDIN);
  serve();
};

# In a command's child, still root of the sandbox's user namespace: drops every capability but the
# kept ones from the bounding set (the kernel's last one answers EINVAL beyond it), and loads the
# seccomp filter (allowed without no_new_privs while the child has CAP_SYS_ADMIN: setuid programs
# inside keep working, as in Docker). Both are inherited and permanent. Returns false with $! set.
sub confine_before_user {
  my $prctl = $confine{prctl};
  for my $cap (0 .. 63) {
    next if $confine{keep} & (1 << $cap);
    next if syscall($prctl, 24, $cap, 0, 0, 0) == 0;   # PR_CAPBSET_DROP
    last if $! == EINVAL;
    return 0;
  }
  my $filter = $confine{filter};
  # struct sock_fprog { unsigned short len; struct sock_filter *filter; }
  my $program = pack('S x![p] p', length($filter) / 8, $filter);
  return syscall($prctl, 22, 2, $program, 0, 0) == 0;   # PR_SET_SECCOMP, SECCOMP_MODE_FILTER
}

# After the user is taken: root keeps only the kept capabilities (its effective and permitted
# sets are full in the user namespace); another user has none left after setuid. No inheritable
# capabilities either way, so an exec cannot bring back a dropped one.
sub confine_after_user {
  my $keep = $> == 0 ? $confine{keep} : 0;
  my ($low, $high) = ($keep & 0xffffffff, $keep >> 32);
  # _LINUX_CAPABILITY_VERSION_3, this process; then effective, permitted, inheritable by 32 bits.
  my $header = pack('L l', 0x20080522, 0);
  my $data = pack('L6', $low, $low, 0, $high, $high, 0);
  return syscall($confine{capset}, $header, $data) == 0;
}

sub start_child {
  my ($id, $stdio, $cwd, $user, $env, $cgroups, $argv) = @_;
  my $kid = { out => {}, paused => {}, inq => '', inclose => 0 };
  $kids{$id} = $kid;
  my @for_child;
  for my $fd (0 .. length($stdio) - 1) {
    my $kind = substr($stdio, $fd, 1);
    if ($kind eq 'p') {
      my ($r, $w);
      if (!pipe($r, $w)) { emit('F', $id, $! + 0); delete $kids{$id}; return; }
      if ($fd == 0) { $for_child[$fd] = $r; $kid->{in} = $w; nonblocking($w); }
      else { $for_child[$fd] = $w; $kid->{out}{$fd} = $r; nonblocking($r); }
    } elsif ($kind eq 'o') {
      $for_child[$fd] = \*STDOUT;
    } else {
      $for_child[$fd] = undef;
    }
  }
  my $builtin = $argv->[0] eq '';
  # In the relay, the child reports a failed exec on a pipe closed by a successful one; in an
  # agent, like nsenter, it says so on stderr and exits 126 or 127.
  my ($err_r, $err_w);
  if (!$agent) { pipe($err_r, $err_w) or do { emit('F', $id, $! + 0); delete $kids{$id}; return; }; }
  my $pid = fork();
  if (!defined $pid) { emit('F', $id, $! + 0); delete $kids{$id}; return; }
  if ($pid == 0) {
    $SIG{PIPE} = 'DEFAULT';
    $SIG{CHLD} = 'DEFAULT';
    my @high;
    for my $fd (0 .. $#for_child) {
      my $fh = $for_child[$fd];
      if (!defined $fh) { open($fh, $fd == 0 ? '<' : '>', '/dev/null') or POSIX::_exit(127); }
      push @high, fcntl($fh, F_DUPFD, 64);
    }
    for my $fd (0 .. $#high) { POSIX::dup2($high[$fd], $fd); }
    POSIX::close($_) for @high;
    # A built-in runs on in this copy of the relay: it must not hold other children's pipes (nor
    # its started-pipe: it has started).
    forget_relay_fds(\@for_child, $err_r, $err_w) if $builtin;
    for my $file (@$cgroups) {
      my $ok = open(my $procs, '>', $file);
      $ok = syswrite($procs, "$$") if $ok;
      fail_child(125, "could not join the cgroup $file: $!") if !$ok;
      close($procs);
    }
    if (length($cwd) && !chdir($cwd)) {
      fail_child(1, "cannot change directory to $cwd: $!") if $agent;
      syswrite($err_w, ($! + 0) . '');
      POSIX::_exit(127);
    }
    my $confined = $agent && %confine && !$builtin;
    fail_child(126, "cannot confine the command: $!") if $confined && !confine_before_user();
    if (length($user)) {
      my ($uid, $gid) = split /:/, $user;
      # Supplementary groups: none but its own (refused in a rootless namespace, where it matters not).
      $) = "$gid $gid";
      POSIX::setgid($gid) or fail_child(126, "cannot take the group $gid: $!");
      POSIX::setuid($uid) or fail_child(126, "cannot take the user $uid: $!");
    }
    fail_child(126, "cannot drop capabilities: $!") if $confined && !confine_after_user();
    %ENV = @$env;
    if ($builtin) {
      my ($name, @args) = @$argv[1 .. $#$argv];
      my $ok = eval { $builtins{$name}->(@args); 1 };
      if (!$ok) { syswrite(STDERR, $@ || "snapbox: $name failed\n"); POSIX::_exit(1); }
      POSIX::_exit(0);
    }
    { no warnings 'exec'; exec { $argv->[0] } @$argv; }
    my $errno = $! + 0;
    fail_child($errno == 2 ? 127 : 126, "cannot run $argv->[0]: $!") if $agent;
    syswrite($err_w, "$errno");
    POSIX::_exit(127);
  }
  close($_) for grep { defined && $_ != \*STDOUT } @for_child;
  $kid->{pid} = $pid;
  # A pidfd turns readable when the child exits: select wakes for it even when the SIGCHLD came
  # just before select started (pidfd_open is 434 on every architecture; Linux 5.3+).
  my $pidfd = syscall(434, $pid, 0);
  $kid->{pidfd} = $pidfd if $pidfd >= 0;
  $pid_id{$pid} = $id;
  if ($agent) {
    emit('S', $id, $pid);
  } else {
    close($err_w);
    nonblocking($err_r);
    $kid->{err} = $err_r;
    $kid->{errtext} = '';
  }
}

sub close_out { my ($kid, $fd) = @_; my $fh = delete $kid->{out}{$fd}; trace('close_out', $fd, $fh ? 'open' : 'none') if $trace; close($fh) if $fh; }
# Bytes still queued for a closed stdin are acknowledged as dropped, so their writer goes on.
sub close_in {
  my ($kid, $id) = @_;
  if ($kid->{in}) { close($kid->{in}); delete $kid->{in}; }
  emit('A', $id, length($kid->{inq})) if length($kid->{inq});
  $kid->{inq} = '';
}

# A child is forgotten once it exited and nothing of it is relayed any more.
sub settle {
  my $id = shift;
  my $kid = $kids{$id} or return;
  return if $kid->{err};
  if (defined $kid->{status} && !$kid->{reported}) {
    $kid->{reported} = 1;
    emit('X', $id, $kid->{status}) unless $kid->{failed};
  }
  if ($kid->{reported} && !%{$kid->{out}}) { close_in($kid, $id); delete $kids{$id}; }
}

sub handle_frame {
  my $frame = shift;
  my ($type, $id, @rest) = split /\0/, $frame, -1;
  trace('got', $type, $id, $type eq 'W' ? length($frame) : $type eq 'R' ? () : @rest) if $trace;
  if ($type eq 'R') {
    my ($stdio, $cwd, $user, $n_env) = splice(@rest, 0, 4);
    my @env = splice(@rest, 0, 2 * $n_env);
    my $n_cg = shift @rest;
    my @cg = splice(@rest, 0, $n_cg);
    start_child($id, $stdio, $cwd, $user, \@env, \@cg, \@rest);
    return;
  }
  my $kid = $kids{$id} or return;
  if ($type eq 'W') {
    my $data = join("\0", @rest);
    if ($kid->{in}) { $kid->{inq} .= $data; } else { emit('A', $id, length($data)); }
  }
  elsif ($type eq 'C') { $kid->{inclose} = 1; close_in($kid, $id) if $kid->{inq} eq ''; }
  elsif ($type eq 'D') { my $fd = $rest[0]; if ($fd == 0) { close_in($kid, $id); } else { close_out($kid, $fd); } settle($id); }
  elsif ($type eq 'P') { $kid->{paused}{$rest[0]} = 1; }
  elsif ($type eq 'U') { delete $kid->{paused}{$rest[0]}; }
  elsif ($type eq 'K') { kill($rest[0], $kid->{pid}) if $kid->{pid} && !defined $kid->{status}; }
}

sub read_node {
  for (;;) {
    my $got = sysread(STDIN, my $chunk, 65536);
    if (!defined $got) { return if $! == EAGAIN || $! == EINTR; $node_gone = 1; return; }
    if ($got == 0) { $node_gone = 1; return; }
    $from_node .= $chunk;
    for (;;) {
      my $nl = index($from_node, "\n");
      last if $nl < 0;
      my $len = substr($from_node, 0, $nl);
      last if length($from_node) < $nl + 1 + $len;
      my $frame = substr($from_node, $nl + 1, $len);
      substr($from_node, 0, $nl + 1 + $len) = '';
      handle_frame($frame);
    }
  }
}

sub reap_children {
  while ((my $pid = waitpid(-1, POSIX::WNOHANG())) > 0) {
    my $id = delete $pid_id{$pid};
    next unless defined $id && $kids{$id};
    POSIX::close(delete $kids{$id}{pidfd}) if defined $kids{$id}{pidfd};
    $kids{$id}{status} = $?;
    trace('reaped', $id, $pid, $?) if $trace;
    settle($id);
  }
}

sub serve {
  for (;;) {
    reap_children();
    flush_node();
    if ($node_gone) {
      kill('KILL', $_->{pid}) for grep { $_->{pid} && !defined $_->{status} } values %kids;
      POSIX::_exit(0);
    }
    my ($rin, $win) = ('', '');
    vec($rin, 0, 1) = 1;
    vec($win, 1, 1) = 1 if @to_node;
    my $relaying = $to_node_bytes < $out_cap;
    my $timeout;
    for my $kid (values %kids) {
      if (!defined $kid->{status}) {
        if (defined $kid->{pidfd}) { vec($rin, $kid->{pidfd}, 1) = 1; } else { $timeout = 0.05; }
      }
      if ($kid->{err}) { vec($rin, fileno($kid->{err}), 1) = 1; next; }
      if ($relaying) {
        for my $fd (keys %{$kid->{out}}) { vec($rin, fileno($kid->{out}{$fd}), 1) = 1 unless $kid->{paused}{$fd}; }
      }
      vec($win, fileno($kid->{in}), 1) = 1 if $kid->{in} && length($kid->{inq});
    }
    my $ready = select(my $rout = $rin, my $wout = $win, undef, $timeout);
    next if $ready <= 0;
    read_node() if vec($rout, 0, 1);
    for my $id (keys %kids) {
      my $kid = $kids{$id} or next;
      if ($kid->{err}) {
        next unless vec($rout, fileno($kid->{err}), 1);
        my $got = sysread($kid->{err}, my $text, 64);
        next if !defined $got && ($! == EAGAIN || $! == EINTR);
        if ($got) { $kid->{errtext} .= $text; next; }
        close($kid->{err});
        delete $kid->{err};
        if ($kid->{errtext} ne '') {
          $kid->{failed} = 1;
          emit('F', $id, $kid->{errtext});
          close_out($kid, $_) for keys %{$kid->{out}};
          close_in($kid, $id);
        } else {
          emit('S', $id, $kid->{pid});
        }
        settle($id);
        next;
      }
      if ($kid->{in} && length($kid->{inq}) && vec($wout, fileno($kid->{in}), 1)) {
        my $wrote = syswrite($kid->{in}, $kid->{inq});
        if (defined $wrote) { substr($kid->{inq}, 0, $wrote) = ''; emit('A', $id, $wrote); }
        elsif ($! != EAGAIN && $! != EINTR) { close_in($kid, $id); }
        close_in($kid, $id) if $kid->{inclose} && $kid->{inq} eq '';
      }
      for my $fd (keys %{$kid->{out}}) {
        my $fh = $kid->{out}{$fd};
        next unless vec($rout, fileno($fh), 1);
        my $got = sysread($fh, my $data, $piece);
        next if !defined $got && ($! == EAGAIN || $! == EINTR);
        if ($got) { emit('O', $id, $fd, $data); next; }
        emit('O', $id, $fd, '');
        close_out($kid, $fd);
      }
      settle($id);
    }
  }
}

nonblocking(\*STDIN);
nonblocking(\*STDOUT);
serve();
`;
