import { endianness } from 'node:os';

/**
 * What confines a container's commands by default (the backend's `security: 'default'`): the
 * capabilities and the system calls that Docker's defaults leave to a container. Every command
 * starts from the sandbox's agent (spawn-relay-script.ts), which, between its fork and the
 * command's exec, drops every capability but Docker's default set from the bounding set (as root
 * inside, the command keeps that set; as another user, none), and loads the seccomp filter below.
 * Both are inherited by everything the command starts and cannot be undone by it.
 *
 * Why both: a user namespace gives its root every capability over the namespace, and an ordinary
 * process may make a user namespace of its own; the kernel code reachable that way (mounting
 * filesystems, new namespaces, keyrings, BPF) is where container escapes have come from. Without
 * CAP_SYS_ADMIN a command cannot mount or enter namespaces; without the filter it could still make
 * a fresh user namespace, and get every capability back inside it.
 */

/**
 * Docker's default capabilities (moby's `DefaultCapabilities`), by number: CHOWN, DAC_OVERRIDE,
 * FOWNER, FSETID, KILL, SETGID, SETUID, SETPCAP, NET_BIND_SERVICE, NET_RAW, SYS_CHROOT, MKNOD,
 * AUDIT_WRITE, SETFCAP.
 */
export const defaultCapabilities = [0, 1, 3, 4, 5, 6, 7, 8, 10, 13, 18, 27, 29, 31] as const;

/** The capability mask of {@link defaultCapabilities} (`CapBnd` in `/proc/<pid>/status`). */
export const defaultCapabilityMask = defaultCapabilities.reduce((mask, cap) => mask | (1n << BigInt(cap)), 0n);

/**
 * The system calls the filter refuses with EPERM: those Docker's default seccomp profile allows
 * only to a container given extra capabilities (CAP_SYS_ADMIN, CAP_SYS_MODULE, CAP_SYS_TIME,
 * CAP_SYS_BOOT, CAP_SYS_PTRACE, …), which a command here never has; the calls of obsolete or
 * dangerous kernel interfaces Docker refuses to everyone (kexec, keyrings, bpf, perf, userfaultfd,
 * handles to files by inode). Namespaces: `unshare`, `setns` and `clone` with a `CLONE_NEW*` flag
 * are refused, `clone3` says ENOSYS (as in Docker: its flags live in memory the filter cannot
 * read, and the C library then falls back to `clone`).
 */
export const deniedSyscalls = [
  'acct',
  'add_key',
  'bpf',
  'clock_adjtime',
  'clock_settime',
  'create_module',
  'delete_module',
  'fanotify_init',
  'finit_module',
  'fsconfig',
  'fsmount',
  'fsopen',
  'fspick',
  'get_kernel_syms',
  'init_module',
  'ioperm',
  'iopl',
  'kcmp',
  'kexec_file_load',
  'kexec_load',
  'keyctl',
  'lookup_dcookie',
  'mount',
  'mount_setattr',
  'move_mount',
  'name_to_handle_at',
  'nfsservctl',
  'open_by_handle_at',
  'open_tree',
  'perf_event_open',
  'pidfd_getfd',
  'pivot_root',
  'query_module',
  'quotactl',
  'quotactl_fd',
  'reboot',
  'request_key',
  'setns',
  'settimeofday',
  'swapoff',
  'swapon',
  'syslog',
  '_sysctl',
  'sysfs',
  'umount2',
  'unshare',
  'uselib',
  'userfaultfd',
  'ustat',
  'vhangup',
] as const;

export type DeniedSyscall = (typeof deniedSyscalls)[number];

/** A kernel's system call table: the numbers this module needs, by name. */
export interface SyscallTable {
  /** `AUDIT_ARCH_*`: what `seccomp_data.arch` holds for a native call. */
  auditArch: number;
  /** Numbers at or above this are another ABI on the same architecture (x32 on x86-64). */
  foreignFrom?: number;
  clone: number;
  clone3: number;
  /** The denied calls this architecture has (the others do not exist there). */
  denied: Partial<Record<DeniedSyscall, number>>;
}

// The numbers of the generic table (asm-generic/unistd.h), shared by arm64, riscv64 and loong64.
const genericDenied: Partial<Record<DeniedSyscall, number>> = {
  acct: 89,
  add_key: 217,
  bpf: 280,
  clock_adjtime: 266,
  clock_settime: 112,
  delete_module: 106,
  fanotify_init: 262,
  finit_module: 273,
  fsconfig: 431,
  fsmount: 432,
  fsopen: 430,
  fspick: 433,
  init_module: 105,
  kcmp: 272,
  kexec_file_load: 294,
  kexec_load: 104,
  keyctl: 219,
  lookup_dcookie: 18,
  mount: 40,
  mount_setattr: 442,
  move_mount: 429,
  name_to_handle_at: 264,
  nfsservctl: 42,
  open_by_handle_at: 265,
  open_tree: 428,
  perf_event_open: 241,
  pidfd_getfd: 438,
  pivot_root: 41,
  quotactl: 60,
  quotactl_fd: 443,
  reboot: 142,
  request_key: 218,
  setns: 268,
  settimeofday: 170,
  swapoff: 225,
  swapon: 224,
  syslog: 116,
  umount2: 39,
  unshare: 97,
  userfaultfd: 282,
  vhangup: 58,
};

const generic = (auditArch: number): SyscallTable => ({ auditArch, clone: 220, clone3: 435, denied: genericDenied });

/**
 * The tables, by Node's name for the architecture (checked against the kernel's headers in
 * confinement.test.ts). 32-bit calls on a 64-bit kernel (i386 on x86-64, x32) are refused
 * whole: the filter knows one table.
 */
