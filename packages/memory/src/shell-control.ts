/** Control flow of the memory backend's shell, thrown through the interpreter. */

/** `exit`: unwinds to the shell process that owns the state. */
export class ExitSignal {
  constructor(readonly status: number) {}
}

/** `break` / `continue`: unwinds to the enclosing loop(s). */
export class LoopControl {
  constructor(
    readonly kind: 'break' | 'continue',
    public levels: number,
  ) {}
}
