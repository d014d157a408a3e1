/**
 * A SOCKS5 client (RFC 1928, RFC 1929 username/password) for tor's SocksPort,
 * with tor's extended onion-service error codes (prop304; tor manual `SocksPort`
 * flag `ExtendedErrors`; tor `lib/net/socks5_status.h: socks5_reply_status_t`:
 * 0xF0 descriptor not found … 0xF7), and the byte-stream helpers it uses.
 *
 * Role: the balancer's health checks connect to backends' own onion
 * addresses through it; the private test network fetches pages with it.
 *
 * @example
 * ```ts ignore
 * import { socks5Connect } from "./mod.ts";
 * const conn = await socks5Connect(
 *   { hostname: "xxxxxxxx.onion", port: 80 },
 *   { proxy: { hostname: "127.0.0.1", port: 9050 }, auth: { username: "check-1", password: "x" } },
 * );
 * conn.close();
 * ```
 *
 * @module
 */

export {
  encodeConnect,
  encodeGreeting,
  encodeUserPass,
  replyKind,
  socks5Connect,
  type Socks5ConnectOptions,
  Socks5Error,
  type Socks5ErrorKind,
  type SocksDestination,
  type SocksProxy,
} from "./socks5.ts";
export {
  type ByteSink,
  type ByteSource,
  type Closable,
  DeadlineError,
  readExact,
  readToEnd,
  UnexpectedEofError,
  withDeadline,
  writeAll,
} from "./io.ts";
