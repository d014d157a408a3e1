/**
 * A tiny HTTP/1.0 GET client: over a direct TCP connection (a tor DirPort on loopback) or
 * through a SOCKS5 proxy (a tor client's SocksPort, for onion addresses).
 *
 * Spec: RFC 1945 (HTTP/1.0). The request has no `Accept-Encoding`, so tor answers uncompressed;
 * the response is read to end of stream (HTTP/1.0 closes the connection after the body).
 *
 * Role: test tooling. Every call takes an abort signal and closes its connection.
 *
 * @example
 * ```ts ignore
 * const res = await httpGetViaSocks("http://xyz….onion/", {
 *   proxy: { hostname: "127.0.0.1", port: 15090 },
 *   isolation: crypto.randomUUID(),
 *   signal: AbortSignal.timeout(30_000),
 * });
 * console.log(res.status, res.text());
 * ```
 *
 * @module
 */

import { readToEnd, withDeadline, writeAll } from "../../src/socks/mod.ts";
import { socks5Connect, type SocksProxy } from "../../src/socks/mod.ts";

/** A parsed HTTP response. */
export interface HttpResponse {
  status: number;
  reason: string;
  /** Header names in lower case; a repeated header keeps its last value. */
  headers: Record<string, string>;
  body: Uint8Array;
  /** The body decoded as UTF-8. */
  text(): string;
}

/** Thrown when a response is not HTTP. */
export class HttpParseError extends SyntaxError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "HttpParseError";
  }
}

/** Options of {@link httpGet}. */
export interface HttpGetOptions {
  /** Value of the `Host` header. */
  host: string;
  /** Request path, starting with `/`. Default `/`. */
  path?: string;
  /** Deadline for the whole exchange. Default: none. */
  signal?: AbortSignal;
  /** Largest response accepted. Default 16 MiB. */
  maxBytes?: number;
}

/** Options of {@link httpGetDirect}. */
export interface HttpGetDirectOptions {
  signal?: AbortSignal;
  maxBytes?: number;
}

/** Options of {@link httpGetViaSocks}. */
export interface HttpGetViaSocksOptions {
  proxy: SocksProxy;
  /** SOCKS username; with tor's `IsolateSOCKSAuth` a new value means a new circuit. */
  isolation?: string;
  signal?: AbortSignal;
  maxBytes?: number;
}

const decoder = new TextDecoder();
const HEADER_END = [13, 10, 13, 10];

/**
 * Parses a complete HTTP/1.x response.
 *
 * @throws {HttpParseError} When the status line or the header block is malformed.
 */
export function parseHttpResponse(bytes: Uint8Array): HttpResponse {
  const end = indexOf(bytes, HEADER_END);
  if (end < 0) throw new HttpParseError("Cannot parse HTTP response: no end of headers");
  const [statusLine = "", ...headerLines] = decoder.decode(bytes.subarray(0, end)).split("\r\n");
  const match = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(statusLine);
  if (match === null) {
    throw new HttpParseError(`Cannot parse HTTP response: bad status line "${statusLine}"`);
  }
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(":");
    if (colon <= 0) throw new HttpParseError(`Cannot parse HTTP response: bad header "${line}"`);
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const body = bytes.slice(end + HEADER_END.length);
  return {
    status: Number(match[1]),
    reason: match[2] ?? "",
    headers,
    body,
    text: () => decoder.decode(body),
  };
}

function indexOf(haystack: Uint8Array, needle: readonly number[]): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/**
 * Sends `GET <path> HTTP/1.0` on an open connection and reads the response. Closes `conn`.
 *
 * @throws {DeadlineError} When `options.signal` aborts first.
 * @throws {HttpParseError} When the answer is not HTTP.
 */
export async function httpGet(conn: Deno.Conn, options: HttpGetOptions): Promise<HttpResponse> {
  const path = options.path ?? "/";
  if (!path.startsWith("/") || /[\s]/.test(path) || /[\s]/.test(options.host)) {
    throw new TypeError(`Cannot request "${options.host}${path}": bad host or path`);
  }
  const request = `GET ${path} HTTP/1.0\r\nHost: ${options.host}\r\nConnection: close\r\n\r\n`;
  const signal = options.signal ?? new AbortController().signal;
  try {
    const bytes = await withDeadline(conn, signal, `GET "${options.host}${path}"`, async () => {
      await writeAll(conn, new TextEncoder().encode(request));
      return await readToEnd(conn, options.maxBytes ?? 16 * 1024 * 1024);
    });
    return parseHttpResponse(bytes);
  } finally {
    try {
      conn.close();
    } catch {
      // Already closed by the deadline.
    }
  }
}

/** GET over a direct TCP connection, e.g. to a tor DirPort. */
export async function httpGetDirect(
  target: { hostname: string; port: number; path: string },
  options: HttpGetDirectOptions = {},
): Promise<HttpResponse> {
  const conn = await Deno.connect({ hostname: target.hostname, port: target.port });
  return await httpGet(conn, {
    host: `${target.hostname}:${target.port}`,
    path: target.path,
    ...options,
  });
}

/**
 * GET an `http://` URL through a SOCKS5 proxy; the proxy resolves the name.
 *
 * @throws {Socks5Error} When the proxy cannot connect (tor's onion errors included).
 */
export async function httpGetViaSocks(
  url: string | URL,
  options: HttpGetViaSocksOptions,
): Promise<HttpResponse> {
  const target = new URL(url);
  if (target.protocol !== "http:") throw new TypeError(`Cannot GET "${target}": only http:`);
  const port = target.port === "" ? 80 : Number(target.port);
  const conn = await socks5Connect({ hostname: target.hostname, port }, {
    proxy: options.proxy,
    signal: options.signal,
    auth: options.isolation === undefined
      ? undefined
      : { username: options.isolation, password: "x" },
  });
  return await httpGet(conn, {
    host: target.host,
    path: `${target.pathname}${target.search}`,
    signal: options.signal,
    maxBytes: options.maxBytes,
  });
}
