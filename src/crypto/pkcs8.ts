/**
 * Passphrase-encrypted PKCS#8 Ed25519 keys (`ENCRYPTED PRIVATE KEY`, PBES2),
 * as `openssl genpkey -aes-256-cbc` and `openssl pkcs8 -topk8 -v2` write
 * them, through the OpenSSL that Deno's `node:crypto` is built on.
 *
 * Spec: RFC 5958 §3 (`EncryptedPrivateKeyInfo`), RFC 8018 §6.2 (PBES2),
 * §5.2 and Appendix A.2 (PBKDF2 and its PRFs), RFC 7914 §7 (scrypt in PBES2),
 * RFC 8018 Appendix B.2 (AES-CBC-Pad), RFC 8410 §7 (the Ed25519 key inside),
 * RFC 7468 §11 (the `ENCRYPTED PRIVATE KEY` PEM label).
 * ```
 * EncryptedPrivateKeyInfo ::= SEQUENCE { encryptionAlgorithm AlgorithmIdentifier,
 *                                        encryptedData OCTET STRING }
 * PBES2-params ::= SEQUENCE { keyDerivationFunc AlgorithmIdentifier (PBKDF2 | scrypt),
 *                             encryptionScheme AlgorithmIdentifier (aes*-CBC) }
 * PBKDF2-params ::= SEQUENCE { salt, iterationCount, keyLength OPTIONAL,
 *                              prf AlgorithmIdentifier DEFAULT hmacWithSHA1 }
 * ```
 *
 * Writes PBES2 with PBKDF2-HMAC-SHA256, 2048 iterations, AES-256-CBC: what
 * node's `KeyObject.export({cipher: "aes-256-cbc"})` writes, and OpenSSL's own
 * default (`PKCS5_DEFAULT_ITER`). An operator who wants a stronger KDF can
 * re-wrap the file with `openssl pkcs8 -topk8 -v2 aes-256-cbc -iter 600000`
 * or `openssl pkcs8 -topk8 -scrypt`; both are read here.
 *
 * Reads PBES2 with PBKDF2 (PRF hmacWithSHA224/256/384/512) or scrypt, and
 * AES-128/192/256-CBC. Refused before decryption, with a message naming the
 * scheme, because this OpenSSL build fails on them as if the passphrase were
 * wrong: PBES1 and PKCS#12 PBE (`openssl pkcs8 -v1`), hmacWithSHA1 (the PRF
 * OpenSSL 1.0 wrote by default), des-ede3-cbc and other ciphers.
 *
 * PBES2 has no integrity check: a file corrupted inside the ciphertext may
 * still decrypt, with the right passphrase, to a different valid key (found
 * by mutating files here), so callers that know the expected onion address
 * should compare it.
 *
 * Role: the only file that handles keys through `node:crypto`; pure (no file
 * I/O). Passphrases are bytes, handed to OpenSSL as views, never copied here.
 * The salt and IV come from OpenSSL's random generator, not from an injected
 * `Rng` (node's export takes none), so each encryption differs. Buffers this
 * file owns that hold key bytes are zeroed; OpenSSL frees its own copies (the
 * `KeyObject`s are left to the garbage collector). No message contains the
 * passphrase or key bytes.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { createPrivateKey, type KeyObject } from "node:crypto";
import { ByteReader, bytesEqual, BytesError, fromBase64, fromHex } from "../bytes/mod.ts";

/** Why an encrypted PKCS#8 key could not be decrypted. */
export type Pkcs8ErrorKind =
  /** The passphrase is wrong, or OpenSSL cannot read the encryption after all. */
  | "WrongPassphrase"
  /** An encryption scheme this program cannot read (named in the message). */
  | "UnsupportedEncryption"
  /** It decrypted to a key of another algorithm (`keyType` says which). */
  | "NotEd25519"
  /** Not one `ENCRYPTED PRIVATE KEY` PEM block holding an `EncryptedPrivateKeyInfo`. */
  | "Malformed";

/** Options of {@link Pkcs8Error}. */
export interface Pkcs8ErrorOptions {
  /** The underlying error (OpenSSL's, which never contains the passphrase). */
  cause?: unknown;
  /** For `NotEd25519`: node's `asymmetricKeyType` of the key found (`"x25519"`, `"rsa"`). */
  keyType?: string;
}

