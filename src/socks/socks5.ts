/**
 * A minimal SOCKS5 client: CONNECT by domain name, with optional username/password
 * authentication, and tor's extended error codes mapped to a typed error.
 *
 * Spec: RFC 1928 (SOCKS5), RFC 1929 (username/password), tor's socks-extensions.txt
 * ("Extended error codes", 0xF0–0xF7, enabled per port with the `ExtendedErrors` flag).
 *
 * Role: used by the balancer's health checks and by the private test network to reach onion
 * addresses through a tor client. With tor's `IsolateSOCKSAuth` (on by default), a distinct
 * username per request gives a fresh circuit. Never resolves names itself: the destination name goes to the proxy as is.
 *
 * @example
 * ```ts ignore
 * const conn = await socks5Connect({ hostname: "xyz….onion", port: 80 }, {
 *   proxy: { hostname: "127.0.0.1", port: 15090 },
 *   auth: { username: crypto.randomUUID(), password: "x" },
 *   signal: AbortSignal.timeout(30_000),
 * });
 * ```
 *
 * @module
 */

import { readExact, withDeadline, writeAll } from "./io.ts";

/** Where the SOCKS5 proxy listens. */
export interface SocksProxy {
  hostname: string;
  port: number;
}

/** The host and port to CONNECT to through the proxy. */
export interface SocksDestination {
  /** A domain name (sent as ATYP 0x03), e.g. an onion address. */
  hostname: string;
  port: number;
}

/** Options of {@link socks5Connect}. */
export interface Socks5ConnectOptions {
  proxy: SocksProxy;
  /** Username/password authentication (RFC 1929); each 1–255 bytes. */
  auth?: { username: string; password: string };
  /** Aborts the handshake (the connection is closed). Default: no deadline. */
  signal?: AbortSignal;
}

/** Why a SOCKS5 exchange failed. */
export type Socks5ErrorKind =
  | "NoAcceptableMethod"
  | "AuthFailed"
  | "ProtocolViolation"
  // RFC 1928 replies.
  | "GeneralFailure"
  | "NotAllowed"
  | "NetworkUnreachable"
  | "HostUnreachable"
  | "ConnectionRefused"
  | "TtlExpired"
  | "CommandNotSupported"
  | "AddressTypeNotSupported"
  // tor's extended errors (socks-extensions.txt).
  | "OnionDescriptorNotFound"
  | "OnionDescriptorInvalid"
  | "OnionIntroFailed"
  | "OnionRendezvousFailed"
  | "OnionMissingClientAuth"
  | "OnionWrongClientAuth"
  | "OnionInvalidAddress"
  | "OnionIntroTimedOut"
  | "UnknownReply";

const REPLY_KINDS: ReadonlyMap<number, Socks5ErrorKind> = new Map([
  [0x01, "GeneralFailure"],
  [0x02, "NotAllowed"],
  [0x03, "NetworkUnreachable"],
  [0x04, "HostUnreachable"],
  [0x05, "ConnectionRefused"],
  [0x06, "TtlExpired"],
  [0x07, "CommandNotSupported"],
  [0x08, "AddressTypeNotSupported"],
  [0xf0, "OnionDescriptorNotFound"],
  [0xf1, "OnionDescriptorInvalid"],
  [0xf2, "OnionIntroFailed"],
  [0xf3, "OnionRendezvousFailed"],
  [0xf4, "OnionMissingClientAuth"],
  [0xf5, "OnionWrongClientAuth"],
  [0xf6, "OnionInvalidAddress"],
  [0xf7, "OnionIntroTimedOut"],
]);

/** The error kind for a non-zero SOCKS5 reply code. */
export function replyKind(code: number): Socks5ErrorKind {
  return REPLY_KINDS.get(code) ?? "UnknownReply";
}

/** A SOCKS5 failure: a refused method or authentication, a bad reply, or a reply code ≠ 0. */
export class Socks5Error extends Error {
  /** What went wrong. */
  readonly kind: Socks5ErrorKind;
  /** The reply code (REP) when the proxy answered the CONNECT with an error. */
  readonly reply: number | undefined;

  constructor(kind: Socks5ErrorKind, message: string, reply?: number, options?: ErrorOptions) {
    super(message, options);
    this.name = "Socks5Error";
    this.kind = kind;
    this.reply = reply;
  }
}

const VERSION = 0x05;
const METHOD_NONE = 0x00;
const METHOD_USERPASS = 0x02;
const NO_ACCEPTABLE = 0xff;
const CMD_CONNECT = 0x01;
const ATYP_IPV4 = 0x01;
const ATYP_DOMAIN = 0x03;
const ATYP_IPV6 = 0x04;

const encoder = new TextEncoder();

