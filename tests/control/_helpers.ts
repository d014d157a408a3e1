/**
 * Test helpers for the control client: a per-test deadline, a capturing logger, and a fake tor
 * control server on 127.0.0.1:0 (or a Unix socket under /tmp) that the test scripts line by line.
 *
 * @module
 */

import { Logger, type LogRecord } from "../../src/log/mod.ts";

/** Runs `body`, failing if it takes longer than `ms` (every socket test has its own deadline). */
export async function withDeadline<T>(ms: number, body: () => Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Test exceeded its ${ms} ms deadline`)), ms);
  });
  try {
    return await Promise.race([body(), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** A logger at debug level whose records the test can inspect. */
export function captureLog(): { log: Logger; records: LogRecord[]; text: () => string } {
  const records: LogRecord[] = [];
  const log = new Logger({ level: "debug", sink: (_line, record) => records.push(record) });
  return {
    log,
    records,
    text: () => records.map((r) => `[${r.level}] ${r.message}`).join("\n"),
  };
}

const encoder = new TextEncoder();

/** One accepted connection of the fake server, read line by line. */
export class FakeConnection {
  readonly #socket: Deno.Conn;
  readonly #decoder = new TextDecoder();
  #buffer = "";
  #closed = false;

  constructor(socket: Deno.Conn) {
    this.#socket = socket;
  }

  /** Everything the client sent so far that has not been read by {@link readLine}. */
  get unread(): string {
    return this.#buffer;
  }

  /** The next line the client sent, without CRLF. Rejects on EOF. */
  async readLine(): Promise<string> {
    while (true) {
      const end = this.#buffer.indexOf("\r\n");
      if (end >= 0) {
        const line = this.#buffer.slice(0, end);
        this.#buffer = this.#buffer.slice(end + 2);
        return line;
      }
      const chunk = new Uint8Array(65536);
      const n = await this.#socket.read(chunk);
      if (n === null) {
        throw new Error(`Client closed the connection; unread: ${JSON.stringify(this.#buffer)}`);
      }
      this.#buffer += this.#decoder.decode(chunk.subarray(0, n), { stream: true });
    }
  }

  /** Reads a `+` command's data block up to and including the "." line; returns the raw text. */
  async readDataBlock(): Promise<string> {
    const lines: string[] = [];
    while (true) {
      const line = await this.readLine();
      if (line === ".") return lines.map((l) => `${l}\r\n`).join("");
      lines.push(line);
    }
  }

  /** Whether the client closed its side: the next read returns EOF within `ms`. */
  async readsEof(ms = 1000): Promise<boolean> {
    const chunk = new Uint8Array(1024);
    const read = this.#socket.read(chunk).catch(() => null);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<"late">((resolve) => timer = setTimeout(() => resolve("late"), ms));
    const result = await Promise.race([read, late]);
    clearTimeout(timer);
    return result === null;
  }

  /** Writes raw text (the test supplies the CRLFs). */
  async write(text: string): Promise<void> {
    const bytes = encoder.encode(text);
    let offset = 0;
    while (offset < bytes.length) offset += await this.#socket.write(bytes.subarray(offset));
  }

  /** Writes `text` one byte at a time, to split lines across reads. */
  async writeBytewise(text: string): Promise<void> {
    for (const byte of encoder.encode(text)) {
      await this.#socket.write(Uint8Array.of(byte));
    }
  }

  /** Closes the connection (as tor does after 515, or when it dies). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#socket.close();
    } catch {
      // Already closed.
    }
  }
}

/** A scripted stand-in for tor's control port. */
export class FakeTorServer {
  readonly #listener: Deno.Listener;
  readonly #accepted: FakeConnection[] = [];
  /** Host and port, for TCP servers. */
  readonly port: number;
  /** Socket path, for Unix servers. */
  readonly path: string | undefined;

  private constructor(listener: Deno.Listener, path?: string) {
    this.#listener = listener;
    this.path = path;
    this.port = listener.addr.transport === "tcp" ? listener.addr.port : 0;
  }

  /** Listens on 127.0.0.1 with a port chosen by the kernel. */
  static tcp(): FakeTorServer {
    return new FakeTorServer(Deno.listen({ hostname: "127.0.0.1", port: 0 }));
  }

  /** Listens on a Unix socket at `path` (its directory must exist). */
  static unix(path: string): FakeTorServer {
    return new FakeTorServer(Deno.listen({ transport: "unix", path }), path);
  }

  /** The endpoint for `connectControl`. */
  get endpoint():
    | { transport: "tcp"; hostname: string; port: number }
    | { transport: "unix"; path: string } {
    return this.path === undefined
      ? { transport: "tcp", hostname: "127.0.0.1", port: this.port }
      : { transport: "unix", path: this.path };
  }

  /** Waits for the next client connection. */
  async accept(): Promise<FakeConnection> {
    const socket = await this.#listener.accept();
    if (this.path === undefined) (socket as Deno.TcpConn).setNoDelay(true);
    const connection = new FakeConnection(socket);
    this.#accepted.push(connection);
    return connection;
  }

  /** Stops listening and closes every accepted connection. */
  close(): void {
    for (const connection of this.#accepted) connection.close();
    try {
      this.#listener.close();
    } catch {
      // Already closed.
    }
  }
}

/** The PROTOCOLINFO reply of a tor that offers `methods`. */
export function protocolInfoReply(
  methods = "NULL",
  options: { version?: string; cookieFile?: string } = {},
): string {
  const cookie = options.cookieFile ? ` COOKIEFILE="${options.cookieFile}"` : "";
  return "250-PROTOCOLINFO 1\r\n" +
    `250-AUTH METHODS=${methods}${cookie}\r\n` +
    `250-VERSION Tor="${options.version ?? "0.4.9.11"}"\r\n` +
    "250 OK\r\n";
}

/** Plays tor's side of PROTOCOLINFO + AUTHENTICATE (NULL) and returns the AUTHENTICATE line. */
export async function acceptNullAuth(connection: FakeConnection): Promise<string> {
  const first = await connection.readLine();
  if (first !== "PROTOCOLINFO 1") throw new Error(`Expected PROTOCOLINFO, got ${first}`);
  await connection.write(protocolInfoReply("NULL"));
  const auth = await connection.readLine();
  await connection.write("250 OK\r\n");
  return auth;
}
