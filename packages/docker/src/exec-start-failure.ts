/**
 * When the engine cannot start a command (missing executable, missing working directory, no
 * permission), the runtime's message arrives as the command's output, and engines disagree:
 * Docker sends it on stdout with exit status 126 whatever the cause; Podman on stderr with 127
 * (126 for permissions), followed by a stray "read unixpacket ... connection reset" line. This
 * puts every engine on the shell's convention, which the memory backend follows too: the
 * message on stderr, 127 when the executable is missing, 126 otherwise.
 */
export class ExecStartFailure {
  #seenOutput = false;
  #message: string | undefined;

  /** Sees every payload first; true when it belongs to a start failure and must be held back. */
  capture(payload: Uint8Array): boolean {
    if (this.#seenOutput) return this.#message !== undefined;
    this.#seenOutput = true;
    const text = Buffer.from(payload).toString('utf8');
    if (!runtimeFailure.test(text)) return false;
    this.#message = text;
    return true;
  }

  /** The stderr text and exit status to report, when the command never started. */
  outcome(): { stderr: string; exitCode: number } | undefined {
    if (this.#message === undefined) return undefined;
    const line = (this.#message.split(/\r?\n/)[0] ?? '').trim();
    const missing = !/chdir to cwd|permission denied/i.test(line) && /not found|no such file or directory/i.test(line);
    return { stderr: `${line}\n`, exitCode: missing ? 127 : 126 };
  }
}

/** How runc and crun, through Docker or Podman, begin the message of an exec that never started. */
const runtimeFailure = /^(?:OCI runtime exec failed|Error: (?:runc|crun|OCI runtime)\b)/;
