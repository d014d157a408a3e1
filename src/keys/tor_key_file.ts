/**
 * Tor's onion-service key files, as bytes: `hs_ed25519_secret_key` (32-byte
 * tagged header + 64-byte expanded secret key), `hs_ed25519_public_key`
 * (header + 32-byte public key) and `hostname` (`<address>.onion\n`).
 *
 * Spec: rend-spec-v3 Appendix F [HIDSERVDIR-FORMAT]; tor
 * `crypto_format.c: crypto_write_tagged_contents_to_file,
 * crypto_read_tagged_contents_from_file`, `crypto_ed25519.c:
 * ed25519_seckey_read_from_file`, `loadkey.c: ed_key_init_from_file` (the tag
 * must be `type0`), `hs_service.c: load_service_keys, write_address_to_file`.
 * ```
 * header = "== " typestring ": " tag " ==" NUL-padded to 32 bytes
 * secret: "== ed25519v1-secret: type0 ==" 000000 | a (32) | prefix (32)     96 bytes
 * public: "== ed25519v1-public: type0 ==" 000000 | A (32)                   64 bytes
 * ```
 *
 * Role: pure encoders and strict decoders (exact length and header, as tor
 * reads them); file I/O is in `key_file.ts`. Errors name the file when the
 * caller gives one and never contain key material.
 *
 * @module
 */

import { bytesEqual, concat } from "../bytes/mod.ts";
import { KeyError } from "./errors.ts";
import { HsIdKey, HsIdKeypair } from "./identity.ts";
import { encodeOnionAddress, parseOnionAddress } from "./onion_address.ts";

/** Options of the decoders: the file name to put in error messages. */
export interface KeyFileOptions {
  /** The path the bytes came from, for error messages. */
  file?: string;
}

const HEADER_LENGTH = 32;
const SECRET_TYPE = "ed25519v1-secret";
const PUBLIC_TYPE = "ed25519v1-public";
const TAG = "type0";

/** The 32-byte header `== <type>: <tag> ==` + NUL padding. */
function header(type: string, tag: string): Uint8Array {
  const text = new TextEncoder().encode(`== ${type}: ${tag} ==`);
  const out = new Uint8Array(HEADER_LENGTH);
  out.set(text);
  return out;
}

/** The header of `hs_ed25519_secret_key`. */
export const TOR_SECRET_KEY_HEADER: Uint8Array = header(SECRET_TYPE, TAG);
/** The header of `hs_ed25519_public_key`. */
export const TOR_PUBLIC_KEY_HEADER: Uint8Array = header(PUBLIC_TYPE, TAG);

function what(options: KeyFileOptions, fallback: string): string {
  return options.file === undefined ? fallback : `key file "${options.file}"`;
}

/**
 * Checks a tagged file the way tor's `crypto_read_tagged_contents_from_file`
 * does, plus the exact data length and tag, and returns the data.
 */
function untag(
  bytes: Uint8Array,
  type: string,
  dataLength: number,
  options: KeyFileOptions,
  fallback: string,
): Uint8Array {
  const subject = what(options, fallback);
  const fail = (message: string, kind: "BadKeyFile" | "BadLength" = "BadKeyFile") =>
    new KeyError(kind, `Cannot read ${subject}: ${message}`, { file: options.file });
  if (bytes.length < HEADER_LENGTH) {
    throw fail(`truncated: ${bytes.length} bytes, shorter than the 32-byte header`, "BadLength");
  }
  const head = bytes.subarray(0, HEADER_LENGTH);
  const nul = head.indexOf(0);
  const text = new TextDecoder("latin1").decode(head.subarray(0, nul < 0 ? HEADER_LENGTH : nul));
  if (
    !text.startsWith("== ") || !text.endsWith(" ==") ||
    (nul >= 0 && head.subarray(nul).some((b) => b !== 0))
  ) {
    throw fail('bad header: expected "== <type>: <tag> ==" padded with NUL bytes to 32 bytes');
  }
  const [gotType, gotTag] = text.slice(3, -3).split(": ", 2);
  if (gotType !== type) {
    throw fail(`wrong key type ${JSON.stringify(gotType ?? "")} in header, expected "${type}"`);
  }
  if (gotTag !== TAG) {
    throw fail(`wrong tag ${JSON.stringify(gotTag ?? "")} in header, expected "${TAG}"`);
  }
  const expected = HEADER_LENGTH + dataLength;
  if (bytes.length !== expected) {
    const how = bytes.length < expected ? "truncated" : "too long";
    throw fail(`${how}: ${bytes.length} bytes, expected ${expected}`, "BadLength");
  }
  return bytes.slice(HEADER_LENGTH);
}

