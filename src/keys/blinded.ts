/**
 * Key blinding: the per-time-period blinded key `KP_hs_blind_id` (A') and its
 * expanded secret, the credential and the subcredential.
 *
 * Spec: rend-spec-v3 Appendix A [KEYBLIND], §2.1 [SUBCRED];
 * tor `hs_common.c: build_blinded_key_param, hs_build_blinded_pubkey,
 * hs_build_blinded_keypair, hs_get_subcredential`, `ext/ed25519/ref10/blinding.c`.
 *
 * @module
 */

import { concat, FixedBytes } from "../bytes/mod.ts";
import {
  blindExpandedSecret,
  blindPublicKeyBytes,
  constantTimeEqual,
  publicKeyFromExpanded,
  sha3,
  signExpanded,
} from "../crypto/mod.ts";
import type { TimePeriod } from "../time/mod.ts";
import { HsIdKey, HsIdKeypair } from "./identity.ts";

/** `BLIND_STRING` = "Derive temporary signing key" with its terminating NUL (29 bytes). */
const BLIND_STRING = concat("Derive temporary signing key", new Uint8Array([0]));

/** `B` as tor writes it (`hs_common.c: str_ed25519_basepoint`), 158 ASCII bytes, no NUL. */
const BASEPOINT_STRING =
  "(15112221349535400772501151409588531511454012693041857206046113283949847762202, " +
  "46316835694926478169428394003475163141307993866256225615783033603165251855960)";

/** `KP_hs_blind_id` (A'): the blinded public key for one time period. */
export class HsBlindIdKey extends FixedBytes {
  declare protected readonly role: "HsBlindIdKey";

  /**
   * Wraps 32 bytes received from elsewhere (a certificate extension, an event).
   * The bytes are not checked to be a point: a wrong key simply fails to verify.
   *
   * @throws {BytesError} `BadLength` unless 32 bytes.
   */
  static fromBytes(bytes: Uint8Array): HsBlindIdKey {
    return new HsBlindIdKey(bytes, 32, "blinded key");
  }
}

/** `KS_hs_blind_id` with its public key: a 64-byte expanded secret (a' ‖ prefix'). */
export class HsBlindIdKeypair {
  readonly #expanded: Uint8Array;
  /** `KP_hs_blind_id` (A'). */
  readonly public: HsBlindIdKey;

  /** @internal Use {@link blindKeypair}. */
  constructor(expanded: Uint8Array, publicKey: HsBlindIdKey) {
    this.#expanded = expanded.slice();
    this.public = publicKey;
  }

  /** A copy of the 64-byte blinded expanded secret. */
  expandedSecret(): Uint8Array {
    return this.#expanded.slice();
  }

