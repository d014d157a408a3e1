/**
 * One introduction-point section of the inner document: parse to an
 * unchecked intro point, check its two certificates, encode.
 *
 * Spec: rend-spec-v3 §2.5.2.2 [HS-DESC-SECOND-LAYER] (`introduction-point`, `onion-key`, `auth-key`,
 * `enc-key`, `enc-key-cert`, `legacy-key`, `legacy-key-cert`) —
 * https://spec.torproject.org/rend-spec/hsdesc-encrypt.html; cert-spec §2.1, A.1
 * (cert types 09 and 0B); tor `hs_descriptor.c: encode_intro_point,
 * decode_introduction_point` (token table `hs_desc_intro_point_v3_token_table`).
 *
 * ```
 * introduction-point <link specifiers b64>
 * onion-key ntor <curve25519 b64>                 (one or more onion-key lines)
 * auth-key NL <ED25519 CERT type 09: certifies KP_hs_ipt_sid>
 * enc-key ntor <curve25519 b64>
 * enc-key-cert NL <ED25519 CERT type 0B: certifies ed25519(enc-key)>
 * [legacy-key NL <RSA PUBLIC KEY>  legacy-key-cert NL <CROSSCERT>]
 * ```
 *
 * Role: like tor, `check()` verifies both certs against the descriptor
 * signing key (type, signer, signature, expiry). Like tor and unlike arti,
 * the `enc-key-cert` subject is not compared with `enc-key` (stem-made intro
 * points certify the auth key there). The obsolete legacy RSA key and its
 * cross-cert are checked too (`legacy_key.ts`); the builder never writes them.
 *
 * @module
 */

import { BytesError, fromBase64, toBase64 } from "../../bytes/mod.ts";
import {
  CertError,
  CertType,
  decodeEd25519Cert,
  type Ed25519Cert,
  type UncheckedEd25519Cert,
} from "../../cert/mod.ts";
import { armor } from "../armor.ts";
import { checkSection, type SectionRules } from "../rules.ts";
import { type NetdocItem, tokenize } from "../tokenize.ts";
import { curve25519Arg, itemError, objectBody } from "../_values.ts";
import type { HsDescSigningKey } from "./keys.ts";
import { HsIntroPtSessionIdKey, HsSvcNtorKey, IntroPtNtorKey } from "./keys.ts";
import { checkLegacyCrossCert, type LegacyIntroKey, parseLegacyIntroKey } from "./legacy_key.ts";
import { LinkSpecifiers } from "./link_specifiers.ts";

const RULES: SectionRules = {
  document: "inner",
  first: "introduction-point",
  rules: [
    { keyword: "introduction-point", count: "once", minArgs: 1, maxArgs: 1, object: "forbidden" },
    { keyword: "onion-key", count: "one-or-more", minArgs: 2, object: "optional" },
    { keyword: "auth-key", count: "once", maxArgs: 0, object: "required" },
    { keyword: "enc-key", count: "once", minArgs: 2, object: "optional" },
    { keyword: "enc-key-cert", count: "once", object: "required" },
    { keyword: "legacy-key", count: "optional", object: "required" },
    { keyword: "legacy-key-cert", count: "optional", object: "required" },
  ],
};

/** The fields of an introduction point, whatever the state of its certs. */
export interface IntroPointFields<C> {
  /** The link-specifier block, exact bytes kept. */
  readonly linkSpecifiers: LinkSpecifiers;
  /** `onion-key ntor`: the intro relay's ntor key. */
  readonly onionKey: IntroPtNtorKey;
  /** `KP_hs_ipt_sid`: the certified key of the `auth-key` cert. */
  readonly authKey: HsIntroPtSessionIdKey;
  /** The type-09 `auth-key` cert. */
  readonly authKeyCert: C;
  /** `enc-key ntor`: `KP_hss_ntor`. */
  readonly encKey: HsSvcNtorKey;
  /** The type-0B `enc-key-cert`. */
  readonly encKeyCert: C;
  /** `legacy-key` / `legacy-key-cert`, if present. */
  readonly legacy: LegacyIntroKey | undefined;
  /** 1-based line of `introduction-point` in the inner document. */
  readonly line: number;
  /** Items with unknown keywords (kept, ignored). */
  readonly unrecognized: readonly NetdocItem[];
}

