/**
 * Authentication to tor's control port: NULL, HASHEDPASSWORD, COOKIE and SAFECOOKIE, chosen from
 * what PROTOCOLINFO offers.
 *
 * Spec: control-spec §3.5 AUTHENTICATE, §3.24 AUTHCHALLENGE, §5.1 "Authentication";
 * tor `feature/control/control_auth.c`.
 *
 * Role: called by the handshake in `connect.ts` on every new connection (so a reconnect re-reads
 * the cookie, which tor rewrites when it restarts). Secret handling: the password comes only from
 * a file (refused, unread, if group or others may access it) or an environment variable named by
 * the operator, never from argv; cookie, password and HMACs are sent to tor and never logged or put
 * in error messages. SAFECOOKIE verifies tor's
 * SERVERHASH (in constant time) before answering, so a process that merely listens on the port
 * cannot learn a value it could replay.
 *
 * HMAC-SHA256, the constant-time comparison and the system randomness come from `src/crypto/`.
 *
 * @module
 */

import { fromHex, toHex } from "../bytes/mod.ts";
import { constantTimeEqual, hmacSha256, type Rng, systemRng } from "../crypto/mod.ts";
import { readSecretFile, SecretFileError } from "../keys/mod.ts";
import type { ControlRequester } from "./connection.ts";
import { ControlAuthError, ControlOperationFailed, ControlProtocolError } from "./errors.ts";
import type { ProtocolInfo } from "./protocol_info.ts";
import { splitReplyLine } from "./reply_line.ts";

/** The authentication methods of control-spec §3.5. */
export type AuthMethod = "NULL" | "HASHEDPASSWORD" | "COOKIE" | "SAFECOOKIE";

/** Where the control password is: a file (first line) or an environment variable. */
export type PasswordSource =
  | { readonly passwordFile: string }
  | { readonly passwordEnv: string };

/** How to authenticate. */
export interface AuthOptions {
  /** The password for HASHEDPASSWORD. */
  password?: PasswordSource;
  /** Use this method only. Default: NULL, then HASHEDPASSWORD (if a password is given), then
   * SAFECOOKIE, then COOKIE, whichever tor offers first. */
  method?: AuthMethod;
  /** Read the cookie here instead of where tor says (e.g. tor in a container). */
  cookieFile?: string;
  /** Source of the SAFECOOKIE client nonce. Default `systemRng` (WebCrypto). */
  rng?: Rng;
  /** Cancels the exchange. */
  signal?: AbortSignal;
}

/** control-spec §3.24: the two HMAC keys of SAFECOOKIE. */
const SERVER_TO_CONTROLLER = "Tor safe cookie authentication server-to-controller hash";
const CONTROLLER_TO_SERVER = "Tor safe cookie authentication controller-to-server hash";
const COOKIE_LENGTH = 32;
const NONCE_LENGTH = 32;
const encoder = new TextEncoder();

/** The two nonces of a SAFECOOKIE exchange (32 bytes each). */
export interface SafeCookieNonces {
  /** The nonce we sent in AUTHCHALLENGE. */
  readonly clientNonce: Uint8Array;
  /** The SERVERNONCE tor answered with. */
  readonly serverNonce: Uint8Array;
}

/**
 * The two SAFECOOKIE hashes (control-spec §3.24):
 *
 *   ServerHash = HMAC-SHA256("Tor safe cookie authentication server-to-controller hash",
 *                            CookieString | ClientNonce | ServerNonce)
 *   ClientHash = HMAC-SHA256("Tor safe cookie authentication controller-to-server hash",
 *                            CookieString | ClientNonce | ServerNonce)
 *
 * The constant string is the HMAC *key*; the cookie and nonces are the message.
 *
 * @param cookie The 32-byte cookie.
 * @param nonces Our `clientNonce` and tor's `serverNonce`.
 * @returns `serverHash` (to check tor's) and `clientHash` (to send).
 */
export function safeCookieHashes(
  cookie: Uint8Array,
  nonces: SafeCookieNonces,
): { serverHash: Uint8Array; clientHash: Uint8Array } {
  const message = new Uint8Array([...cookie, ...nonces.clientNonce, ...nonces.serverNonce]);
  return {
    serverHash: hmacSha256(SERVER_TO_CONTROLLER, message),
    clientHash: hmacSha256(CONTROLLER_TO_SERVER, message),
  };
}

