/**
 * Small byte-stream helpers for the SOCKS5 and HTTP clients: exact reads, bounded reads to end
 * of stream, and closing a connection when a deadline passes.
 *
 * Role: shared by the SOCKS5 client and the test network's HTTP client. Knows nothing about the
 * protocols on top.
 *
 * @module
 */

/** Something bytes can be read from (a `Deno.Conn`, or a fake in tests). */
export interface ByteSource {
  read(p: Uint8Array): Promise<number | null>;
}

/** Something bytes can be written to. */
export interface ByteSink {
  write(p: Uint8Array): Promise<number>;
}

/** Something that can be closed. */
export interface Closable {
  close(): void;
}

/** Thrown when the peer closed the stream before the expected bytes arrived. */
export class UnexpectedEofError extends Error {
  constructor(wanted: number, got: number, options?: ErrorOptions) {
    super(`Stream ended early: wanted ${wanted} bytes, got ${got}`, options);
    this.name = "UnexpectedEofError";
  }
}

/** Reads exactly `n` bytes. */
export async function readExact(conn: ByteSource, n: number): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let got = 0;
  while (got < n) {
    const read = await conn.read(out.subarray(got));
    if (read === null) throw new UnexpectedEofError(n, got);
    got += read;
  }
  return out;
}

/**
 * Reads until end of stream.
 *
 * @throws {RangeError} When more than `maxBytes` arrive.
 */
export async function readToEnd(conn: ByteSource, maxBytes: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const buf = new Uint8Array(64 * 1024);
  for (;;) {
    const read = await conn.read(buf);
    if (read === null) break;
    total += read;
    if (total > maxBytes) throw new RangeError(`Response too large: over ${maxBytes} bytes`);
    chunks.push(buf.slice(0, read));
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** Writes all of `bytes`. */
export async function writeAll(conn: ByteSink, bytes: Uint8Array): Promise<void> {
  let sent = 0;
  while (sent < bytes.length) sent += await conn.write(bytes.subarray(sent));
}

/** Thrown when an operation on a connection passed its deadline. */
export class DeadlineError extends Error {
  constructor(what: string, options?: ErrorOptions) {
    super(`Timed out: ${what}`, options);
    this.name = "DeadlineError";
  }
}

/**
 * Runs `body` on `conn`; when `signal` aborts first, closes `conn` (which makes pending reads
 * fail) and throws {@link DeadlineError}.
 */
export async function withDeadline<T>(
  conn: Closable,
  signal: AbortSignal,
  what: string,
  body: () => Promise<T>,
): Promise<T> {
  signal.throwIfAborted();
  let closed = false;
  const onAbort = () => {
    closed = true;
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  };
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    return await body();
  } catch (error) {
    if (closed) throw new DeadlineError(what, { cause: error });
    throw error;
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}
