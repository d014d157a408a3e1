/**
 * Tor's Ed25519 certificates: encode, decode to an *unchecked* cert, and
 * check (signature, expiry, extensions) into a usable {@link Ed25519Cert}.
 *
 * Spec: cert-spec §2.1 "Certificates", §2.2.1 "Signed-with-ed25519-key
 * extension", A.1 (cert types), A.4 (key types); rend-spec-v3 Appendix E; tor
 * `torcert.c: tor_cert_create_raw, tor_cert_parse, tor_cert_checksig`.
 * https://spec.torproject.org/cert-spec.html
 *
 * ```
 * VERSION(1)=01 | CERT_TYPE(1) | EXPIRATION_DATE(4, hours) | CERT_KEY_TYPE(1) |
 * CERTIFIED_KEY(32) | N_EXTENSIONS(1) | N × (ExtLength(2) ExtType(1) ExtFlags(1) ExtData) |
 * SIGNATURE(64)      -- ed25519 over every preceding byte, no prefix
 * ```
 *
 * Role: pure functions on bytes (encoding and signing are in `encode.ts`).
 * {@link decodeEd25519Cert} returns an
 * {@link UncheckedEd25519Cert}; only its `check()` gives an
 * {@link Ed25519Cert} (arti tor-checkable). Like tor's parser, decoding keeps
 * every extension; `check()` rejects a second 0x04 extension and unknown
 * extensions flagged AFFECTS_VALIDATION.
 *
 * @module
 */

import { ByteReader, BytesError } from "../bytes/mod.ts";
import { verify } from "../crypto/mod.ts";
import { CertError } from "./errors.ts";
import { Ed25519Identity } from "./ed25519_identity.ts";

/** CERT_TYPE values used by onion services (cert-spec A.1; tor `torcert.h`). */
export const CertType = {
  /** `CERT_TYPE_SIGNING_HS_DESC`: KP_hs_desc_sign certified by KP_hs_blind_id. */
  HS_DESC_SIGNING: 0x08,
  /** `CERT_TYPE_AUTH_HS_IP_KEY`: KP_hs_ipt_sid certified by KP_hs_desc_sign. */
  HS_IP_AUTH: 0x09,
  /** `CERT_TYPE_CROSS_HS_IP_KEYS`: ed25519(KP_hss_ntor) certified by KP_hs_desc_sign. */
  HS_IP_ENC_CROSS: 0x0b,
} as const;

/** ExtType of the signed-with-ed25519-key extension (cert-spec §2.2.1). */
export const EXT_SIGNED_WITH_KEY = 0x04;
/** ExtFlags bit: the extension affects validation (cert-spec §2.1). */
export const EXT_FLAG_AFFECTS_VALIDATION = 0x01;
/** CERT_KEY_TYPE for an ed25519 key (cert-spec A.4). */
export const CERT_KEY_TYPE_ED25519 = 0x01;

/** VERSION of every cert (cert-spec §2.1). */
export const CERT_VERSION = 0x01;
const SIGNATURE_LENGTH = 64;

/** One certificate extension, kept as read. */
export interface CertExtension {
  /** ExtType. */
  readonly type: number;
  /** ExtFlags. */
  readonly flags: number;
  /** ExtData (`ExtLength` bytes). */
  readonly data: Uint8Array;
}

/** The signed fields of a certificate (everything but SIGNATURE). */
export interface Ed25519CertFields {
  /** CERT_TYPE, e.g. {@link CertType.HS_DESC_SIGNING}. */
  readonly certType: number;
  /** EXPIRATION_DATE: hours since the Unix epoch (valid until `hours × 3600`). */
  readonly expirationHours: number;
  /** CERT_KEY_TYPE; {@link CERT_KEY_TYPE_ED25519} for every onion-service cert. */
  readonly certKeyType: number;
  /** CERTIFIED_KEY, the subject. */
  readonly certifiedKey: Ed25519Identity;
  /** Extensions in order. */
  readonly extensions: readonly CertExtension[];
}

