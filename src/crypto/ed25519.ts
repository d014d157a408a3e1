/**
 * Ed25519 on tor's terms: keys held as 64-byte *expanded* secrets (scalar ‖
 * prefix), signing without a seed, point validation, point multiplication by
 * a blinding factor, and the curve25519 → ed25519 conversion for
 * `enc-key-cert`.
 *
 * Spec: rend-spec-v3 Appendix A [KEYBLIND]; RFC 8032 §5.1.6 (signing); tor
 * `ext/ed25519/ref10/keypair.c: crypto_sign_seckey_expand`, `sign.c`, `blinding.c`,
 * `keyconv.c`.
 *
 * Role: pure functions on bytes. Callers wrap results in the nominal key types
 * of `src/keys/`. Secret inputs are never logged or kept.
 *
 * @module
 */

import { toHex } from "../bytes/mod.ts";
import { nativeSeedKey, nativeVerify } from "./_native.ts";
import { bytesToNumberLE, ed25519, numberToBytesLE } from "./_noble.ts";
import { sha512 } from "./hash.ts";

/** `l`, the order of the ed25519 base point: 2^252 + 27742317777372353535851937790883648493. */
export const ED25519_L = 2n ** 252n + 27742317777372353535851937790883648493n;

/** p = 2^255 − 19, the field prime. */
const P = 2n ** 255n - 19n;

function checkLength(bytes: Uint8Array, n: number, what: string): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== n) {
    throw new TypeError(`Cannot use ${what}: expected ${n} bytes`);
  }
}

function mod(a: bigint, m: bigint): bigint {
  const r = a % m;
  return r >= 0n ? r : r + m;
}

/** Clamps a 32-byte scalar (RFC 8032 §5.1.5): byte0 &= 248, byte31 &= 63, byte31 |= 64. */
export function clampScalar(bytes: Uint8Array): Uint8Array {
  checkLength(bytes, 32, "scalar");
  const out = bytes.slice();
  out[0]! &= 248;
  out[31]! &= 63;
  out[31]! |= 64;
  return out;
}

/**
 * Expands a 32-byte RFC 8032 seed into tor's 64-byte expanded secret key:
 * `clamp(SHA512(seed)[0..32]) ‖ SHA512(seed)[32..64]`.
 */
export function expandSeed(seed: Uint8Array): Uint8Array {
  checkLength(seed, 32, "ed25519 seed");
  const d = sha512(seed);
  const out = new Uint8Array(64);
  out.set(clampScalar(d.subarray(0, 32)), 0);
  out.set(d.subarray(32, 64), 32);
  return out;
}

/** `a·B` for a little-endian 32-byte scalar (reduced mod l first), as 32 bytes. */
export function scalarMultBase(scalar: Uint8Array): Uint8Array {
  checkLength(scalar, 32, "scalar");
  const s = mod(bytesToNumberLE(scalar), ED25519_L);
  // The scalar is a secret (a key): noble's constant-time multiplication, which refuses 0.
  return (s === 0n ? ed25519.Point.ZERO : ed25519.Point.BASE.multiply(s)).toBytes();
}

/** The public key `A = a·B` of a 64-byte expanded secret key. */
export function publicKeyFromExpanded(expanded: Uint8Array): Uint8Array {
  checkLength(expanded, 64, "expanded ed25519 secret key");
  return scalarMultBase(expanded.subarray(0, 32));
}

/**
 * Signs with an expanded secret key (no seed), as tor's ref10 `sign.c` does
 * (RFC 8032 §5.1.6 after the expansion step):
 * ```
 * r = SHA512(prefix | M) mod l;  R = r·B
 * k = SHA512(R | A | M) mod l;   S = (r + k·a) mod l
 * signature = R | S
 * ```
 *
 * @param expanded The 64-byte expanded secret key (a ‖ prefix).
 * @param message The bytes to sign.
 * @param publicKey `a·B`, when the caller has it (saves a point multiplication).
 * @returns The 64-byte signature; it verifies against `a·B` with any RFC 8032 verifier.
 */