/**
 * The 96 bytes of `hs_ed25519_secret_key` for a keypair.
 *
 * @example
 * ```ts
 * import { encodeTorSecretKeyFile } from "./tor_key_file.ts";
 * import { HsIdKeypair } from "./identity.ts";
 * encodeTorSecretKeyFile(HsIdKeypair.fromSeed(new Uint8Array(32))).length; // 96
 * ```
 */
export function encodeTorSecretKeyFile(keypair: HsIdKeypair): Uint8Array {
  const expanded = keypair.expandedSecret();
  const out = concat(TOR_SECRET_KEY_HEADER, expanded);
  expanded.fill(0);
  return out;
}

/**
 * Parses `hs_ed25519_secret_key`: exactly 96 bytes, the exact header, then
 * the expanded secret key. The keypair has no seed (tor never stores it).
 *
 * @throws {KeyError} `BadLength` (truncated or too long), `BadKeyFile`
 *   (header, type or tag), `InvalidKey` (the scalar gives no usable key).
 */
export function decodeTorSecretKeyFile(
  bytes: Uint8Array,
  options: KeyFileOptions = {},
): HsIdKeypair {
  const expanded = untag(bytes, SECRET_TYPE, 64, options, "tor secret key");
  try {
    return HsIdKeypair.fromExpanded(expanded);
  } catch (cause) {
    if (!(cause instanceof KeyError)) throw cause;
    throw new KeyError(
      "InvalidKey",
      `Cannot read ${
        what(options, "tor secret key")
      }: the secret scalar gives no usable public key`,
      { cause, file: options.file },
    );
  } finally {
    expanded.fill(0);
  }
}

/** The 64 bytes of `hs_ed25519_public_key` for a public key. */
export function encodeTorPublicKeyFile(key: HsIdKey): Uint8Array {
  return concat(TOR_PUBLIC_KEY_HEADER, key.toBytes());
}

/**
 * Parses `hs_ed25519_public_key`: exactly 64 bytes, the exact header, then
 * the public key, which must be a valid torsion-free point.
 *
 * @throws {KeyError} `BadLength`, `BadKeyFile` or `InvalidKey`.
 */
export function decodeTorPublicKeyFile(bytes: Uint8Array, options: KeyFileOptions = {}): HsIdKey {
  const pub = untag(bytes, PUBLIC_TYPE, 32, options, "tor public key");
  try {
    return HsIdKey.fromBytes(pub);
  } catch (cause) {
    if (!(cause instanceof KeyError)) throw cause;
    throw new KeyError(
      "InvalidKey",
      `Cannot read ${what(options, "tor public key")}: not a valid ed25519 public key`,
      { cause, file: options.file },
    );
  }
}

/** The text of tor's `hostname` file: `<56 lowercase characters>.onion\n`. */
export function encodeHostnameFile(key: HsIdKey): string {
  return `${encodeOnionAddress(key)}\n`;
}

/**
 * Parses a `hostname` file: one v3 address with its `.onion` suffix,
 * optionally followed by one newline (tor writes one).
 *
 * @throws {KeyError} `BadKeyFile` when the shape is wrong, or the address's
 *   own error kind (`BadChecksum`, `V2Address`, …) with the file named.
 */
export function decodeHostnameFile(
  content: string | Uint8Array,
  options: KeyFileOptions = {},
): HsIdKey {
  const subject = what(options, "hostname file");
  const text = typeof content === "string" ? content : new TextDecoder().decode(content);
  const line = text.endsWith("\n") ? text.slice(0, -1) : text;
  if (!/^[a-z2-7]+\.onion$/i.test(line)) {
    throw new KeyError(
      "BadKeyFile",
      `Cannot read ${subject}: expected "<address>.onion" and a newline`,
      {
        file: options.file,
      },
    );
  }
  try {
    return parseOnionAddress(line);
  } catch (cause) {
    if (!(cause instanceof KeyError)) throw cause;
    throw new KeyError(cause.kind, `Cannot read ${subject}: ${cause.message}`, {
      cause,
      file: options.file,
    });
  }
}

/** Whether bytes start like a tor tagged key file of the given type (for format detection). */
export function hasTorKeyHeader(bytes: Uint8Array, which: "secret" | "public"): boolean {
  const prefix = new TextEncoder().encode(`== ${which === "secret" ? SECRET_TYPE : PUBLIC_TYPE}:`);
  return bytes.length >= prefix.length && bytesEqual(bytes.subarray(0, prefix.length), prefix);
}