/** Options of {@link UncheckedEd25519Cert.check}. */
export interface CheckCertOptions {
  /** The time to check the expiry against (`now > hours × 3600` means expired). */
  now: Date;
  /** When given, CERT_TYPE must equal it. */
  certType?: number;
  /**
   * The key that must have signed the cert. Without it, the 0x04 extension's
   * key is used (tor `tor_cert_checksig` with a NULL key); with it, a 0x04
   * extension, when present, must name this same key.
   */
  signer?: Ed25519Identity;
}

/**
 * Decodes a certificate without checking it (tor `tor_cert_parse` minus the
 * extension rules, which `check()` applies).
 *
 * @param bytes The encoded certificate.
 * @returns The unchecked certificate.
 * @throws {CertError} `Truncated`, `TrailingBytes`, `BadVersion` or `BadExtension`.
 */
export function decodeEd25519Cert(bytes: Uint8Array): UncheckedEd25519Cert {
  const reader = new ByteReader(bytes);
  try {
    const version = reader.u8();
    if (version !== CERT_VERSION) {
      throw new CertError("BadVersion", `Cannot decode cert: version ${version}, expected 1`);
    }
    const certType = reader.u8();
    const expirationHours = reader.u32();
    const certKeyType = reader.u8();
    const certifiedKey = Ed25519Identity.fromBytes(reader.bytes(32));
    const count = reader.u8();
    const extensions: CertExtension[] = [];
    for (let i = 0; i < count; i++) {
      const length = reader.u16();
      const type = reader.u8();
      const flags = reader.u8();
      if (type === EXT_SIGNED_WITH_KEY && length !== 32) {
        throw new CertError(
          "BadExtension",
          `Cannot decode cert: a 0x04 extension has ${length} bytes, expected 32`,
        );
      }
      extensions.push({ type, flags, data: reader.bytes(length) });
    }
    const signature = reader.bytes(SIGNATURE_LENGTH);
    reader.end();
    const fields = { certType, expirationHours, certKeyType, certifiedKey, extensions };
    return new UncheckedEd25519Cert(fields, signature, bytes.slice());
  } catch (cause) {
    if (!(cause instanceof BytesError)) throw cause;
    const kind = cause.kind === "TrailingBytes" ? "TrailingBytes" : "Truncated";
    throw new CertError(kind, `Cannot decode cert: ${cause.message}`, { cause });
  }
}

/** A decoded certificate whose signature, expiry and extensions are not checked yet. */
export class UncheckedEd25519Cert implements Ed25519CertFields {
  readonly certType: number;
  readonly expirationHours: number;
  readonly certKeyType: number;
  readonly certifiedKey: Ed25519Identity;
  readonly extensions: readonly CertExtension[];
  readonly #signature: Uint8Array;
  readonly #encoded: Uint8Array;

  /** @internal Use {@link decodeEd25519Cert}. */
  constructor(fields: Ed25519CertFields, signature: Uint8Array, encoded: Uint8Array) {
    this.certType = fields.certType;
    this.expirationHours = fields.expirationHours;
    this.certKeyType = fields.certKeyType;
    this.certifiedKey = fields.certifiedKey;
    this.extensions = fields.extensions;
    this.#signature = signature;
    this.#encoded = encoded;
  }

  /** The key of the first 0x04 extension (unverified), if any. */
  get signingKey(): Ed25519Identity | undefined {
    const ext = this.extensions.find((e) => e.type === EXT_SIGNED_WITH_KEY);
    return ext === undefined ? undefined : Ed25519Identity.fromBytes(ext.data);
  }

  /** When the cert expires: `EXPIRATION_DATE × 3600` seconds after the epoch. */
  get expiresAt(): Date {
    return new Date(this.expirationHours * 3600 * 1000);
  }

  /** The 64-byte SIGNATURE (a copy). */
  signature(): Uint8Array {
    return this.#signature.slice();
  }

  /** The encoded certificate (a copy). */
  encode(): Uint8Array {
    return this.#encoded.slice();
  }