/** An encrypted PKCS#8 key that cannot be decrypted to an Ed25519 seed. */
export class Pkcs8Error extends Error {
  override name = "Pkcs8Error";
  /** What went wrong. */
  readonly kind: Pkcs8ErrorKind;
  /** The message without its `Cannot decrypt PKCS#8 key: ` prefix, for callers that name the file. */
  readonly reason: string;
  /** For `NotEd25519`: the algorithm of the key found. */
  readonly keyType: string | undefined;

  /**
   * @param kind What went wrong.
   * @param reason Lower-case detail; the message is `Cannot decrypt PKCS#8 key: <reason>`.
   * @param options The cause and the key type, if any.
   */
  constructor(kind: Pkcs8ErrorKind, reason: string, options: Pkcs8ErrorOptions = {}) {
    super(
      `Cannot decrypt PKCS#8 key: ${reason}`,
      options.cause === undefined ? {} : { cause: options.cause },
    );
    this.kind = kind;
    this.reason = reason;
    this.keyType = options.keyType;
  }
}

/** The schemes {@link decryptEd25519Pkcs8Pem} reads, for messages. */
export const PKCS8_READABLE_ENCRYPTION = "PBES2 with PBKDF2-HMAC-SHA256/512 or scrypt, AES-CBC";

/** The DER prefix of an unencrypted PKCS#8 v1 Ed25519 key (RFC 8410 §7); the seed follows. */
const ED25519_V1_PREFIX = fromHex("302e020100300506032b657004220420");
const BEGIN = "-----BEGIN ENCRYPTED PRIVATE KEY-----";
const END = "-----END ENCRYPTED PRIVATE KEY-----";

/** OIDs (DER content bytes, hex) of RFC 8018, RFC 7914 and NIST, with their names. */
const OID = {
  pbes2: "2a864886f70d01050d",
  pbkdf2: "2a864886f70d01050c",
  scrypt: "2b06010401da47040b",
  hmacWithSha1: "2a864886f70d0207",
} as const;
const READABLE_PRFS: Record<string, string> = {
  "2a864886f70d0208": "hmacWithSHA224",
  "2a864886f70d0209": "hmacWithSHA256",
  "2a864886f70d020a": "hmacWithSHA384",
  "2a864886f70d020b": "hmacWithSHA512",
};
const READABLE_CIPHERS: Record<string, string> = {
  "608648016503040102": "aes-128-cbc",
  "608648016503040116": "aes-192-cbc",
  "60864801650304012a": "aes-256-cbc",
};
/** Names of schemes met in old key files, for messages (PKCS#5 PBES1, PKCS#12 PBE, ciphers). */
const KNOWN_UNREADABLE: Record<string, string> = {
  "2a864886f70d0207": "hmacWithSHA1",
  "2a864886f70d0307": "des-ede3-cbc",
  "2b0e030207": "des-cbc",
  "2a864886f70d01050a": "PBES1 pbeWithSHA1AndDES-CBC",
  "2a864886f70d010c0103": "PKCS#12 pbeWithSHAAnd3-KeyTripleDES-CBC",
};

/**
 * Encrypts an Ed25519 seed as an `ENCRYPTED PRIVATE KEY` PEM block: PBES2,
 * PBKDF2-HMAC-SHA256 with 2048 iterations, AES-256-CBC, which
 * `openssl pkey -passin` reads.
 *
 * @param seed The 32-byte RFC 8032 seed (not modified).
 * @param passphrase The passphrase bytes (not modified, not copied).
 * @returns The PEM text, 64-character base64 lines, ending in `"\n"`.
 * @throws {TypeError} When the seed is not 32 bytes.
 * @throws {RangeError} When the passphrase is empty.
 *
 * @example
 * ```ts
 * import { decryptEd25519Pkcs8Pem, encryptEd25519Pkcs8Pem } from "./pkcs8.ts";
 * const passphrase = new TextEncoder().encode("example passphrase");
 * const pem = encryptEd25519Pkcs8Pem(new Uint8Array(32).fill(7), passphrase);
 * pem.startsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----\n"); // true
 * decryptEd25519Pkcs8Pem(pem, passphrase)[0]; // 7
 * ```
 */
