/**
 * Reading a passphrase from the terminal without echoing it.
 *
 * Role: the only place that puts the terminal in raw mode. Without a terminal
 * on standard input (systemd, a pipe) nothing is asked and nothing is read:
 * a passphrase never comes from a pipe by accident, nor from argv.
 *
 * @module
 */

const encoder = new TextEncoder();

/**
 * Asks `question` on standard error and reads one line from the terminal,
 * not echoed. Backspace deletes; Ctrl-C or Ctrl-D gives up.
 *
 * @returns The bytes typed (UTF-8), or undefined when standard input is not a
 *   terminal or the user gave up.
 */
export async function readSecretLine(question: string): Promise<Uint8Array | undefined> {
  if (!Deno.stdin.isTerminal()) return undefined;
  Deno.stderr.writeSync(encoder.encode(question));
  const typed: number[] = [];
  const buffer = new Uint8Array(64);
  Deno.stdin.setRaw(true);
  try {
    for (;;) {
      const n = await Deno.stdin.read(buffer);
      if (n === null) return undefined;
      for (const byte of buffer.subarray(0, n)) {
        if (byte === 0x0d || byte === 0x0a) return new Uint8Array(typed);
        if (byte === 0x03 || byte === 0x04) return undefined; // Ctrl-C, Ctrl-D
        if (byte === 0x7f || byte === 0x08) typed.pop();
        else typed.push(byte);
      }
    }
  } finally {
    buffer.fill(0);
    typed.fill(0);
    Deno.stdin.setRaw(false);
    Deno.stderr.writeSync(encoder.encode("\n"));
  }
}