  /**
   * Checks the certificate as tor does (`tor_cert_parse` extension rules,
   * then `tor_cert_checksig`): no second 0x04 extension, no unknown extension
   * flagged AFFECTS_VALIDATION, the expected type, not expired at `now`, and a
   * valid signature by the signer.
   *
   * @param options `now`, and optionally the required `certType` and `signer`.
   * @returns The checked certificate.
   * @throws {CertError} Saying which check failed.
   */
  check(options: CheckCertOptions): Ed25519Cert {
    const signedWith = this.extensions.filter((e) => e.type === EXT_SIGNED_WITH_KEY);
    if (signedWith.length > 1) {
      throw new CertError("DuplicateSigningKey", "Invalid cert: two signed-with-key extensions");
    }
    const critical = this.extensions.find((e) =>
      e.type !== EXT_SIGNED_WITH_KEY && (e.flags & EXT_FLAG_AFFECTS_VALIDATION) !== 0
    );
    if (critical !== undefined) {
      throw new CertError(
        "UnknownCriticalExtension",
        `Invalid cert: unknown extension 0x${hex2(critical.type)} affects validation`,
      );
    }
    if (options.certType !== undefined && this.certType !== options.certType) {
      throw new CertError(
        "WrongCertType",
        `Invalid cert: type 0x${hex2(this.certType)}, expected 0x${hex2(options.certType)}`,
      );
    }
    const included = this.signingKey;
    const signer = options.signer ?? included;
    if (signer === undefined) {
      throw new CertError("MissingSigningKey", "Invalid cert: no signing key to check it with");
    }
    if (included !== undefined && !included.equals(signer)) {
      throw new CertError(
        "WrongSigner",
        "Invalid cert: signed-with-key extension names another key",
      );
    }
    if (expiredAt(this.expirationHours, options.now)) {
      throw new CertError(
        "Expired",
        `Invalid cert: expired at ${this.expiresAt.toISOString()}`,
      );
    }
    // SPEC-DEVIATION(cert-spec §2.1): the 2023 text says the signature covers the cert
    // "prefixed with 'Tor node signing key certificate v1'"; tor signs and checks
    // the bare bytes (tor_cert_create_raw, tor_cert_get_checkable_sig), so do we.
    const body = this.#encoded.subarray(0, this.#encoded.length - SIGNATURE_LENGTH);
    if (!verify(signer.toBytes(), body, this.#signature)) {
      throw new CertError("BadSignature", "Invalid cert: bad signature");
    }
    return new Ed25519Cert(this, signer, this.#encoded);
  }
}

/** A certificate whose signature, expiry and extensions were checked (or that we made). */
export class Ed25519Cert implements Ed25519CertFields {
  readonly certType: number;
  readonly expirationHours: number;
  readonly certKeyType: number;
  readonly certifiedKey: Ed25519Identity;
  readonly extensions: readonly CertExtension[];
  /** The key that signed the cert. */
  readonly signingKey: Ed25519Identity;
  readonly #encoded: Uint8Array;

  /** @internal Use {@link UncheckedEd25519Cert.check} or {@link signEd25519Cert}. */
  constructor(fields: Ed25519CertFields, signingKey: Ed25519Identity, encoded: Uint8Array) {
    this.certType = fields.certType;
    this.expirationHours = fields.expirationHours;
    this.certKeyType = fields.certKeyType;
    this.certifiedKey = fields.certifiedKey;
    this.extensions = fields.extensions;
    this.signingKey = signingKey;
    this.#encoded = encoded.slice();
  }

  /** When the cert expires: `EXPIRATION_DATE × 3600` seconds after the epoch. */
  get expiresAt(): Date {
    return new Date(this.expirationHours * 3600 * 1000);
  }

  /** Whether the cert has expired at `now` (what {@link UncheckedEd25519Cert.check} refuses). */
  isExpiredAt(now: Date): boolean {
    return expiredAt(this.expirationHours, now);
  }

  /** The encoded certificate (a copy). */
  encode(): Uint8Array {
    return this.#encoded.slice();
  }
}

/** The expiry rule of every check: expired once `now` is past `EXPIRATION_DATE` hours. */
function expiredAt(expirationHours: number, now: Date): boolean {
  return now.getTime() > expirationHours * 3600 * 1000;
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, "0");
}
