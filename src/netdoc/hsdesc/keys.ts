/**
 * Nominal types for the keys that appear in a v3 descriptor but that the
 * project never does maths with beyond signing and X25519 (house style §6.2;
 * arti `tor-hscrypto/src/pk.rs`).
 *
 * Spec: rend-spec-v3 §1.9 [KEYS] (`KP_hs_desc_sign`, `KP_hs_ipt_sid`,
 * `KP_hss_ntor`, `KP_hsc_desc_enc`), §1.9.1 [CLIENT-AUTH], §2.5.1.2
 * (`desc-auth-ephemeral-key`, `N_hs_desc_enc`).
 *
 * Role: wrappers that check the length at the boundary. Secret keys never
 * show their bytes in `Deno.inspect` or JSON. They live with the descriptor
 * codec, their only user; the identity and blinded keys are in `src/keys/`.
 *
 * @module
 */

import { checkLength, FixedBytes, toBase64, toBase64NoPad } from "../../bytes/mod.ts";
import { Ed25519Identity } from "../../cert/mod.ts";
import {
  constantTimeEqual,
  type Rng,
  SeedSigningKey,
  x25519PublicKey,
  x25519SharedSecret,
} from "../../crypto/mod.ts";

/** A 32-byte ed25519 public key with a role; prints as base64 without padding. */
abstract class Ed25519KeyBytes extends FixedBytes {
  /** As a cert key, for comparing with certificate fields. */
  toIdentity(): Ed25519Identity {
    return Ed25519Identity.fromBytes(this.view);
  }

  /** Base64 without padding (43 characters). */
  override toString(): string {
    return toBase64NoPad(this.view);
  }
}

/** A 32-byte curve25519 public key with a role; prints as padded base64, as descriptors do. */
abstract class Curve25519KeyBytes extends FixedBytes {
  /** Base64 with padding (44 characters). */
  override toString(): string {
    return toBase64(this.view);
  }
}

/** `KP_hs_desc_sign`: the descriptor signing key (certified by a type-08 cert). */
export class HsDescSigningKey extends Ed25519KeyBytes {
  declare protected readonly role: "HsDescSigningKey";
  /** @throws {BytesError} `BadLength` unless 32 bytes. */
  static fromBytes(bytes: Uint8Array): HsDescSigningKey {
    return new HsDescSigningKey(bytes, 32, "descriptor signing key");
  }
}

/** `KP_hs_ipt_sid`: an introduction point's auth key (`auth-key`, certified by type 09). */
export class HsIntroPtSessionIdKey extends Ed25519KeyBytes {
  declare protected readonly role: "HsIntroPtSessionIdKey";
  /** @throws {BytesError} `BadLength` unless 32 bytes. */
  static fromBytes(bytes: Uint8Array): HsIntroPtSessionIdKey {
    return new HsIntroPtSessionIdKey(bytes, 32, "intro point auth key");
  }
}

/** `KP_hss_ntor`: the service's per-intro-point encryption key (`enc-key ntor`). */
export class HsSvcNtorKey extends Curve25519KeyBytes {
  declare protected readonly role: "HsSvcNtorKey";
  /** @throws {BytesError} `BadLength` unless 32 bytes. */
  static fromBytes(bytes: Uint8Array): HsSvcNtorKey {
    return new HsSvcNtorKey(bytes, 32, "intro point enc-key");
  }
}

/** `KP_ntor` of the introduction point relay (`onion-key ntor`). */
export class IntroPtNtorKey extends Curve25519KeyBytes {
  declare protected readonly role: "IntroPtNtorKey";
  /** @throws {BytesError} `BadLength` unless 32 bytes. */
  static fromBytes(bytes: Uint8Array): IntroPtNtorKey {
    return new IntroPtNtorKey(bytes, 32, "intro point onion-key");
  }
}

/** `desc-auth-ephemeral-key`: the x25519 public key of the client-auth section. */
export class DescAuthEphemeralKey extends Curve25519KeyBytes {
  declare protected readonly role: "DescAuthEphemeralKey";
  /** @throws {BytesError} `BadLength` unless 32 bytes. */
  static fromBytes(bytes: Uint8Array): DescAuthEphemeralKey {
    return new DescAuthEphemeralKey(bytes, 32, "desc-auth-ephemeral-key");
  }
}

/** `KP_hsc_desc_enc`: an authorized client's x25519 public key. */
export class HsClientDescEncKey extends Curve25519KeyBytes {
  declare protected readonly role: "HsClientDescEncKey";
  /** @throws {BytesError} `BadLength` unless 32 bytes. */
  static fromBytes(bytes: Uint8Array): HsClientDescEncKey {
    return new HsClientDescEncKey(bytes, 32, "client x25519 key");
  }
}

/** `N_hs_desc_enc`, the descriptor cookie: 16 bytes (tor and arti; the spec's "32" is wrong). */
export class DescriptorCookie extends FixedBytes {
  declare protected readonly role: "DescriptorCookie";
  /** @throws {BytesError} `BadLength` unless 16 bytes. */
  static fromBytes(bytes: Uint8Array): DescriptorCookie {
    return new DescriptorCookie(bytes, 16, "descriptor cookie");
  }