/**
 * Picks the method to use from what tor offers.
 *
 * @param info The PROTOCOLINFO answer.
 * @param options The forced method and whether a password is configured.
 * @returns The method.
 * @throws {ControlAuthError} `NoUsableMethod` if nothing fits, `PasswordRequired` if
 *   HASHEDPASSWORD is the only choice (offered alone, or forced) and no password source is
 *   configured.
 */
export function chooseAuthMethod(
  info: ProtocolInfo,
  options: Pick<AuthOptions, "method" | "password"> = {},
): AuthMethod {
  const offered = info.authMethods;
  const list = offered.length > 0 ? offered.join(", ") : "none";
  const passwordRequired = () =>
    new ControlAuthError(
      "PasswordRequired",
      "Cannot authenticate: tor requires a password (HashedControlPassword); configure a password file or environment variable",
    );
  if (
    options.method === "HASHEDPASSWORD" && !options.password && offered.includes("HASHEDPASSWORD")
  ) {
    throw passwordRequired();
  }
  if (options.method) {
    if (offered.includes(options.method)) return options.method;
    throw new ControlAuthError(
      "NoUsableMethod",
      `Cannot authenticate with "${options.method}": tor offers only ${list}`,
    );
  }
  if (offered.includes("NULL")) return "NULL";
  if (offered.includes("HASHEDPASSWORD") && options.password) return "HASHEDPASSWORD";
  if (offered.includes("SAFECOOKIE")) return "SAFECOOKIE";
  if (offered.includes("COOKIE")) return "COOKIE";
  if (offered.includes("HASHEDPASSWORD")) throw passwordRequired();
  throw new ControlAuthError(
    "NoUsableMethod",
    `Cannot authenticate: tor offers no known method (${list})`,
  );
}

/**
 * Reads the control password from its source. A file's trailing line break is removed.
 *
 * Like tor and ssh with their secrets, refuses a password file that group or others may access
 * (any of the bits 0o077), before reading it. The check is made on the open file, so it is the
 * file actually read (after symlinks) that counts; where the platform has no Unix modes (`mode` is
 * null, Windows) there is nothing to check.
 *
 * @param source The file path or environment variable name.
 * @returns The password.
 * @throws {ControlAuthError} `PasswordUnreadable` if the file cannot be read or the variable is
 *   unset; `PasswordFileInsecure` if group or others may access the file (the message names the
 *   file and the `chmod` that fixes it).
 */
export async function readPassword(source: PasswordSource): Promise<string> {
  if ("passwordEnv" in source) {
    const value = Deno.env.get(source.passwordEnv);
    if (value === undefined) {
      throw new ControlAuthError(
        "PasswordUnreadable",
        `Cannot read the control password: environment variable "${source.passwordEnv}" is not set`,
      );
    }
    return value;
  }
  const path = source.passwordFile;
  let bytes: Uint8Array;
  try {
    bytes = await readSecretFile(path);
  } catch (error) {
    if (!(error instanceof SecretFileError)) throw error;
    if (error.kind === "Insecure") {
      throw new ControlAuthError(
        "PasswordFileInsecure",
        `Control password file ${path} ${error.message}`,
      );
    }
    throw new ControlAuthError(
      "PasswordUnreadable",
      `Cannot read the control password file "${path}": ${reason(error.cause)}`,
      { cause: error.cause },
    );
  }
  try {
    return new TextDecoder().decode(bytes).replace(/\r?\n$/, "");
  } finally {
    bytes.fill(0);
  }
}

function reason(error: unknown): string {
  if (error instanceof Deno.errors.NotFound) return "no such file";
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (error instanceof Deno.errors.NotCapable) return "Deno was not given --allow-read for it";
  return error instanceof Error ? error.message : String(error);
}

