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
 * An `ENCRYPTED PRIVATE KEY` block (RFC 5958 §3, PBES2 as `openssl pkcs8
 * -topk8 -v2` writes it) is decrypted with the passphrase given by the caller,
 * through `src/crypto/pkcs8.ts`, to the same Ed25519 seed.
 *
 * Role: pure encoder and strict decoder: exactly one `PRIVATE KEY` (or
 * `ENCRYPTED PRIVATE KEY`) block and exactly the 48-byte DER above. Other
 * PKCS#8 forms (v2 with the public key, other algorithms, encryption schemes
 * OpenSSL cannot read here) are refused with a message that says which. The
 * passphrase comes from the caller (see `passphrase.ts`). Errors never contain
 * key material or the passphrase.
 *
 * @module
 */

import { bytesEqual, BytesError, concat, fromBase64, fromHex, toBase64 } from "../bytes/mod.ts";
import { decryptEd25519Pkcs8Pem, encryptEd25519Pkcs8Pem, Pkcs8Error } from "../crypto/mod.ts";
import { KeyError, type KeyErrorKind } from "./errors.ts";
import { HsIdKeypair } from "./identity.ts";
import type { KeyFileOptions } from "./tor_key_file.ts";

/** Options of {@link decodePkcs8Pem}. */
export interface PemKeyOptions extends KeyFileOptions {
  /**
   * The passphrase of an `ENCRYPTED PRIVATE KEY` block (bytes, as read from a
   * file; not modified). Ignored for an unencrypted key.
   */
  passphrase?: Uint8Array;
}

/** The fixed DER prefix of an unencrypted PKCS#8 v1 Ed25519 key (RFC 8410 §7). */
export const PKCS8_ED25519_PREFIX: Uint8Array = fromHex("302e020100300506032b657004220420");

const BEGIN = "-----BEGIN PRIVATE KEY-----";
const END = "-----END PRIVATE KEY-----";
const ENCRYPTED = "ENCRYPTED PRIVATE KEY";
/** Where a passphrase can come from, for the `PassphraseRequired` message. */
const PASSPHRASE_SOURCES =
  '--passphrase-file, "passphrase-file" in config.yaml, or the systemd credential';
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
 * The `ENCRYPTED PRIVATE KEY` PEM text for a seed-based keypair: PBES2,
 * PBKDF2-HMAC-SHA256 (2048 iterations), AES-256-CBC, which `openssl pkey
 * -passin` reads (see `src/crypto/pkcs8.ts`; re-wrap with `openssl pkcs8
 * -topk8 -v2 aes-256-cbc -iter 600000` or `-scrypt` for a stronger KDF).
 *
 * @param keypair A key with a seed.
 * @param passphrase The passphrase bytes (not modified).
 * @throws {TypeError} When the keypair has no seed (see {@link encodePkcs8Pem}).
 * @throws {RangeError} When the passphrase is empty.
 */
export function encodeEncryptedPkcs8Pem(keypair: HsIdKeypair, passphrase: Uint8Array): string {
  const seed = keypair.seed();
  if (seed === undefined) {
    throw new TypeError(
      "Cannot write PEM key: the key has no seed (it was loaded from tor's expanded key format)",
    );
  }
  try {
    return encryptEd25519Pkcs8Pem(seed, passphrase);
  } finally {
    seed.fill(0);
  }
}

/**
 * Whether `content` is an `ENCRYPTED PRIVATE KEY` PEM block: its first line,
 * after leading whitespace, is the `-----BEGIN ENCRYPTED PRIVATE KEY-----`
 * line. Reads nothing past that line.
 *
 * @param content A key file's text or bytes.
 * @returns True for an encrypted PKCS#8 PEM key (which needs a passphrase).
 *
 * @example
 * ```ts
 * import { isEncryptedPem } from "./pem.ts";
 * isEncryptedPem("\n-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIGj...\n"); // true
 * isEncryptedPem("-----BEGIN PRIVATE KEY-----\n"); // false
 * ```
 */
export function isEncryptedPem(content: string | Uint8Array): boolean {
  const line = `-----BEGIN ${ENCRYPTED}-----`;
  let head: string;
  if (typeof content === "string") {
    head = content.trimStart().slice(0, line.length + 2);
  } else {
    let i = 0;
    while (i < content.length && [0x09, 0x0a, 0x0d, 0x20].includes(content[i]!)) i++;
    head = new TextDecoder("latin1").decode(content.subarray(i, i + line.length + 2));
  }
  return head === line || head.startsWith(`${line}\n`) || head.startsWith(`${line}\r\n`);
}