  /** Whether both are the same cookie, in time that does not depend on where they differ. */
  override equals(other: DescriptorCookie): boolean {
    return constantTimeEqual(this.view, other.view);
  }

  /** Never show the secret. */
  override toString(): string {
    return "DescriptorCookie(<secret>)";
  }

  /** Never show the secret. */
  toJSON(): string {
    return "DescriptorCookie(<secret>)";
  }

  /** Never show the secret in `Deno.inspect` / `console.log`. */
  [Symbol.for("Deno.customInspect")](): string {
    return "DescriptorCookie(<secret>)";
  }
}

/** A secret key that never shows itself. */
abstract class SecretKey {
  /** Never show the secret. */
  toJSON(): string {
    return `${this.constructor.name}(<secret>)`;
  }

  /** Never show the secret in `Deno.inspect` / `console.log`. */
  [Symbol.for("Deno.customInspect")](): string {
    return `${this.constructor.name}(<secret>)`;
  }
}

/** `KS_hs_desc_sign` with its public key. Made fresh for each descriptor. */
export class HsDescSigningKeypair extends SecretKey {
  readonly #key: SeedSigningKey;
  /** `KP_hs_desc_sign`. */
  readonly public: HsDescSigningKey;

  private constructor(seed: Uint8Array) {
    super();
    this.#key = new SeedSigningKey(seed);
    this.public = HsDescSigningKey.fromBytes(this.#key.publicKey);
  }

  /** @throws {BytesError} `BadLength` unless `seed` has 32 bytes. */
  static fromSeed(seed: Uint8Array): HsDescSigningKeypair {
    checkLength(seed, 32, "ed25519 seed");
    return new HsDescSigningKeypair(seed);
  }

  /** A new key from 32 bytes of `rng`. */
  static generate(rng: Rng): HsDescSigningKeypair {
    return HsDescSigningKeypair.fromSeed(rng(32));
  }

  /**
   * An ed25519 signature over `message` (in native code: it signs the descriptor and every
   * intro point's two certificates, a dozen signatures per descriptor).
   */
  sign(message: Uint8Array): Uint8Array {
    return this.#key.sign(message);
  }
}

/** An x25519 secret key with its public key (shared by the two x25519 roles below). */
abstract class X25519Keypair extends SecretKey {
  readonly #secret: Uint8Array;

  /** @internal */
  constructor(secret: Uint8Array) {
    super();
    checkLength(secret, 32, "x25519 secret");
    this.#secret = secret.slice();
  }

  /** A copy of the secret. */
  protected secretCopy(): Uint8Array {
    return this.#secret.slice();
  }

  /** The public key bytes. */
  protected publicBytes(): Uint8Array {
    return x25519PublicKey(this.#secret);
  }

  /**
   * `X25519(secret, peer)`.
   *
   * @throws {RangeError} When `peer` is a low-order point (all-zero result).
   */
  sharedSecret(peer: { toBytes(): Uint8Array }): Uint8Array {
    return x25519SharedSecret(this.#secret, peer.toBytes());
  }
}

/** The ephemeral x25519 keypair of the client-auth section, one per descriptor. */
export class DescAuthEphemeralKeypair extends X25519Keypair {
  declare private readonly brand: "DescAuthEphemeralKeypair";
  /** `desc-auth-ephemeral-key`. */
  readonly public: DescAuthEphemeralKey;

  private constructor(secret: Uint8Array) {
    super(secret);
    this.public = DescAuthEphemeralKey.fromBytes(this.publicBytes());
  }

  /** @throws {BytesError} `BadLength` unless 32 bytes. */
  static fromSecret(secret: Uint8Array): DescAuthEphemeralKeypair {
    return new DescAuthEphemeralKeypair(secret);
  }

  /** A new key from 32 bytes of `rng`. */
  static generate(rng: Rng): DescAuthEphemeralKeypair {
    return new DescAuthEphemeralKeypair(rng(32));
  }
}

/** `KS_hsc_desc_enc` with its public key: an authorized client's x25519 key. */
export class HsClientDescEncKeypair extends X25519Keypair {
  declare private readonly brand: "HsClientDescEncKeypair";
  /** `KP_hsc_desc_enc`. */
  readonly public: HsClientDescEncKey;

  private constructor(secret: Uint8Array) {
    super(secret);
    this.public = HsClientDescEncKey.fromBytes(this.publicBytes());
  }

  /** @throws {BytesError} `BadLength` unless 32 bytes. */
  static fromSecret(secret: Uint8Array): HsClientDescEncKeypair {
    return new HsClientDescEncKeypair(secret);
  }

  /** A new key from 32 bytes of `rng`. */
  static generate(rng: Rng): HsClientDescEncKeypair {
    return new HsClientDescEncKeypair(rng(32));
  }

  /**
   * A copy of `KS_hsc_desc_enc`, to write the client's `.auth_private` file or hand it to
   * tor (`ONION_CLIENT_AUTH_ADD`). Handle with care: it is the client's secret.
   */
  secret(): Uint8Array {
    return this.secretCopy();
  }
}