/** Options of {@link UncheckedIntroPoint.check}. */
export interface CheckIntroPointOptions {
  /** `KP_hs_desc_sign` from the checked outer document. */
  signingKey: HsDescSigningKey;
  /** The time to check the certs' expiry against. */
  now: Date;
}

/** Fields shared by checked and unchecked intro points (one class each, no casts). */
abstract class IntroPointBase<C> implements IntroPointFields<C> {
  readonly linkSpecifiers: LinkSpecifiers;
  readonly onionKey: IntroPtNtorKey;
  readonly authKey: HsIntroPtSessionIdKey;
  readonly authKeyCert: C;
  readonly encKey: HsSvcNtorKey;
  readonly encKeyCert: C;
  readonly legacy: LegacyIntroKey | undefined;
  readonly line: number;
  readonly unrecognized: readonly NetdocItem[];

  /** @internal */
  constructor(fields: IntroPointFields<C>) {
    this.linkSpecifiers = fields.linkSpecifiers;
    this.onionKey = fields.onionKey;
    this.authKey = fields.authKey;
    this.authKeyCert = fields.authKeyCert;
    this.encKey = fields.encKey;
    this.encKeyCert = fields.encKeyCert;
    this.legacy = fields.legacy;
    this.line = fields.line;
    this.unrecognized = fields.unrecognized;
  }
}

/** A checked introduction point: both certs verified against the descriptor signing key. */
export class HsDescIntroPoint extends IntroPointBase<Ed25519Cert> {
  declare private readonly brand: "HsDescIntroPoint";
}

/** An introduction point whose certs are not checked yet. */
export class UncheckedIntroPoint extends IntroPointBase<UncheckedEd25519Cert> {
  declare private readonly brand: "UncheckedIntroPoint";

  /**
   * Checks both certs as tor does (`cert_is_valid` then `tor_cert_checksig`
   * with the descriptor signing key): right type, signed with the descriptor
   * signing key, not expired at `now`.
   *
   * @param options The descriptor signing key and `now`.
   * @returns The checked intro point.
   * @throws {CertError} Saying which cert and which check failed.
   */
  check(options: CheckIntroPointOptions): HsDescIntroPoint {
    const signer = options.signingKey.toIdentity();
    const check = (cert: UncheckedEd25519Cert, certType: number, what: string) => {
      try {
        return cert.check({ now: options.now, certType, signer });
      } catch (cause) {
        if (!(cause instanceof CertError)) throw cause;
        throw new CertError(cause.kind, `${what}: ${cause.message}`, { cause });
      }
    };
    const authKeyCert = check(this.authKeyCert, CertType.HS_IP_AUTH, "auth-key cert");
    const encKeyCert = check(this.encKeyCert, CertType.HS_IP_ENC_CROSS, "enc-key-cert");
    if (this.legacy !== undefined) checkLegacyCrossCert(this.legacy, options);
    return new HsDescIntroPoint({ ...this, authKeyCert, encKeyCert });
  }
}

/**
 * Parses one section that starts with `introduction-point`.
 *
 * @param text The section as a binary string.
 * @param lineOffset Lines before the section in the inner document.
 * @returns The unchecked intro point.
 * @throws {NetdocSyntaxError} With `document: "inner"` and the line.
 */
