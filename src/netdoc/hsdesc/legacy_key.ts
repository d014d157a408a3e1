/**
 * The obsolete `legacy-key` / `legacy-key-cert` pair of an introduction
 * point: a 1024-bit RSA key and its RSA→ed25519 cross-certificate of the
 * descriptor signing key.
 *
 * Spec: rend-spec-v3 §2.5.2.2 (`legacy-key`, `legacy-key-cert`); cert-spec
 * §2.3 / A.2 [RSA-ED-CROSSCERT]; tor `hs_descriptor.c:
 * decode_intro_legacy_key`, `torcert.c: rsa_ed25519_crosscert_check`,
 * `parsecommon.c` (`NEED_KEY_1024`), trunnel `rsa_ed_crosscert`.
 *
 * ```
 * CROSSCERT = ED25519_KEY(32) | EXPIRATION(4, hours) | SIG_LEN(1) | SIGNATURE(SIG_LEN)
 * SIGNATURE = RSA PKCS#1 v1.5 (type 1, no DigestInfo) of
 *             SHA256("Tor TLS RSA/Ed25519 cross-certificate" | ED25519_KEY | EXPIRATION)
 * ```
 *
 * Role: parse and check only; tor has not made legacy intro points since
 * 0.3.x and the builder never re-publishes them. Plain BigInt RSA: public
 * operations only, on public data.
 *
 * @module
 */

import { ByteReader, bytesEqual, BytesError } from "../../bytes/mod.ts";
import { CertError } from "../../cert/mod.ts";
import { sha256 } from "../../crypto/mod.ts";
import type { HsDescSigningKey } from "./keys.ts";

const CROSSCERT_PREFIX = "Tor TLS RSA/Ed25519 cross-certificate";
/** `HS_DESC_CERT_LIFETIME`: tor accepts a cross-cert that expired up to 54 h ago. */
const GRACE_SECONDS = 54 * 3600;

/** A legacy intro-point key and its cross-cert, both parsed. */
export interface LegacyIntroKey {
  /** The `RSA PUBLIC KEY` object (PKCS#1 DER), as read. */
  readonly key: Uint8Array;
  /** The `CROSSCERT` object, as read. */
  readonly crossCert: Uint8Array;
  /** The RSA modulus (1024 bits). */
  readonly modulus: bigint;
  /** The ed25519 key the cross-cert certifies (must be the descriptor signing key). */
  readonly certifiedKey: Uint8Array;
  /** The cross-cert's EXPIRATION, in hours since the epoch. */
  readonly expirationHours: number;
}

/**
 * Parses the pair (tor: `NEED_KEY_1024`, `crypto_pk_public_exponent_ok`,
 * `rsa_ed_crosscert_parse`).
 *
 * @param key The `RSA PUBLIC KEY` object.
 * @param crossCert The `CROSSCERT` object.
 * @returns The parsed pair.
 * @throws {BytesError} When the key is not a 1024-bit RSA key with exponent
 *   65537, or the cross-cert does not parse.
 */
export function parseLegacyIntroKey(key: Uint8Array, crossCert: Uint8Array): LegacyIntroKey {
  const { modulus, exponent } = parseRsaPublicKey(key);
  if (modulus >> 1023n !== 1n) {
    throw new BytesError("BadLength", "Cannot use legacy-key: not a 1024-bit RSA key");
  }
  if (exponent !== 65537n) {
    throw new BytesError("BadLength", "Cannot use legacy-key: the RSA exponent is not 65537");
  }
  const reader = new ByteReader(crossCert);
  const certifiedKey = reader.bytes(32);
  const expirationHours = reader.u32();
  reader.bytes(reader.u8());
  reader.end();
  return { key: key.slice(), crossCert: crossCert.slice(), modulus, certifiedKey, expirationHours };
}

/**
 * Checks the cross-cert as tor does (`rsa_ed25519_crosscert_check` with
 * `approx_time() - HS_DESC_CERT_LIFETIME`): signed by the RSA key, for the
 * descriptor signing key, and not expired more than 54 hours before `now`.
 *
 * @param legacy The parsed pair.
 * @param options The descriptor signing key and `now`.
 * @throws {CertError} `BadSignature`, `WrongSigner` or `Expired`.
 */
export function checkLegacyCrossCert(
  legacy: LegacyIntroKey,
  options: { signingKey: HsDescSigningKey; now: Date },
): void {
  const signature = legacy.crossCert.subarray(37);
  const digest = sha256(CROSSCERT_PREFIX, legacy.crossCert.subarray(0, 36));
  const recovered = rsaPublicRecover(legacy.modulus, signature);
  if (recovered === undefined || !bytesEqual(recovered, digest)) {
    throw new CertError("BadSignature", "legacy-key-cert: bad RSA signature");
  }
  if (!bytesEqual(legacy.certifiedKey, options.signingKey.toBytes())) {
    throw new CertError("WrongSigner", "legacy-key-cert: certifies another key");
  }
  const nowSeconds = Math.floor(options.now.getTime() / 1000);
  if (legacy.expirationHours * 3600 < nowSeconds - GRACE_SECONDS) {
    throw new CertError("Expired", "legacy-key-cert: expired");
  }
}

/** `s^65537 mod n`, then strips PKCS#1 v1.5 type-1 padding (`00 01 FF…FF 00`, ≥ 8 FF). */
function rsaPublicRecover(modulus: bigint, signature: Uint8Array): Uint8Array | undefined {
  if (signature.length !== 128) return undefined;
  const s = toBigInt(signature);
  if (s >= modulus) return undefined;
  const em = fromBigInt(modPow(s, 65537n, modulus), 128);
  if (em[0] !== 0 || em[1] !== 1) return undefined;
  let i = 2;
  while (i < em.length && em[i] === 0xff) i++;
  if (i < 10 || i >= em.length || em[i] !== 0) return undefined;
  return em.subarray(i + 1);
}

/** `SEQUENCE { INTEGER n, INTEGER e }` in strict DER (PKCS#1 RSAPublicKey). */
function parseRsaPublicKey(der: Uint8Array): { modulus: bigint; exponent: bigint } {
  const outer = new ByteReader(der);
  const body = new ByteReader(derElement(outer, 0x30));
  outer.end();
  const modulus = derInteger(body);
  const exponent = derInteger(body);
  body.end();
  return { modulus, exponent };
}

function derElement(reader: ByteReader, tag: number): Uint8Array {
  if (reader.u8() !== tag) throw new BytesError("BadLength", "Cannot read DER: unexpected tag");
  let length = reader.u8();
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 2) throw new BytesError("BadLength", "Cannot read DER: bad length");
    length = 0;
    for (let i = 0; i < count; i++) length = (length << 8) | reader.u8();
  }
  return reader.bytes(length);
}

function derInteger(reader: ByteReader): bigint {
  const bytes = derElement(reader, 0x02);
  if (bytes.length === 0 || (bytes[0]! & 0x80) !== 0) {
    throw new BytesError("BadLength", "Cannot read DER: not a positive INTEGER");
  }
  return toBigInt(bytes);
}

function toBigInt(bytes: Uint8Array): bigint {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return n;
}

function fromBigInt(n: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = length - 1; i >= 0; i--, n >>= 8n) out[i] = Number(n & 0xffn);
  return out;
}

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = base % modulus;
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
  }
  return result;
}