export function encryptEd25519Pkcs8Pem(seed: Uint8Array, passphrase: Uint8Array): string {
  if (!(seed instanceof Uint8Array) || seed.length !== 32) {
    throw new TypeError("Cannot encrypt PKCS#8 key: the Ed25519 seed must be 32 bytes");
  }
  if (passphrase.length === 0) {
    throw new RangeError("Cannot encrypt PKCS#8 key: the passphrase is empty");
  }
  const der = new Uint8Array(ED25519_V1_PREFIX.length + 32);
  der.set(ED25519_V1_PREFIX);
  der.set(seed, ED25519_V1_PREFIX.length);
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: view(der), format: "der", type: "pkcs8" });
  } finally {
    der.fill(0);
  }
  const pem = key.export({
    type: "pkcs8",
    format: "pem",
    cipher: "aes-256-cbc",
    passphrase: view(passphrase),
  });
  const text = String(pem);
  return text.endsWith("\n") ? text : `${text}\n`;
}

/**
 * Decrypts an `ENCRYPTED PRIVATE KEY` PEM block to its Ed25519 seed. Accepts
 * LF or CRLF line ends, surrounding whitespace and any base64 line length.
 *
 * @param pem The PEM text: exactly one `ENCRYPTED PRIVATE KEY` block.
 * @param passphrase The passphrase bytes (not modified, not copied).
 * @returns A new 32-byte seed (the caller zeroes it when done).
 * @throws {Pkcs8Error} `Malformed` for broken armor, base64 or DER;
 *   `UnsupportedEncryption` for a scheme this program cannot read;
 *   `WrongPassphrase` when OpenSSL cannot decrypt it; `NotEd25519` for a key
 *   of another algorithm.
 */
export function decryptEd25519Pkcs8Pem(pem: string, passphrase: Uint8Array): Uint8Array {
  const der = unarmor(pem);
  checkEncryption(der);
  let key: KeyObject;
  try {
    key = createPrivateKey({
      key: view(der),
      format: "der",
      type: "pkcs8",
      passphrase: view(passphrase),
    });
  } catch (cause) {
    throw new Pkcs8Error(
      "WrongPassphrase",
      `wrong passphrase, or an encryption this program cannot read (${PKCS8_READABLE_ENCRYPTION})`,
      { cause },
    );
  }
  const type = key.asymmetricKeyType ?? "unknown";
  if (type !== "ed25519") {
    throw new Pkcs8Error("NotEd25519", `it holds a key of type "${type}", expected Ed25519`, {
      keyType: type,
    });
  }
  const plain = key.export({ type: "pkcs8", format: "der" });
  try {
    const prefix = ED25519_V1_PREFIX;
    if (plain.length !== prefix.length + 32 || !bytesEqual(plain.subarray(0, 16), prefix)) {
      throw new Pkcs8Error("Malformed", "the decrypted Ed25519 key is not in PKCS#8 v1 form");
    }
    return new Uint8Array(plain.subarray(prefix.length)); // a copy, not a view of `plain`
  } finally {
    plain.fill(0);
  }
}