/** control-spec §5.1: the cookie file must hold exactly 32 bytes. */
async function readCookie(path: string | undefined): Promise<Uint8Array> {
  if (path === undefined) {
    throw new ControlAuthError(
      "CookieUnreadable",
      "Cannot read tor's auth cookie: tor did not say where it is",
    );
  }
  let cookie: Uint8Array;
  try {
    cookie = await Deno.readFile(path);
  } catch (error) {
    const hint = error instanceof Deno.errors.PermissionDenied
      ? " (is this user in tor's group, e.g. debian-tor?)"
      : "";
    throw new ControlAuthError(
      "CookieUnreadable",
      `Cannot read tor's auth cookie "${path}": ${reason(error)}${hint}`,
      { cause: error },
    );
  }
  if (cookie.length !== COOKIE_LENGTH) {
    throw new ControlAuthError(
      "CookieWrongSize",
      `Cannot use tor's auth cookie "${path}": it is ${cookie.length} bytes, expected ${COOKIE_LENGTH}`,
    );
  }
  return cookie;
}

/**
 * Authenticates a fresh connection with the best method tor offers (see {@link chooseAuthMethod}).
 *
 * @param conn The connection, after PROTOCOLINFO.
 * @param info The PROTOCOLINFO answer.
 * @param options Password source, forced method, cookie path, nonce source, signal.
 * @returns The method used.
 * @throws {ControlAuthError} If no method fits, a secret cannot be read, tor's SAFECOOKIE hash is
 *   wrong, or tor rejects the credentials (it then closes the connection).
 */
export async function authenticate(
  conn: ControlRequester,
  info: ProtocolInfo,
  options: AuthOptions = {},
): Promise<AuthMethod> {
  const method = chooseAuthMethod(info, options);
  const signal = options.signal ? { signal: options.signal } : {};
  const cookieFile = options.cookieFile ?? info.cookieFile;
  let argument = "";
  if (method === "HASHEDPASSWORD") {
    // Sent as hex of the UTF-8 bytes: no quoting rules to get wrong (control-spec §3.5).
    argument = ` ${toHex(encoder.encode(await readPassword(options.password!)))}`;
  } else if (method === "COOKIE") {
    argument = ` ${toHex(await readCookie(cookieFile))}`;
  } else if (method === "SAFECOOKIE") {
    argument = ` ${await safeCookieResponse(conn, await readCookie(cookieFile), options)}`;
  }
  try {
    await conn.request(`AUTHENTICATE${argument}`, signal);
  } catch (error) {
    if (!(error instanceof ControlOperationFailed)) throw error;
    const hint = method === "HASHEDPASSWORD" ? " (wrong password?)" : "";
    throw new ControlAuthError(
      "Rejected",
      `Tor rejected ${method} authentication${hint}: ${error.code} ${error.replyText}`,
      { cause: error },
    );
  }
  return method;
}

/** AUTHCHALLENGE, check SERVERHASH, and return the hex ClientHash to send. */
async function safeCookieResponse(
  conn: ControlRequester,
  cookie: Uint8Array,
  options: AuthOptions,
): Promise<string> {
  const clientNonce = (options.rng ?? systemRng)(NONCE_LENGTH);
  const reply = await conn.request(
    `AUTHCHALLENGE SAFECOOKIE ${toHex(clientNonce)}`,
    options.signal ? { signal: options.signal } : {},
  );
  const text = reply.lines[0]?.text ?? "";
  const { positional, keywords } = splitReplyLine(text);
  const serverHashHex = keywords.get("SERVERHASH") ?? "";
  const serverNonceHex = keywords.get("SERVERNONCE") ?? "";
  if (
    positional[0] !== "AUTHCHALLENGE" || !/^[0-9A-Fa-f]{64}$/.test(serverHashHex) ||
    !/^[0-9A-Fa-f]{64}$/.test(serverNonceHex)
  ) {
    throw new ControlProtocolError(
      "MalformedReply",
      "Cannot parse the AUTHCHALLENGE reply: expected SERVERHASH and SERVERNONCE of 32 bytes each",
    );
  }
  const { serverHash, clientHash } = safeCookieHashes(cookie, {
    clientNonce,
    serverNonce: fromHex(serverNonceHex),
  });
  if (!constantTimeEqual(serverHash, fromHex(serverHashHex))) {
    throw new ControlAuthError(
      "ServerHashMismatch",
      "Tor's SAFECOOKIE server hash does not match the cookie file: the file belongs to another tor, or the peer is not tor",
    );
  }
  return toHex(clientHash);
}
