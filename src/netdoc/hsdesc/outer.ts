/**
 * The outer (plaintext) document of a v3 onion-service descriptor: parse to
 * an unchecked document, check it, and encode it.
 *
 * Spec: rend-spec-v3 §2.4 [DESC-OUTER] —
 * https://spec.torproject.org/rend-spec/hsdesc-outer.html; tor
 * `hs_descriptor.c: desc_encode_v3, desc_decode_plaintext_v3,
 * desc_sig_is_valid` (token table `hs_desc_v3_token_table`); arti `outer.rs`.
 *
 * ```
 * hs-descriptor 3
 * descriptor-lifetime <minutes>
 * descriptor-signing-key-cert NL <ED25519 CERT, type 08>
 * revision-counter <uint64>
 * superencrypted NL <MESSAGE>
 * signature <ed25519 over "Tor onion service descriptor sig v3" | text up to "signature ">
 * ```
 *
 * Role: {@link parseHsDescOuter} returns an {@link UncheckedHsDescOuter}; only
 * its `check()` — the type-08 cert against the blinded key the caller
 * derived, its expiry, and the descriptor signature — gives an
 * {@link HsDescOuter}, which is what the layer decryption accepts.
 *
 * @module
 */

import { concat, toBase64NoPad } from "../../bytes/mod.ts";
import {
  CertError,
  CertType,
  decodeEd25519Cert,
  type Ed25519Cert,
  type UncheckedEd25519Cert,
} from "../../cert/mod.ts";
import { verify } from "../../crypto/mod.ts";
import { HsBlindIdKey } from "../../keys/mod.ts";
import { armor } from "../armor.ts";
import { NetdocSyntaxError } from "../errors.ts";
import { checkSection, type SectionRules } from "../rules.ts";
import { bytesToText, type NetdocItem, textToBytes, tokenize } from "../tokenize.ts";
import { base64Arg, decimalArg, itemError, objectBody } from "../_values.ts";
import { HsDescError } from "./errors.ts";
import { HsDescSigningKey, type HsDescSigningKeypair } from "./keys.ts";

/** `HSV3MaxDescriptorSize` default: a descriptor must be shorter than this (bytes). */
export const MAX_DESCRIPTOR_SIZE = 50000;
/** `HS_DESC_MAX_LIFETIME` in minutes (12 hours). */
export const MAX_LIFETIME_MINUTES = 720;
/** The signature prefix (35 bytes, no NUL). */
const SIG_PREFIX = "Tor onion service descriptor sig v3";

const RULES: SectionRules = {
  document: "outer",
  first: "hs-descriptor",
  last: "signature",
  rules: [
    { keyword: "hs-descriptor", count: "once", minArgs: 1, maxArgs: 1, object: "forbidden" },
    { keyword: "descriptor-lifetime", count: "once", minArgs: 1, maxArgs: 1, object: "forbidden" },
    { keyword: "descriptor-signing-key-cert", count: "once", maxArgs: 0, object: "required" },
    { keyword: "revision-counter", count: "once", minArgs: 1, maxArgs: 1, object: "forbidden" },
    { keyword: "superencrypted", count: "once", maxArgs: 0, object: "required" },
    { keyword: "signature", count: "once", minArgs: 1, maxArgs: 1, object: "forbidden" },
  ],
};

/** The fields of an outer document. */
export interface HsDescOuterFields {
  /** `descriptor-lifetime`, in minutes (≤ 720). */
  readonly lifetimeMinutes: number;
  /** `revision-counter`. */
  readonly revisionCounter: bigint;
  /** The `superencrypted` blob: SALT | ENCRYPTED | MAC of the middle layer. */
  readonly superencrypted: Uint8Array;
  /** Items with unknown keywords (kept, ignored). */
  readonly unrecognized: readonly NetdocItem[];
}

/** Options of {@link parseHsDescOuter}. */
export interface ParseHsDescOuterOptions {
  /** The size limit in bytes (`HSV3MaxDescriptorSize`, default 50000). */
  maxSize?: number;
}

/** Options of {@link UncheckedHsDescOuter.check}. */
export interface CheckHsDescOuterOptions {
  /** The blinded key the caller derived from the address and the time period. */
  blindedKey: HsBlindIdKey;
  /** The time to check the cert's expiry against. */
  now: Date;
}

/**
 * Parses an outer document. Checks syntax, the version, the lifetime, the
 * cert's format and type (08 with a signed-with-key extension) and the
 * sizes; verifies nothing.
 *
 * @param input The descriptor as text or bytes.
 * @param options The size limit.
 * @returns The unchecked document.
 * @throws {NetdocSyntaxError} With `document: "outer"`.
 */
