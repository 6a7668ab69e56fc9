/**
 * Syscall numbers (setns, mount, umount2, pivot_root, sethostname, prctl, capset) that the relay's
 * `place` and `agent` built-ins need, by Node's name for the architecture: x86-64 has its own
 * table, the newer ones share the generic one.
 */
export const syscallNumbers: Partial<Record<NodeJS.Architecture, string>> = {
  x64: '308,165,166,155,170,157,126',
  arm64: '268,40,39,41,161,167,91',
  riscv64: '268,40,39,41,161,167,91',
  loong64: '268,40,39,41,161,167,91',
};