export function parseIntroPoint(text: string, lineOffset: number): UncheckedIntroPoint {
  const section = checkSection(tokenize(text, { document: "inner", lineOffset }), RULES);
  const start = section.required("introduction-point");
  let linkSpecifiers: LinkSpecifiers;
  try {
    linkSpecifiers = LinkSpecifiers.decode(fromBase64(start.args[0]!));
  } catch (cause) {
    if (!(cause instanceof BytesError)) throw cause;
    throw itemError("BadArgument", "inner", start, `bad link specifiers: ${cause.message}`, cause);
  }
  // tor set_intro_point_onion_key: every "ntor" onion-key must parse; the last one is used.
  let onionKey: IntroPtNtorKey | undefined;
  for (const item of section.all("onion-key")) {
    if (item.args[0] === "ntor") {
      onionKey = IntroPtNtorKey.fromBytes(curve25519Arg("inner", item, 1));
    }
  }
  if (onionKey === undefined) {
    throw itemError("BadArgument", "inner", start, "the intro point has no ntor onion-key");
  }
  const authItem = section.required("auth-key");
  const authKeyCert = introCert(authItem, CertType.HS_IP_AUTH);
  const encItem = section.required("enc-key");
  if (encItem.args[0] !== "ntor") {
    throw itemError(
      "BadArgument",
      "inner",
      encItem,
      `enc-key type "${encItem.args[0]}", expected "ntor"`,
    );
  }
  const encKey = HsSvcNtorKey.fromBytes(curve25519Arg("inner", encItem, 1));
  const encKeyCert = introCert(section.required("enc-key-cert"), CertType.HS_IP_ENC_CROSS);
  return new UncheckedIntroPoint({
    linkSpecifiers,
    onionKey,
    authKey: HsIntroPtSessionIdKey.fromBytes(authKeyCert.certifiedKey.toBytes()),
    authKeyCert,
    encKey,
    encKeyCert,
    legacy: legacyKey(section.get("legacy-key"), section.get("legacy-key-cert")),
    line: start.line,
    unrecognized: section.unrecognized,
  });
}

function introCert(item: NetdocItem, certType: number): UncheckedEd25519Cert {
  const body = objectBody("inner", item, "ED25519 CERT");
  let cert: UncheckedEd25519Cert;
  try {
    cert = decodeEd25519Cert(body);
  } catch (cause) {
    if (!(cause instanceof CertError)) throw cause;
    throw itemError(
      "BadCert",
      "inner",
      item,
      `bad "${item.keyword}" cert: ${cause.message}`,
      cause,
    );
  }
  if (cert.certType !== certType) {
    throw itemError("BadCert", "inner", item, `"${item.keyword}" cert has type ${cert.certType}`);
  }
  if (cert.signingKey === undefined) {
    throw itemError("BadCert", "inner", item, `"${item.keyword}" cert has no signing key`);
  }
  return cert;
}

function legacyKey(
  key: NetdocItem | undefined,
  cert: NetdocItem | undefined,
): LegacyIntroKey | undefined {
  if (key === undefined) return undefined;
  const keyBytes = objectBody("inner", key, "RSA PUBLIC KEY");
  if (cert === undefined) {
    throw itemError("MissingKeyword", "inner", key, "legacy-key without legacy-key-cert");
  }
  try {
    return parseLegacyIntroKey(keyBytes, objectBody("inner", cert, "CROSSCERT"));
  } catch (cause) {
    if (!(cause instanceof BytesError)) throw cause;
    throw itemError("BadArgument", "inner", key, `bad legacy key: ${cause.message}`, cause);
  }
}

/** What {@link encodeIntroPoint} writes: keys plus certs signed by the new signing key. */
export interface IntroPointToEncode {
  readonly linkSpecifiers: LinkSpecifiers;
  readonly onionKey: IntroPtNtorKey;
  readonly authKeyCert: EncodableCert;
  readonly encKey: HsSvcNtorKey;
  readonly encKeyCert: EncodableCert;
}

/** What the encoder needs of a certificate: its bytes (an `Ed25519Cert` is one). */
export interface EncodableCert {
  /** The encoded certificate. */
  encode(): Uint8Array;
}

/**
 * Writes one section as tor does (`encode_intro_point`), every line ending
 * in `\n`. Legacy keys are never written.
 *
 * @param ip The intro point.
 * @returns The section text.
 */
export function encodeIntroPoint(ip: IntroPointToEncode): string {
  return `introduction-point ${toBase64(ip.linkSpecifiers.toBytes())}\n` +
    `onion-key ntor ${ip.onionKey}\n` +
    `auth-key\n${armor("ED25519 CERT", ip.authKeyCert.encode())}\n` +
    `enc-key ntor ${ip.encKey}\n` +
    `enc-key-cert\n${armor("ED25519 CERT", ip.encKeyCert.encode())}\n`;
}