export function parseHsDescOuter(
  input: string | Uint8Array,
  options: ParseHsDescOuterOptions = {},
): UncheckedHsDescOuter {
  const text = typeof input === "string" ? asBinaryText(input) : bytesToText(input);
  const maxSize = options.maxSize ?? MAX_DESCRIPTOR_SIZE;
  if (text.length >= maxSize) {
    throw new NetdocSyntaxError("TooLarge", "outer", `${text.length} bytes, limit ${maxSize - 1}`);
  }
  const section = checkSection(tokenize(text, { document: "outer" }), RULES);
  const version = section.required("hs-descriptor");
  if (version.args[0] !== "3") {
    throw itemError(
      "UnsupportedVersion",
      "outer",
      version,
      `version "${version.args[0]}", expected 3`,
    );
  }
  const lifetimeItem = section.required("descriptor-lifetime");
  const lifetimeMinutes = Number(decimalArg("outer", lifetimeItem, 0, 0xffffffffn));
  if (lifetimeMinutes > MAX_LIFETIME_MINUTES) {
    throw itemError("BadArgument", "outer", lifetimeItem, `lifetime ${lifetimeMinutes} > 720`);
  }
  const certItem = section.required("descriptor-signing-key-cert");
  const cert = parseSigningKeyCert(certItem);
  const revisionCounter = decimalArg(
    "outer",
    section.required("revision-counter"),
    0,
    0xffffffffffffffffn,
  );
  const superItem = section.required("superencrypted");
  const superencrypted = objectBody("outer", superItem, "MESSAGE");
  if (superencrypted.length <= 48) {
    throw itemError("BadArgument", "outer", superItem, "the superencrypted blob is too short");
  }
  const sigItem = section.required("signature");
  if (sigItem.args[0]!.length !== 86) {
    throw itemError("BadArgument", "outer", sigItem, "the signature needs 86 base64 characters");
  }
  const signature = base64Arg("outer", sigItem, 0, 64);
  // D = every byte up to and including the "\n" before "signature " (tor desc_sig_is_valid).
  const signed = textToBytes(text.slice(0, sigItem.start));
  const fields = {
    lifetimeMinutes,
    revisionCounter,
    superencrypted,
    unrecognized: section.unrecognized,
  };
  return new UncheckedHsDescOuter(fields, cert, signature, signed);
}

/** A JS string from the control port: binary if it can be, else its UTF-8 bytes. */
function asBinaryText(input: string): string {
  // deno-lint-ignore no-control-regex -- checking for chars above 0xff
  return /^[\x00-\xff]*$/.test(input) ? input : bytesToText(new TextEncoder().encode(input));
}

function parseSigningKeyCert(item: NetdocItem): UncheckedEd25519Cert {
  const body = objectBody("outer", item, "ED25519 CERT");
  let cert: UncheckedEd25519Cert;
  try {
    cert = decodeEd25519Cert(body);
  } catch (cause) {
    if (!(cause instanceof CertError)) throw cause;
    throw itemError("BadCert", "outer", item, `bad signing-key cert: ${cause.message}`, cause);
  }
  if (cert.certType !== CertType.HS_DESC_SIGNING) {
    throw itemError(
      "BadCert",
      "outer",
      item,
      `signing-key cert has type ${cert.certType}, expected 8`,
    );
  }
  if (cert.signingKey === undefined) {
    throw itemError("BadCert", "outer", item, "signing-key cert has no signed-with-key extension");
  }
  return cert;
}

/** An outer document whose cert and signature are not checked yet. */
export class UncheckedHsDescOuter implements HsDescOuterFields {
  readonly lifetimeMinutes: number;
  readonly revisionCounter: bigint;
  readonly superencrypted: Uint8Array;
  readonly unrecognized: readonly NetdocItem[];
  /** The type-08 `descriptor-signing-key-cert`, unchecked. */
  readonly signingKeyCert: UncheckedEd25519Cert;
  readonly #signature: Uint8Array;
  readonly #signed: Uint8Array;

  /** @internal Use {@link parseHsDescOuter}. */
  constructor(
    fields: HsDescOuterFields,
    cert: UncheckedEd25519Cert,
    signature: Uint8Array,
    signed: Uint8Array,
  ) {
    this.lifetimeMinutes = fields.lifetimeMinutes;
    this.revisionCounter = fields.revisionCounter;
    this.superencrypted = fields.superencrypted;
    this.unrecognized = fields.unrecognized;
    this.signingKeyCert = cert;
    this.#signature = signature;
    this.#signed = signed;
  }

