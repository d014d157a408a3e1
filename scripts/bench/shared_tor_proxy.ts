/**
 * A counting relay between the balancer and its tor's control port, for `shared_tor.ts`: the
 * balancer connects to this proxy (its `-p`), the proxy forwards every byte to tor's ControlPort
 * unchanged, and counts what passes: commands by keyword (a `+HSPOST` data block counts once),
 * replies, events by type, bytes each way, and the time from each command to its reply (the
 * control-port round trip as the balancer sees it, proxy hop included).
 *
 * Why a proxy: the balancer neither counts its control-port commands in its metrics nor logs them
 * at debug level, and `src/` must stay unchanged for this benchmark. Cookie authentication works
 * through it (tor's PROTOCOLINFO names the cookie file; SAFECOOKIE binds no address).
 *
 * Spec: control-spec §2.2 (commands; `+` starts a data block ended by a line `.`), §2.3 and §4.1
 * (replies `NNN-`, `NNN+` data, `NNN ` final; events are code 650, answered in between).
 *
 * @module
 */

/** What passed through the proxy. */
export interface ControlCounts {
  /** Commands sent by the balancer, by keyword (`HSPOST`, `HSFETCH`, `GETINFO`, …). */
  commands: Record<string, number>;
  /** Final reply lines of tor (not events): one per command. */
  replies: number;
  /** Asynchronous events, by type (`HS_DESC`, `HS_DESC_CONTENT`, `STATUS_CLIENT`, …). */
  events: Record<string, number>;
  bytesToTor: number;
  bytesFromTor: number;
  /** Round trips measured (command sent → its final reply), ms. */
  roundTripsMs: number[];
  /** Connections the balancer opened. */
  connections: number;
  /** Most commands sent and not yet answered at one moment (on one connection). */
  maxInFlight: number;
}

/** Splits a byte stream into lines (`\n`, a trailing `\r` dropped) and hands them on. */
class LineSplitter {
  #rest = "";
  readonly #decoder = new TextDecoder("latin1");
  readonly #onLine: (line: string) => void;

  constructor(onLine: (line: string) => void) {
    this.#onLine = onLine;
  }

  push(chunk: Uint8Array): void {
    const text = this.#rest + this.#decoder.decode(chunk, { stream: true });
    const lines = text.split("\n");
    this.#rest = lines.pop() ?? "";
    for (const line of lines) this.#onLine(line.endsWith("\r") ? line.slice(0, -1) : line);
  }
}

/** Listens on 127.0.0.1 (a free port) and relays to tor's ControlPort, counting. */
export class ControlProxy {
  readonly counts: ControlCounts = {
    commands: {},
    replies: 0,
    events: {},
    bytesToTor: 0,
    bytesFromTor: 0,
    roundTripsMs: [],
    connections: 0,
    maxInFlight: 0,
  };
  readonly #listener: Deno.TcpListener;
  readonly #target: number;
  readonly #conns = new Set<Deno.Conn>();

  private constructor(listener: Deno.TcpListener, target: number) {
    this.#listener = listener;
    this.#target = target;
    void this.#accept();
  }

  /** Starts a proxy to tor's ControlPort `targetPort` on 127.0.0.1. */
  static start(targetPort: number): ControlProxy {
    return new ControlProxy(Deno.listen({ hostname: "127.0.0.1", port: 0 }), targetPort);
  }

  /** The port the balancer should use (`-p`). */
  get port(): number {
    return this.#listener.addr.port;
  }

  /** Commands sent in all. */
  get totalCommands(): number {
    return Object.values(this.counts.commands).reduce((a, b) => a + b, 0);
  }

  /** Stops listening and closes every relayed connection. */
  close(): void {
    try {
      this.#listener.close();
    } catch {
      // Already closed.
    }
    for (const conn of this.#conns) closeQuietly(conn);
  }

  async #accept(): Promise<void> {
    try {
      for await (const client of this.#listener) void this.#relay(client);
    } catch {
      // Listener closed.
    }
  }

  async #relay(client: Deno.Conn): Promise<void> {
    const tor = await Deno.connect({ hostname: "127.0.0.1", port: this.#target }).catch(() => {
      closeQuietly(client);
      return undefined;
    });
    if (tor === undefined) return;
    this.counts.connections++;
    this.#conns.add(client).add(tor);
    const sentAt: number[] = [];
    const up = new LineSplitter(commandCounter(this.counts, sentAt));
    const down = new LineSplitter(replyCounter(this.counts, sentAt));
    await Promise.race([
      pump(client, tor, (c) => (this.counts.bytesToTor += c.length, up.push(c))),
      pump(tor, client, (c) => (this.counts.bytesFromTor += c.length, down.push(c))),
    ]);
    for (const conn of [client, tor]) {
      closeQuietly(conn);
      this.#conns.delete(conn);
    }
  }
}

/** Counts the balancer's command lines; remembers when each was sent. */
function commandCounter(counts: ControlCounts, sentAt: number[]): (line: string) => void {
  let inData = false;
  return (line) => {
    if (inData) {
      if (line === ".") inData = false;
      return;
    }
    if (line === "") return;
    let keyword = line.split(" ", 1)[0]!.toUpperCase();
    if (keyword.startsWith("+")) {
      inData = true;
      keyword = keyword.slice(1);
    }
    counts.commands[keyword] = (counts.commands[keyword] ?? 0) + 1;
    sentAt.push(performance.now());
    counts.maxInFlight = Math.max(counts.maxInFlight, sentAt.length);
  };
}

/** Counts tor's replies and events; a final non-event line ends the oldest command. */
function replyCounter(counts: ControlCounts, sentAt: number[]): (line: string) => void {
  let inData = false;
  let first: string | undefined;
  return (line) => {
    if (inData) {
      if (line === ".") inData = false;
      return;
    }
    const m = /^(\d{3})([ +-])(.*)$/.exec(line);
    if (m === null) return;
    first ??= m[3]!;
    if (m[2] === "+") inData = true;
    if (m[2] !== " ") return;
    if (m[1] === "650") {
      const type = first.split(" ", 1)[0]!;
      counts.events[type] = (counts.events[type] ?? 0) + 1;
    } else {
      counts.replies++;
      const t0 = sentAt.shift();
      if (t0 !== undefined) counts.roundTripsMs.push(performance.now() - t0);
    }
    first = undefined;
  };
}

/** Copies `from` to `to`, showing each chunk to `see` first; ends when either side closes. */
async function pump(
  from: Deno.Conn,
  to: Deno.Conn,
  see: (chunk: Uint8Array) => void,
): Promise<void> {
  const buffer = new Uint8Array(1 << 16);
  try {
    for (;;) {
      const n = await from.read(buffer);
      if (n === null) return;
      const chunk = buffer.subarray(0, n);
      see(chunk);
      let written = 0;
      while (written < n) written += await to.write(chunk.subarray(written));
    }
  } catch {
    // One side went away.
  }
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}