/**
 * Parses a PKCS#8 v1 Ed25519 PEM key, unencrypted or (with
 * `options.passphrase`) encrypted. Accepts LF or CRLF line ends, surrounding
 * whitespace, and base64 split over several lines; nothing else.
 *
 * @throws {KeyError} `PassphraseRequired` for an encrypted key without a
 *   passphrase; `WrongPassphrase` when the passphrase does not decrypt it (or
 *   OpenSSL cannot read its encryption); `UnsupportedKeyFile` for another PEM
 *   type, another algorithm or an encryption scheme we cannot read;
 *   `BadKeyFile` for broken armor, base64 or DER.
 */
export function decodePkcs8Pem(
  content: string | Uint8Array,
  options: PemKeyOptions = {},
): HsIdKeypair {
  const subject = options.file === undefined ? "PEM key" : `key file "${options.file}"`;
  const fail = (kind: "BadKeyFile" | "UnsupportedKeyFile", message: string, cause?: unknown) =>
    new KeyError(kind, `Cannot read ${subject}: ${message}`, { cause, file: options.file });
  const text = typeof content === "string" ? content : new TextDecoder().decode(content);
  const lines = text.trim().split(/\r?\n/);
  const first = lines[0] ?? "";
  const label = /^-----BEGIN ([A-Z0-9 ]+)-----$/.exec(first)?.[1];
  if (label === undefined) throw fail("BadKeyFile", `expected "${BEGIN}" on the first line`);
  if (label === "RSA PRIVATE KEY") {
    throw fail("UnsupportedKeyFile", `a "RSA PRIVATE KEY" PEM block: ${V2_RSA_KEY}`);
  }
  if (label !== "PRIVATE KEY" && label !== ENCRYPTED) {
    throw fail("UnsupportedKeyFile", `a "${label}" PEM block, expected an Ed25519 "PRIVATE KEY"`);
  }
  const end = `-----END ${label}-----`;
  const endAt = lines.indexOf(end);
  if (endAt < 0) throw fail("BadKeyFile", `no "${end}" line`);
  if (endAt !== lines.length - 1) throw fail("BadKeyFile", `text after "${end}"`);
  const body = lines.slice(1, endAt);
  if (body.length === 0 || body.some((l) => !/^[A-Za-z0-9+/=]+$/.test(l))) {
    throw fail("BadKeyFile", "the PEM body is not base64");
  }
  if (label === ENCRYPTED) return decryptBlock(lines.join("\n"), subject, options);
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

/** Decrypts a well-armored `ENCRYPTED PRIVATE KEY` block, as a {@link KeyError}. */
function decryptBlock(pem: string, subject: string, options: PemKeyOptions): HsIdKeypair {
  const fail = (kind: KeyErrorKind, message: string, cause?: unknown) =>
    new KeyError(kind, `Cannot read ${subject}: ${message}`, { cause, file: options.file });
  if (options.passphrase === undefined) {
    throw fail(
      "PassphraseRequired",
      `it is encrypted; give its passphrase (${PASSPHRASE_SOURCES})`,
    );
  }
  let seed: Uint8Array;
  try {
    seed = decryptEd25519Pkcs8Pem(pem, options.passphrase);
  } catch (cause) {
    if (!(cause instanceof Pkcs8Error)) throw cause;
    switch (cause.kind) {
      case "WrongPassphrase":
        throw fail("WrongPassphrase", cause.reason, cause);
      case "UnsupportedEncryption":
        throw fail("UnsupportedKeyFile", cause.reason, cause);
      case "NotEd25519":
        throw fail("UnsupportedKeyFile", notEd25519(cause.keyType), cause);
      case "Malformed":
        throw fail("BadKeyFile", cause.reason, cause);
    }
  }
  try {
    return HsIdKeypair.fromSeed(seed);
  } finally {
    seed.fill(0);
  }
}

/** Why an encrypted key of another algorithm is refused. */
function notEd25519(keyType: string | undefined): string {
  if (keyType === "rsa") return V2_RSA_KEY;
  if (keyType === "x25519") return "an encrypted X25519 key, expected an Ed25519 key";
  return `an encrypted key of type "${keyType}", expected an Ed25519 key`;
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