  /** Signs `message` with `KS_hs_blind_id` (it signs only the descriptor-signing-key cert). */
  sign(message: Uint8Array): Uint8Array {
    return signExpanded(this.#expanded, message, this.public.toBytes());
  }

  /** Never show the secret. */
  toJSON(): string {
    return "HsBlindIdKeypair(<secret>)";
  }

  /** Never show the secret in `Deno.inspect` / `console.log`. */
  [Symbol.for("Deno.customInspect")](): string {
    return "HsBlindIdKeypair(<secret>)";
  }
}

/**
 * The blinding factor `h` (unclamped), rend-spec [KEYBLIND]:
 * ```
 * N = "key-blind" | INT_8(period_num) | INT_8(period_length)
 * h = H(BLIND_STRING | A | s | B | N)      -- s is empty: tor passes no secret
 * ```
 */
export function blindingFactor(identity: HsIdKey, period: TimePeriod): Uint8Array {
  const nonce = concat("key-blind", period.numberBytes(), period.lengthBytes());
  return sha3(BLIND_STRING, identity.toBytes(), BASEPOINT_STRING, nonce);
}

/**
 * Blinded keys already computed, per identity key object and period: a
 * frontend needs its key for each descriptor several times per publish (ring
 * lookup, upload plan, signing-key cert of each descriptor), and a backend's
 * is checked at every fetch. Each point multiplication costs about half a
 * millisecond. Entries go away with the key object; at most
 * {@link BLINDED_CACHE_PERIODS} periods are kept per key.
 */
const blindedCache = new WeakMap<HsIdKey, Map<string, HsBlindIdKey>>();
const BLINDED_CACHE_PERIODS = 8;

/**
 * `A' = clamp(h) · A`, the blinded public key for `period` (tor `hs_build_blinded_pubkey`).
 * Given the keypair, it is computed as `a'·B` from the blinded secret instead (the same point:
 * `h·(a·B) = (h·a mod l)·B`), a multiple of the base point, which is about five times faster
 * than multiplying `A`. Anything else that carries a public key (an offline identity) gives `A`.
 */
export function blindPublicKey(
  identity: HsIdKey | HsIdKeypair | { readonly public: HsIdKey },
  period: TimePeriod,
): HsBlindIdKey {
  const keypair = identity instanceof HsIdKeypair ? identity : undefined;
  const publicKey = identity instanceof HsIdKey ? identity : identity.public;
  const key = period.key;
  let periods = blindedCache.get(publicKey);
  const cached = periods?.get(key);
  if (cached !== undefined) return cached;
  const h = blindingFactor(publicKey, period);
  let bytes: Uint8Array;
  if (keypair === undefined) bytes = blindPublicKeyBytes(publicKey.point, h);
  else {
    const esk = keypair.expandedSecret();
    const secret = blindExpandedSecret(esk, h);
    esk.fill(0);
    bytes = publicKeyFromExpanded(secret);
    secret.fill(0);
  }
  const blinded = HsBlindIdKey.fromBytes(bytes);
  if (periods === undefined) {
    periods = new Map();
    blindedCache.set(publicKey, periods);
  }
  if (periods.size >= BLINDED_CACHE_PERIODS) periods.delete(periods.keys().next().value!);
  periods.set(key, blinded);
  return blinded;
}

/**
 * The blinded keypair for `period` (tor `hs_build_blinded_keypair`,
 * `ed25519_ref10_blind_secret_key`):
 * ```
 * a'      = clamp(h) · a mod l
 * prefix' = SHA512("Derive temporary signing key hash input" | prefix)[:32]
 * ```
 */
export function blindKeypair(identity: HsIdKeypair, period: TimePeriod): HsBlindIdKeypair {
  const h = blindingFactor(identity.public, period);
  const esk = identity.expandedSecret();
  const blinded = blindExpandedSecret(esk, h);
  esk.fill(0);
  const keypair = new HsBlindIdKeypair(blinded, blindPublicKey(identity, period));
  blinded.fill(0);
  return keypair;
}

/** `N_hs_subcred`: the 32-byte subcredential of one identity for one time period. */
export class Subcredential extends FixedBytes {
  declare protected readonly role: "Subcredential";

  /** @throws {BytesError} `BadLength` unless 32 bytes. */
  static fromBytes(bytes: Uint8Array): Subcredential {
    return new Subcredential(bytes, 32, "subcredential");
  }

  /** Whether both are the same, in time that does not depend on where they differ (a secret). */
  override equals(other: Subcredential): boolean {
    return constantTimeEqual(this.view, other.view);
  }
}

/** `N_hs_cred = H("credential" | A)`, rend-spec §2.1 [SUBCRED]. */
export function credential(identity: HsIdKey): Uint8Array {
  return sha3("credential", identity.toBytes());
}

/** `N_hs_subcred = H("subcredential" | N_hs_cred | A')`, rend-spec §2.1 [SUBCRED]. */
export function subcredential(identity: HsIdKey, blinded: HsBlindIdKey): Subcredential {
  return Subcredential.fromBytes(sha3("subcredential", credential(identity), blinded.toBytes()));
}