/** A `Buffer` over the same memory (node's key API takes Buffers; nothing is copied). */
function view(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The DER of the one `ENCRYPTED PRIVATE KEY` block of `pem`. */
function unarmor(pem: string): Uint8Array {
  const malformed = (reason: string, cause?: unknown) =>
    new Pkcs8Error("Malformed", reason, { cause });
  const lines = pem.trim().split(/\r?\n/);
  if (lines[0] !== BEGIN) throw malformed(`expected "${BEGIN}" on the first line`);
  const endAt = lines.indexOf(END);
  if (endAt < 0) throw malformed(`no "${END}" line`);
  if (endAt !== lines.length - 1) throw malformed(`text after "${END}"`);
  const body = lines.slice(1, endAt);
  if (body.length === 0 || body.some((l) => !/^[A-Za-z0-9+/=]+$/.test(l))) {
    throw malformed("the PEM body is not base64");
  }
  try {
    return fromBase64(body.join(""));
  } catch (cause) {
    if (!(cause instanceof BytesError)) throw cause;
    throw malformed("the PEM body is not base64", cause);
  }
}

/** The content of the next DER element of `reader`, which must have tag `tag`. */
function element(reader: ByteReader, tag: number): ByteReader {
  if (reader.u8() !== tag) {
    throw new Pkcs8Error("Malformed", "the PEM body is not a PKCS#8 EncryptedPrivateKeyInfo");
  }
  let length = reader.u8();
  if (length & 0x80) {
    const n = length & 0x7f;
    if (n === 0 || n > 3) throw new Pkcs8Error("Malformed", "a DER length is out of range");
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + reader.u8();
  }
  return new ByteReader(reader.bytes(length));
}

/** An `AlgorithmIdentifier`: its OID (content bytes, hex) and a reader of its parameters. */
function algorithm(reader: ByteReader): [string, ByteReader] {
  const seq = element(reader, 0x30);
  const oid = element(seq, 0x06).rest();
  return [Array.from(oid, (b) => b.toString(16).padStart(2, "0")).join(""), seq];
}

/**
 * Refuses, before any decryption, a scheme this OpenSSL build cannot read
 * (it would fail as if the passphrase were wrong): walks
 * `EncryptedPrivateKeyInfo` → PBES2-params → KDF (and PBKDF2's PRF) and
 * cipher, by the ASN.1 of RFC 8018 Appendix A.
 */
function checkEncryption(der: Uint8Array): void {
  try {
    const top = new ByteReader(der);
    const info = element(top, 0x30);
    top.end();
    const [scheme, schemeParams] = algorithm(info);
    element(info, 0x04); // encryptedData
    info.end();
    if (scheme !== OID.pbes2) throw unsupported(`${oidName(scheme)}, not PBES2`);
    const pbes2 = element(schemeParams, 0x30);
    const [kdf, kdfParams] = algorithm(pbes2);
    const [cipher] = algorithm(pbes2);
    if (kdf === OID.pbkdf2) {
      const params = element(kdfParams, 0x30);
      element(params, 0x04); // salt
      element(params, 0x02); // iterationCount
      const tail = params.rest(); // keyLength INTEGER OPTIONAL, prf DEFAULT hmacWithSHA1
      const optional = new ByteReader(tail);
      if (tail[0] === 0x02) element(optional, 0x02);
      const prf = optional.remaining > 0 ? algorithm(optional)[0] : OID.hmacWithSha1;
      if (READABLE_PRFS[prf] === undefined) throw unsupported(`PBKDF2 with ${oidName(prf)}`);
    } else if (kdf !== OID.scrypt) {
      throw unsupported(`the key derivation ${oidName(kdf)}`);
    }
    if (READABLE_CIPHERS[cipher] === undefined) throw unsupported(`the cipher ${oidName(cipher)}`);
  } catch (cause) {
    if (!(cause instanceof BytesError)) throw cause;
    throw new Pkcs8Error("Malformed", "the PEM body is not a PKCS#8 EncryptedPrivateKeyInfo", {
      cause,
    });
  }
}

function unsupported(what: string): Pkcs8Error {
  return new Pkcs8Error(
    "UnsupportedEncryption",
    `an encryption this program cannot read (${what}; it reads ${PKCS8_READABLE_ENCRYPTION}); ` +
      "re-encrypt the key with: openssl pkcs8 -topk8 -v2 aes-256-cbc",
  );
}

/** A known OID's name, or its dotted form (X.690 §8.19; arcs below 2^53). */
function oidName(hex: string): string {
  const known = KNOWN_UNREADABLE[hex] ?? READABLE_PRFS[hex] ?? READABLE_CIPHERS[hex];
  if (known !== undefined) return known;
  const arcs: number[] = [];
  let value = 0;
  for (const b of fromHex(hex)) {
    value = value * 128 + (b & 0x7f);
    if (b & 0x80) continue;
    if (arcs.length > 0) arcs.push(value);
    else if (value < 80) arcs.push(Math.floor(value / 40), value % 40);
    else arcs.push(2, value - 80);
    value = 0;
  }
  return `OID ${arcs.join(".")}`;
}