  /** The blinded key the cert's extension names (unverified; the parser made sure it exists). */
  get claimedBlindedKey(): HsBlindIdKey {
    return HsBlindIdKey.fromBytes(this.signingKeyCert.signingKey!.toBytes());
  }

  /**
   * Checks the document as a tor client does (`hs_client_decode_descriptor`):
   * the cert's extension names `blindedKey`, the cert is signed by it and not
   * expired at `now`, and the descriptor is signed by the certified key.
   *
   * @param options The derived blinded key and `now`.
   * @returns The checked document.
   * @throws {HsDescError} Stage `outer-verify`: `WrongBlindedKey`, `BadCert` or `BadSignature`.
   */
  check(options: CheckHsDescOuterOptions): HsDescOuter {
    if (!this.claimedBlindedKey.equals(options.blindedKey)) {
      throw new HsDescError(
        "outer-verify",
        "WrongBlindedKey",
        "the signing-key cert is not signed by the blinded key of this address and time period",
      );
    }
    let cert: Ed25519Cert;
    try {
      cert = this.signingKeyCert.check({
        now: options.now,
        certType: CertType.HS_DESC_SIGNING,
        signer: this.signingKeyCert.signingKey,
      });
    } catch (cause) {
      if (!(cause instanceof CertError)) throw cause;
      throw new HsDescError("outer-verify", "BadCert", `signing-key cert: ${cause.message}`, {
        cause,
      });
    }
    const signingKey = HsDescSigningKey.fromBytes(cert.certifiedKey.toBytes());
    if (!verify(signingKey.toBytes(), concat(SIG_PREFIX, this.#signed), this.#signature)) {
      throw new HsDescError("outer-verify", "BadSignature", "bad descriptor signature");
    }
    return new HsDescOuter(this, cert, signingKey, options.blindedKey);
  }
}

/** An outer document whose cert and signature were checked. */
export class HsDescOuter implements HsDescOuterFields {
  readonly lifetimeMinutes: number;
  readonly revisionCounter: bigint;
  readonly superencrypted: Uint8Array;
  readonly unrecognized: readonly NetdocItem[];
  /** The checked type-08 cert. */
  readonly signingKeyCert: Ed25519Cert;
  /** `KP_hs_desc_sign`, the cert's certified key, which signed the descriptor. */
  readonly signingKey: HsDescSigningKey;
  /** `KP_hs_blind_id`, which signed the cert. */
  readonly blindedKey: HsBlindIdKey;

  /** @internal Use {@link UncheckedHsDescOuter.check}. */
  constructor(
    fields: HsDescOuterFields,
    cert: Ed25519Cert,
    signingKey: HsDescSigningKey,
    blindedKey: HsBlindIdKey,
  ) {
    this.lifetimeMinutes = fields.lifetimeMinutes;
    this.revisionCounter = fields.revisionCounter;
    this.superencrypted = fields.superencrypted;
    this.unrecognized = fields.unrecognized;
    this.signingKeyCert = cert;
    this.signingKey = signingKey;
    this.blindedKey = blindedKey;
  }
}

/** What {@link encodeHsDescOuter} writes. */
export interface HsDescOuterToEncode {
  /** `descriptor-lifetime` in minutes. */
  readonly lifetimeMinutes: number;
  /** The type-08 cert, signed by the blinded key. */
  readonly signingKeyCert: Ed25519Cert;
  /** `revision-counter`. */
  readonly revisionCounter: bigint;
  /** The encrypted middle layer. */
  readonly superencrypted: Uint8Array;
}

/**
 * Writes and signs an outer document exactly as tor does (`desc_encode_v3`),
 * ending with `\n` after the signature line.
 *
 * @param outer The fields.
 * @param signingKey `KS_hs_desc_sign`, the key the cert certifies.
 * @returns The descriptor text.
 */
export function encodeHsDescOuter(
  outer: HsDescOuterToEncode,
  signingKey: HsDescSigningKeypair,
): string {
  const body = "hs-descriptor 3\n" +
    `descriptor-lifetime ${outer.lifetimeMinutes}\n` +
    "descriptor-signing-key-cert\n" +
    armor("ED25519 CERT", outer.signingKeyCert.encode()) + "\n" +
    `revision-counter ${outer.revisionCounter}\n` +
    "superencrypted\n" +
    armor("MESSAGE", outer.superencrypted) + "\n";
  const signature = signingKey.sign(concat(SIG_PREFIX, body));
  return `${body}signature ${toBase64NoPad(signature)}\n`;
}
