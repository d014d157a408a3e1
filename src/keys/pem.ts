/**
 * Unencrypted PKCS#8 PEM Ed25519 private keys, the format OnionBalance's
 * `onionbalance-config` writes (Python `cryptography`, `PrivateFormat.PKCS8`)
 * and OnionBalance 0.2.x loads first.
 *
 * Spec: RFC 8410 §7 (PKCS#8 v1 `PrivateKeyInfo` for Ed25519), RFC 7468 (PEM
 * text encoding); OnionBalance `hs_v3/service.py: _load_service_keys` (the
 * unencrypted PKCS#8 PEM that `config_generator/config_generator.py` writes).
 * ```
 * DER = 30 2e 02 01 00 30 05 06 03 2b 65 70 04 22 04 20 | seed (32 bytes)
 * PEM = "-----BEGIN PRIVATE KEY-----\n" base64(DER) "\n-----END PRIVATE KEY-----\n"
 * ```
 *
 * Role: pure encoder and strict decoder: exactly one `PRIVATE KEY` block and
 * exactly the 48-byte DER above. Other PKCS#8 forms (v2 with the public key,
 * encrypted keys, other algorithms) are refused with a message that says
 * which. Errors never contain key material.
 *
 * @module
 */

import { bytesEqual, BytesError, concat, fromBase64, fromHex, toBase64 } from "../bytes/mod.ts";
import { KeyError } from "./errors.ts";
import { HsIdKeypair } from "./identity.ts";
import type { KeyFileOptions } from "./tor_key_file.ts";

/** The fixed DER prefix of an unencrypted PKCS#8 v1 Ed25519 key (RFC 8410 §7). */
export const PKCS8_ED25519_PREFIX: Uint8Array = fromHex("302e020100300506032b657004220420");

const BEGIN = "-----BEGIN PRIVATE KEY-----";
const END = "-----END PRIVATE KEY-----";
/** Object identifiers (DER content bytes) used to say what a refused key is. */
const OID_ED25519 = fromHex("06032b6570");
const OID_X25519 = fromHex("06032b656e");
/** rsaEncryption (1.2.840.113549.1.1.1): the algorithm of v2 onion service keys. */
const OID_RSA = fromHex("06092a864886f70d010101");
/** Why an RSA key is refused: it is a v2 onion service's key (tor's v2 `private_key` is PKCS#1 PEM). */
const V2_RSA_KEY =
  "an RSA key, as v2 onion services used, and Tor removed v2 onion services in 0.4.6; use a v3 (Ed25519) key";

/**
 * The PEM text for a seed-based keypair, byte-for-byte what Python
 * `cryptography` writes (one 64-character base64 line).
 *
 * @throws {TypeError} When the keypair has no seed (it came from tor's
 *   expanded key file, from which no seed can be recovered).
 *
 * @example
 * ```ts
 * import { encodePkcs8Pem } from "./pem.ts";
 * import { HsIdKeypair } from "./identity.ts";
 * encodePkcs8Pem(HsIdKeypair.fromSeed(new Uint8Array(32))).split("\n")[0];
 * // "-----BEGIN PRIVATE KEY-----"
 * ```
 */
export function encodePkcs8Pem(keypair: HsIdKeypair): string {
  const seed = keypair.seed();
  if (seed === undefined) {
    throw new TypeError(
      "Cannot write PEM key: the key has no seed (it was loaded from tor's expanded key format)",
    );
  }
  const der = concat(PKCS8_ED25519_PREFIX, seed);
  const b64 = toBase64(der);
  seed.fill(0);
  der.fill(0);
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `${BEGIN}\n${lines.join("\n")}\n${END}\n`;
}

/**
 * Parses an unencrypted PKCS#8 v1 Ed25519 PEM key. Accepts LF or CRLF line
 * ends, surrounding whitespace, and base64 split over several lines; nothing
 * else.
 *
 * @throws {KeyError} `UnsupportedKeyFile` for an encrypted key, another PEM
 *   type or another algorithm; `BadKeyFile` for broken armor, base64 or DER.
 */
export function decodePkcs8Pem(
  content: string | Uint8Array,
  options: KeyFileOptions = {},
): HsIdKeypair {
  const subject = options.file === undefined ? "PEM key" : `key file "${options.file}"`;
  const fail = (kind: "BadKeyFile" | "UnsupportedKeyFile", message: string, cause?: unknown) =>
    new KeyError(kind, `Cannot read ${subject}: ${message}`, { cause, file: options.file });
  const text = typeof content === "string" ? content : new TextDecoder().decode(content);
  const lines = text.trim().split(/\r?\n/);
  const first = lines[0] ?? "";
  const label = /^-----BEGIN ([A-Z0-9 ]+)-----$/.exec(first)?.[1];
  if (label === undefined) throw fail("BadKeyFile", `expected "${BEGIN}" on the first line`);
  if (label === "ENCRYPTED PRIVATE KEY") {
    throw fail("UnsupportedKeyFile", "encrypted PEM keys are not supported; store it unencrypted");
  }
  if (label === "RSA PRIVATE KEY") {
    throw fail("UnsupportedKeyFile", `a "RSA PRIVATE KEY" PEM block: ${V2_RSA_KEY}`);
  }
  if (label !== "PRIVATE KEY") {
    throw fail("UnsupportedKeyFile", `a "${label}" PEM block, expected an Ed25519 "PRIVATE KEY"`);
  }
  const endAt = lines.indexOf(END);
  if (endAt < 0) throw fail("BadKeyFile", `no "${END}" line`);
  if (endAt !== lines.length - 1) throw fail("BadKeyFile", `text after "${END}"`);
  const body = lines.slice(1, endAt);
  if (body.length === 0 || body.some((l) => !/^[A-Za-z0-9+/=]+$/.test(l))) {
    throw fail("BadKeyFile", "the PEM body is not base64");
  }
  let der: Uint8Array;
  try {
    der = fromBase64(body.join(""));
  } catch (cause) {
    if (!(cause instanceof BytesError)) throw cause;
    throw fail("BadKeyFile", "the PEM body is not base64", cause);
  }
  try {
    return keypairFromDer(der, fail);
  } finally {
    der.fill(0);
  }
}

function keypairFromDer(
  der: Uint8Array,
  fail: (kind: "BadKeyFile" | "UnsupportedKeyFile", message: string) => KeyError,
): HsIdKeypair {
  const prefix = PKCS8_ED25519_PREFIX;
  if (der.length === prefix.length + 32 && bytesEqual(der.subarray(0, prefix.length), prefix)) {
    return HsIdKeypair.fromSeed(der.subarray(prefix.length));
  }
  if (contains(der, OID_X25519)) {
    throw fail("UnsupportedKeyFile", "an X25519 key, expected an Ed25519 key");
  }
  if (contains(der, OID_RSA)) throw fail("UnsupportedKeyFile", V2_RSA_KEY);
  if (contains(der, OID_ED25519)) {
    throw fail(
      "UnsupportedKeyFile",
      "an Ed25519 key in a PKCS#8 form other than v1 without public key (the form onionbalance-config writes)",
    );
  }
  if (der[0] === 0x30) {
    throw fail("UnsupportedKeyFile", "not an Ed25519 key (another algorithm)");
  }
  throw fail("BadKeyFile", "the PEM body is not a PKCS#8 structure");
}

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}
