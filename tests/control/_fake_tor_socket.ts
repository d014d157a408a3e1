/**
 * A fake tor control socket for tests that drive a `ControlConnection` or a `ControlClient`
 * without a network: {@link FakeSocket} is the part of `Deno.Conn` they use,
 * serving scripted bytes or answering each command written to it, and {@link failureLog} collects
 * what a connection logs at error level (a handler that threw).
 *
 * Spec: control-spec §2.2 "Commands from controller to Tor" (the keyword the fake answers to),
 * §2.3 "Replies from Tor to the controller". <https://spec.torproject.org/control-spec/>
 *
 * Role: test helper only; it never touches the network or the file system, and it keeps no
 * timer past {@link FakeSocket.close}.
 *
 * @module
 */

import { Logger } from "../../src/log/mod.ts";

/** How a {@link FakeSocket} serves its bytes and ends. */
export interface FakeSocketOptions {
  /** After the bytes: end with EOF, go silent, or hang up once the client is idle. */
  end: "eof" | "silent" | "idle";
  /** Bytes served in order, one chunk per read at most. */
  chunks?: readonly Uint8Array[];
  /** The chunks to answer a command with, given its keyword. */
  respond?: (keyword: string) => readonly Uint8Array[];
}

/**
 * The socket of a fake tor: the part of `Deno.Conn` that `ControlConnection` uses. It
 * serves `chunks` and then ends (`eof`) or goes silent (`silent`); or it answers each command
 * written to it with `respond(keyword)`, and hangs up once the client has written nothing for
 * one macrotask (`idle`): a client still waiting then is waiting for what tor will never send.
 */
export class FakeSocket {
  readonly #queue: Uint8Array[];
  readonly #end: "eof" | "silent" | "idle";
  readonly #respond: ((keyword: string) => readonly Uint8Array[]) | undefined;
  #ended = false;
  #closed = false;
  #wake: (() => void) | undefined;
  #idle: ReturnType<typeof setTimeout> | undefined;

  constructor(options: FakeSocketOptions) {
    this.#queue = [...(options.chunks ?? [])];
    this.#end = options.end;
    this.#respond = options.respond;
  }

  /** This socket, typed as the connection takes it. */
  get conn(): Deno.Conn {
    return this as unknown as Deno.Conn;
  }

  async read(buffer: Uint8Array): Promise<number | null> {
    while (true) {
      if (this.#closed) throw new Deno.errors.BadResource("Bad resource ID");
      const next = this.#queue.shift();
      if (next !== undefined) {
        const n = Math.min(next.length, buffer.length);
        buffer.set(next.subarray(0, n));
        if (n < next.length) this.#queue.unshift(next.subarray(n));
        return n;
      }
      if (this.#end === "eof" || this.#ended) return null;
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
  }

  write(bytes: Uint8Array): Promise<number> {
    if (this.#closed) return Promise.reject(new Deno.errors.BrokenPipe("Broken pipe"));
    if (this.#respond) {
      const line = new TextDecoder().decode(bytes.subarray(0, 64));
      this.#queue.push(...this.#respond(line.replace(/^\+/, "").split(/[ \r]/, 1)[0]!));
      clearTimeout(this.#idle);
      this.#idle = setTimeout(() => {
        this.#ended = true;
        this.#wakeReader();
      }, 0);
      this.#wakeReader();
    }
    return Promise.resolve(bytes.length);
  }

  close(): void {
    if (this.#closed) throw new Deno.errors.BadResource("Bad resource ID");
    this.#closed = true;
    clearTimeout(this.#idle);
    this.#wakeReader();
  }

  #wakeReader(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}

/**
 * A logger that keeps only error-level messages, in `failures`: an event handler, state listener
 * or close handler that threw. Exempt are handlers that threw a typed parse error (a malformed
 * event, logged and skipped).
 */
export function failureLog(failures: string[]): Logger {
  const parseError = /^A handler of "[^"]*" events failed: Cannot parse /;
  return new Logger({
    level: "error",
    sink: (_line, { message }) => {
      if (!parseError.test(message)) failures.push(message);
    },
  });
}