export const syscallTables: Partial<Record<NodeJS.Architecture, SyscallTable>> = {
  x64: {
    auditArch: 0xc000003e,
    foreignFrom: 0x40000000,
    clone: 56,
    clone3: 435,
    denied: {
      acct: 163,
      add_key: 248,
      bpf: 321,
      clock_adjtime: 305,
      clock_settime: 227,
      create_module: 174,
      delete_module: 176,
      fanotify_init: 300,
      finit_module: 313,
      fsconfig: 431,
      fsmount: 432,
      fsopen: 430,
      fspick: 433,
      get_kernel_syms: 177,
      init_module: 175,
      ioperm: 173,
      iopl: 172,
      kcmp: 312,
      kexec_file_load: 320,
      kexec_load: 246,
      keyctl: 250,
      lookup_dcookie: 212,
      mount: 165,
      mount_setattr: 442,
      move_mount: 429,
      name_to_handle_at: 303,
      nfsservctl: 180,
      open_by_handle_at: 304,
      open_tree: 428,
      perf_event_open: 298,
      pidfd_getfd: 438,
      pivot_root: 155,
      query_module: 178,
      quotactl: 179,
      quotactl_fd: 443,
      reboot: 169,
      request_key: 249,
      setns: 308,
      settimeofday: 164,
      swapoff: 168,
      swapon: 167,
      syslog: 103,
      _sysctl: 156,
      sysfs: 139,
      umount2: 166,
      unshare: 272,
      uselib: 134,
      userfaultfd: 323,
      ustat: 136,
      vhangup: 153,
    },
  },
  arm64: generic(0xc00000b7),
  riscv64: generic(0xc00000f3),
  loong64: generic(0xc0000102),
};

/** Every `CLONE_NEW*` flag: NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET, NEWTIME. */
export const cloneNamespaceFlags =
  0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000 | 0x00000080;

const EPERM = 1;
const ENOSYS = 38;

// Classic BPF, as seccomp runs it (linux/filter.h, linux/seccomp.h).
const LD_W_ABS = 0x20;
const JMP_JEQ_K = 0x15;
const JMP_JGE_K = 0x35;
const JMP_JSET_K = 0x45;
const RET_K = 0x06;
const RET_ALLOW = 0x7fff0000;
const RET_ERRNO = 0x00050000;

/** One instruction; `jt`/`jf` name the label to jump to (resolved to offsets at the end). */
type Instruction = { code: number; k: number; jt?: string; jf?: string; label?: string };

/**
 * The seccomp program for `table`, as the bytes of its `struct sock_filter` array in this
 * machine's byte order: a call of another architecture or ABI, or one of {@link deniedSyscalls},
 * or `clone` with a namespace flag, fails with EPERM; `clone3` with ENOSYS; the rest is allowed.
 */
export function seccompProgram(table: SyscallTable): Buffer {
  const little = endianness() === 'LE';
  // seccomp_data: int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6].
  const argLow = (index: number) => 16 + 8 * index + (little ? 0 : 4);
  const program: Instruction[] = [
    { code: LD_W_ABS, k: 4 },
    { code: JMP_JEQ_K, k: table.auditArch, jf: 'deny' },
    { code: LD_W_ABS, k: 0 },
  ];
  if (table.foreignFrom !== undefined) program.push({ code: JMP_JGE_K, k: table.foreignFrom, jt: 'deny' });
  for (const number of Object.values(table.denied)) program.push({ code: JMP_JEQ_K, k: number, jt: 'deny' });
  program.push(
    { code: JMP_JEQ_K, k: table.clone3, jt: 'nosys' },
    { code: JMP_JEQ_K, k: table.clone, jf: 'allow' },
    { code: LD_W_ABS, k: argLow(0) },
    { code: JMP_JSET_K, k: cloneNamespaceFlags, jt: 'deny' },
    { code: RET_K, k: RET_ALLOW, label: 'allow' },
    { code: RET_K, k: RET_ERRNO | EPERM, label: 'deny' },
    { code: RET_K, k: RET_ERRNO | ENOSYS, label: 'nosys' },
  );
  const at = new Map(program.flatMap((instruction, index) => (instruction.label ? [[instruction.label, index]] : [])));
  const bytes = Buffer.alloc(program.length * 8);
  program.forEach((instruction, index) => {
    // Jumps are forward offsets from the next instruction, at most 255.
    const offset = (label: string | undefined) => (label === undefined ? 0 : (at.get(label) as number) - index - 1);
    const [jt, jf] = [offset(instruction.jt), offset(instruction.jf)];
    if (jt > 255 || jf > 255) throw new Error('seccomp program too long for its jumps');
    const base = index * 8;
    if (little) {
      bytes.writeUInt16LE(instruction.code, base);
      bytes.writeUInt32LE(instruction.k >>> 0, base + 4);
    } else {
      bytes.writeUInt16BE(instruction.code, base);
      bytes.writeUInt32BE(instruction.k >>> 0, base + 4);
    }
    bytes.writeUInt8(jt, base + 2);
    bytes.writeUInt8(jf, base + 3);
  });
  return bytes;
}

/**
 * What the relay's agent is given to confine its commands (its `confine` argument): the kept
 * capabilities' mask and the seccomp program in hex; undefined where no table is known.
 */
export function confinementArgument(arch: NodeJS.Architecture = process.arch): string | undefined {
  const table = syscallTables[arch];
  if (table === undefined) return undefined;
  return `${defaultCapabilityMask.toString()},${seccompProgram(table).toString('hex')}`;
}
