/**
 * The onion service identity key `KP_hs_id` / `KS_hs_id`.
 *
 * Spec: rend-spec-v3 §1.9 (a menagerie of keys); tor `crypto_ed25519.h`
 * (`ed25519_secret_key_t`), `ext/ed25519/ref10/keypair.c:
 * crypto_sign_seckey_expand`. Tor stores the secret as a 64-byte expanded key
 * (scalar ‖ prefix); the seed is never needed for signing or blinding, so
 * {@link HsIdKeypair} works from the expanded form. When a key was made from
 * a 32-byte seed (a PEM/PKCS#8 file, or a freshly generated key) the keypair
 * also remembers the seed: writing the key back as PEM needs it, and
 * OnionBalance 0.2.x keys its revision counters with the seed for such keys
 * (see `revision_counter.ts`).
 *
 * Role: nominal types (house style §6.2). The secret is never printed: the
 * keypair's inspection and JSON forms show no key material.
 *
 * @module
 */

import { checkLength, FixedBytes } from "../bytes/mod.ts";
import {
  expandSeed,
  publicPointOfScalar,
  type Rng,
  signExpanded,
  type ValidPublicPoint,
  validPublicPoint,
} from "../crypto/mod.ts";
import { KeyError } from "./errors.ts";

/** `KP_hs_id`: the 32-byte ed25519 identity public key of an onion service. */
export class HsIdKey extends FixedBytes {
  declare protected readonly role: "HsIdKey";
  /** The checked point, kept for blinding (checking it again would cost a point multiplication). */
  #point: ValidPublicPoint | undefined;

  /**
   * @param bytes 32 bytes of a valid, torsion-free ed25519 point.
   * @throws {BytesError} `BadLength` unless 32 bytes.
   * @throws {KeyError} `InvalidKey` when the bytes are not such a point.
   */
  static fromBytes(bytes: Uint8Array): HsIdKey {
    const key = new HsIdKey(bytes, 32, "identity key");
    key.#point = validPublicPoint(key.view);
    if (key.#point === undefined) {
      throw new KeyError("InvalidKey", "Cannot use identity key: not a valid ed25519 public key");
    }
    return key;
  }

  /**
   * @internal The public key of a secret this program holds, from its point `a·B` (valid by
   * construction: see `publicPointOfScalar`).
   *
   * @throws {KeyError} `InvalidKey` when the secret scalar is 0 mod l.
   */
  static fromSecretScalar(scalar: Uint8Array): HsIdKey {
    const point = publicPointOfScalar(scalar);
    if (point === undefined) {
      throw new KeyError("InvalidKey", "Cannot use identity key: its secret scalar is zero");
    }
    const key = new HsIdKey(point.toBytes(), 32, "identity key");
    key.#point = point;
    return key;
  }

  /** @internal The key's checked curve point, for `blindPublicKey` (`blinded.ts`). */
  get point(): ValidPublicPoint {
    return this.#point!;
  }
}

/** `KS_hs_id` with its public key: a 64-byte expanded ed25519 secret key (and its seed, if known). */
export class HsIdKeypair {
  readonly #expanded: Uint8Array;
  readonly #seed: Uint8Array | undefined;
  /** `KP_hs_id`. */
  readonly public: HsIdKey;

  private constructor(expanded: Uint8Array, seed: Uint8Array | undefined, publicKey: HsIdKey) {
    this.#expanded = expanded;
    this.#seed = seed;
    this.public = publicKey;
  }

  /**
   * From tor's 64-byte expanded secret key (`a ‖ prefix`), as stored in
   * `hs_ed25519_secret_key`. The seed is unknown (it cannot be recovered).
   *
   * @throws {BytesError} `BadLength` unless 64 bytes.
   * @throws {KeyError} `InvalidKey` when it gives no usable public key.
   */
  static fromExpanded(expanded: Uint8Array): HsIdKeypair {
    checkLength(expanded, 64, "expanded secret key");
    const copy = expanded.slice();
    return new HsIdKeypair(copy, undefined, HsIdKey.fromSecretScalar(copy.subarray(0, 32)));
  }

  /**
   * From a 32-byte RFC 8032 seed (what PEM/PKCS#8 files hold). The keypair
   * remembers the seed.
   *
   * @throws {BytesError} `BadLength` unless 32 bytes.
   */
  static fromSeed(seed: Uint8Array): HsIdKeypair {
    checkLength(seed, 32, "ed25519 seed");
    const expanded = expandSeed(seed);
    return new HsIdKeypair(
      expanded,
      seed.slice(),
      HsIdKey.fromSecretScalar(expanded.subarray(0, 32)),
    );
  }

  /** A new random identity key (seed-based, so it can be written as PEM). */
  static generate(rng: Rng): HsIdKeypair {
    return HsIdKeypair.fromSeed(rng(32));
  }

  /** A copy of the 64-byte expanded secret key. Handle with care: it is the service's secret. */
  expandedSecret(): Uint8Array {
    return this.#expanded.slice();
  }

  /** Whether the 32-byte seed is known (the key came from a seed, not from tor's key file). */
  get hasSeed(): boolean {
    return this.#seed !== undefined;
  }

  /**
   * A copy of the 32-byte seed, or undefined for a key loaded from tor's
   * expanded form. Handle with care: it is the service's secret.
   */
  seed(): Uint8Array | undefined {
    return this.#seed?.slice();
  }

  /** Signs `message` with `KS_hs_id`. (Tor never signs with the identity key itself; tests do.) */
  sign(message: Uint8Array): Uint8Array {
    return signExpanded(this.#expanded, message, this.public.toBytes());
  }

  /** Never show the secret. */
  toJSON(): string {
    return "HsIdKeypair(<secret>)";
  }

  /** Never show the secret. */
  toString(): string {
    return "HsIdKeypair(<secret>)";
  }

  /** Never show the secret in `Deno.inspect` / `console.log`. */
  [Symbol.for("Deno.customInspect")](): string {
    return "HsIdKeypair(<secret>)";
  }

  /** Never show the secret in `node:util` `inspect`. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return "HsIdKeypair(<secret>)";
  }
}