export function signExpanded(
  expanded: Uint8Array,
  message: Uint8Array,
  publicKey?: Uint8Array,
): Uint8Array {
  checkLength(expanded, 64, "expanded ed25519 secret key");
  const a = mod(bytesToNumberLE(expanded.subarray(0, 32)), ED25519_L);
  const prefix = expanded.subarray(32, 64);
  const pub = publicKey ?? publicKeyFromExpanded(expanded);
  const r = mod(bytesToNumberLE(sha512(prefix, message)), ED25519_L);
  const R = ed25519.Point.BASE.multiplyUnsafe(r).toBytes();
  const k = mod(bytesToNumberLE(sha512(R, pub, message)), ED25519_L);
  const S = mod(r + k * a, ED25519_L);
  const sig = new Uint8Array(64);
  sig.set(R, 0);
  sig.set(numberToBytesLE(S, 32), 32);
  return sig;
}

/**
 * Verifies an ed25519 signature as tor does (`ed25519_checksig`: RFC 8032 without the
 * cofactor, `[S]B = R + [k]A` compared as encodings), in Deno's native code (`_native.ts`,
 * AWS-LC), and strictly: S < l, A and R canonically encoded, and A not one of the 8 points of
 * small order (with such a key, `S = 0` and `R = identity` "verify" any message). Returns false on
 * any malformed input instead of throwing.
 *
 * tor's donna and ref10 code check only the top 3 bits of S and accept S in [l, 2^253); no signer
 * makes one, and noble and AWS-LC both refuse it. noble's `verify` (the tests' oracle) multiplies by
 * the cofactor, so it also accepts a signature whose R carries a small-order component, which tor
 * and this function refuse.
 */
export function verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  if (!isCanonicalPoint(publicKey) || isSmallOrder(publicKey)) return false;
  return nativeVerify(publicKey, message, signature);
}

/**
 * Whether a point encoding is canonical: y < p, and no sign bit on x = 0 (y = ±1). AWS-LC refuses
 * the others on x86-64 and aarch64, not on every platform; this makes it so everywhere.
 */
function isCanonicalPoint(encoded: Uint8Array): boolean {
  const signBit = encoded[31]! >> 7;
  const y = bytesToNumberLE(encoded) & ((1n << 255n) - 1n);
  if (y >= P) return false;
  return !(signBit === 1 && (y === 1n || y === P - 1n));
}

/** The canonical encodings of the 8 points of small order (their order divides 8). */
const SMALL_ORDER = new Set([
  "0100000000000000000000000000000000000000000000000000000000000000", // order 1
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // order 2
  "0000000000000000000000000000000000000000000000000000000000000000", // order 4
  "0000000000000000000000000000000000000000000000000000000000000080", // order 4
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05", // order 8
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85", // order 8
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a", // order 8
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa", // order 8
]);

function isSmallOrder(encoded: Uint8Array): boolean {
  return SMALL_ORDER.has(toHex(encoded));
}

/**
 * A public key that passed the checks of {@link validPublicPoint}, decoded. Holding one saves
 * decoding and checking the key again for each multiplication: the torsion check alone costs
 * a point multiplication.
 */
export class ValidPublicPoint {
  readonly #point: EdPoint;

  /** @internal Use {@link validPublicPoint}. */
  constructor(point: EdPoint, brand: typeof VALID) {
    if (brand !== VALID) throw new TypeError("Use validPublicPoint()");
    this.#point = point;
  }

  /** The 32-byte encoding. */
  toBytes(): Uint8Array {
    return this.#point.toBytes();
  }

  /** `s·A` for a 32-byte little-endian scalar; see {@link scalarMultPoint}. */
  multiply(scalar: Uint8Array): Uint8Array {
    checkLength(scalar, 32, "scalar");
    return this.#point.multiplyUnsafe(mod(bytesToNumberLE(scalar), ED25519_L)).toBytes();
  }
}

type EdPoint = ReturnType<typeof ed25519.Point.fromBytes>;
const VALID: unique symbol = Symbol("valid");

/**
 * The decoded point of a usable ed25519 public key, as tor's `ed25519_validate_pubkey` checks
 * it: a valid point encoding, not the identity, and no torsion component (`l·A` is the
 * identity); undefined for any other 32 bytes.
 */