function field(what: string, value: string): Uint8Array {
  const bytes = encoder.encode(value);
  if (bytes.length < 1 || bytes.length > 255) {
    throw new RangeError(`Cannot send SOCKS5 ${what}: need 1-255 bytes, got ${bytes.length}`);
  }
  return bytes;
}

/** The method-selection message (RFC 1928 §3): offers user/pass when `withAuth`, else none. */
export function encodeGreeting(withAuth: boolean): Uint8Array {
  return Uint8Array.of(VERSION, 1, withAuth ? METHOD_USERPASS : METHOD_NONE);
}

/** The username/password request (RFC 1929 §2). */
export function encodeUserPass(username: string, password: string): Uint8Array {
  const user = field("username", username);
  const pass = field("password", password);
  return Uint8Array.of(0x01, user.length, ...user, pass.length, ...pass);
}

/** The CONNECT request with a domain-name destination (RFC 1928 §4). */
export function encodeConnect(destination: SocksDestination): Uint8Array {
  const host = field("hostname", destination.hostname);
  const { port } = destination;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RangeError(`Cannot connect to port "${port}": not a TCP port`);
  }
  return Uint8Array.of(
    VERSION,
    CMD_CONNECT,
    0x00,
    ATYP_DOMAIN,
    host.length,
    ...host,
    port >> 8,
    port & 0xff,
  );
}

/**
 * Opens a TCP connection to `destination` through a SOCKS5 proxy.
 *
 * @param destination The host (by name) and port to reach.
 * @param options The proxy, optional credentials and an abort signal.
 * @returns The connection, ready for the application protocol.
 * @throws {Socks5Error} When the proxy refuses; `kind` tells why (e.g. `OnionDescriptorNotFound`).
 * @throws {DeadlineError} When `options.signal` aborts during the handshake.
 */
export async function socks5Connect(
  destination: SocksDestination,
  options: Socks5ConnectOptions,
): Promise<Deno.TcpConn> {
  const request = encodeConnect(destination);
  const auth = options.auth && encodeUserPass(options.auth.username, options.auth.password);
  const conn = await Deno.connect({ hostname: options.proxy.hostname, port: options.proxy.port });
  const signal = options.signal ?? new AbortController().signal;
  try {
    await withDeadline(conn, signal, `SOCKS5 handshake for "${destination.hostname}"`, async () => {
      await negotiate(conn, auth);
      await writeAll(conn, request);
      await readConnectReply(conn);
    });
    return conn;
  } catch (error) {
    try {
      conn.close();
    } catch {
      // Already closed by the deadline.
    }
    throw error;
  }
}

async function negotiate(conn: Deno.TcpConn, auth: Uint8Array | undefined): Promise<void> {
  await writeAll(conn, encodeGreeting(auth !== undefined));
  const [version, method] = await readExact(conn, 2);
  if (version !== VERSION) {
    throw new Socks5Error("ProtocolViolation", `SOCKS5 proxy answered with version "${version}"`);
  }
  if (method === NO_ACCEPTABLE) {
    throw new Socks5Error("NoAcceptableMethod", "SOCKS5 proxy accepted no offered method");
  }
  const wanted = auth === undefined ? METHOD_NONE : METHOD_USERPASS;
  if (method !== wanted) {
    throw new Socks5Error("ProtocolViolation", `SOCKS5 proxy chose unoffered method "${method}"`);
  }
  if (auth === undefined) return;
  await writeAll(conn, auth);
  const [, status] = await readExact(conn, 2);
  if (status !== 0x00) {
    throw new Socks5Error(
      "AuthFailed",
      `SOCKS5 proxy rejected the credentials: status "${status}"`,
    );
  }
}

async function readConnectReply(conn: Deno.TcpConn): Promise<void> {
  const [version, reply, , atyp] = await readExact(conn, 4);
  if (version !== VERSION) {
    throw new Socks5Error("ProtocolViolation", `SOCKS5 reply has version "${version}"`);
  }
  // Consume BND.ADDR and BND.PORT so the stream starts at the application data.
  if (atyp === ATYP_IPV4) await readExact(conn, 4 + 2);
  else if (atyp === ATYP_IPV6) await readExact(conn, 16 + 2);
  else if (atyp === ATYP_DOMAIN) {
    const [length = 0] = await readExact(conn, 1);
    await readExact(conn, length + 2);
  } else if (reply === 0x00) {
    throw new Socks5Error("ProtocolViolation", `SOCKS5 reply has address type "${atyp}"`);
  }
  if (reply !== 0x00 && reply !== undefined) {
    const kind = replyKind(reply);
    const hex = reply.toString(16).padStart(2, "0");
    throw new Socks5Error(
      kind,
      `SOCKS5 proxy refused the connection: reply 0x${hex} (${kind})`,
      reply,
    );
  }
}