export function validPublicPoint(publicKey: Uint8Array): ValidPublicPoint | undefined {
  if (publicKey.length !== 32) return undefined;
  try {
    const point = ed25519.Point.fromBytes(publicKey, false);
    return !point.is0() && point.isTorsionFree() ? new ValidPublicPoint(point, VALID) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The public point `a·B` of a secret scalar (32 bytes, little-endian), checked by construction:
 * a multiple of the base point has no torsion component, so the check of
 * {@link validPublicPoint} (a point multiplication) is not needed; undefined when
 * `a ≡ 0 (mod l)` (the identity).
 */
export function publicPointOfScalar(scalar: Uint8Array): ValidPublicPoint | undefined {
  checkLength(scalar, 32, "scalar");
  const s = mod(bytesToNumberLE(scalar), ED25519_L);
  return s === 0n ? undefined : new ValidPublicPoint(ed25519.Point.BASE.multiply(s), VALID);
}

/** Whether 32 bytes are a usable ed25519 public key (see {@link validPublicPoint}). */
export function isValidPublicKey(publicKey: Uint8Array): boolean {
  return validPublicPoint(publicKey) !== undefined;
}

/**
 * `s·A` for a valid (torsion-free) public key and a 32-byte little-endian
 * scalar. For a torsion-free point, `s·A = (s mod l)·A`
 * (rend-spec-v3 Appendix A [KEYBLIND]; tor `blinding.c:
 * ed25519_ref10_blind_public_key` multiplies by the clamped scalar as is),
 * so the scalar is reduced first.
 *
 * @throws {RangeError} When `publicKey` is not a valid torsion-free point.
 */
export function scalarMultPoint(publicKey: Uint8Array, scalar: Uint8Array): Uint8Array {
  checkLength(scalar, 32, "scalar");
  const point = validPublicPoint(publicKey);
  if (point === undefined) {
    throw new RangeError("Cannot multiply: not a valid torsion-free ed25519 point");
  }
  return point.multiply(scalar);
}

/** `(x · y) mod l` for two little-endian 32-byte scalars, as 32 bytes (little-endian). */
export function scalarMulModL(x: Uint8Array, y: Uint8Array): Uint8Array {
  checkLength(x, 32, "scalar");
  checkLength(y, 32, "scalar");
  return numberToBytesLE(mod(bytesToNumberLE(x) * bytesToNumberLE(y), ED25519_L), 32);
}

/**
 * An ed25519 key made from a 32-byte seed, signing in native code (AWS-LC): RFC 8032 signing
 * is deterministic, so its signatures are the bytes {@link signExpanded} makes with
 * `expandSeed(seed)` (`tests/crypto/native_test.ts`), about seven times faster. Keys without a
 * seed (blinded keys, tor's expanded key files) sign with {@link signExpanded}.
 */
export class SeedSigningKey {
  /** `A`, the public key. */
  readonly publicKey: Uint8Array;
  readonly #sign: (message: Uint8Array) => Uint8Array;

  /** @param seed The 32-byte seed (not kept: the native key object holds the key). */
  constructor(seed: Uint8Array) {
    checkLength(seed, 32, "ed25519 seed");
    const key = nativeSeedKey(seed);
    this.publicKey = key.publicKey;
    this.#sign = key.sign;
  }

  /** The 64-byte signature of `message`. */
  sign(message: Uint8Array): Uint8Array {
    return this.#sign(message);
  }
}

/** An ed25519 public key from a 32-byte seed (RFC 8032 key generation). */
export function publicKeyFromSeed(seed: Uint8Array): Uint8Array {
  checkLength(seed, 32, "ed25519 seed");
  return ed25519.getPublicKey(seed);
}

/**
 * Converts a curve25519 public key (Montgomery u) to the ed25519 point with the
 * given sign bit: `y = (u − 1)·(u + 1)^−1 mod p` (tor `keyconv.c`;
 * prop228 Appendix A). Onion-service intro points use sign bit 0
 * (tor `hs_service.c: setup_desc_intro_point`).
 *
 * @throws {RangeError} When `u = −1` (no such point).
 */
export function ed25519FromCurve25519(u: Uint8Array, signBit: 0 | 1): Uint8Array {
  checkLength(u, 32, "curve25519 public key");
  const masked = u.slice();
  masked[31]! &= 0x7f;
  const x = mod(bytesToNumberLE(masked), P);
  const denominator = mod(x + 1n, P);
  if (denominator === 0n) throw new RangeError("Cannot convert curve25519 key: u = -1");
  const y = mod((x - 1n) * invert(denominator), P);
  const out = numberToBytesLE(y, 32);
  out[31]! |= signBit << 7;
  return out;
}

function invert(a: bigint): bigint {
  // Fermat: a^(p-2) mod p.
  let result = 1n;
  let base = a;
  let e = P - 2n;
  while (e > 0n) {
    if (e & 1n) result = (result * base) % P;
    base = (base * base) % P;
    e >>= 1n;
  }
  return result;
}
