/**
 * The pipeline that turns a backend's descriptor text into a checked,
 * decrypted descriptor: outer parse → outer verify → decrypt middle → parse
 * middle → (client auth) → decrypt inner → parse inner → check intro points.
 *
 * Spec: rend-spec-v3 §2.4 [DESC-OUTER], §2.5 [HS-DESC-ENC], §1.9.1 [CLIENT-AUTH] —
 * https://spec.torproject.org/rend-spec/; tor `hs_client.c:
 * hs_client_decode_descriptor`, `hs_descriptor.c: hs_desc_decode_descriptor`;
 * arti `hsdesc.rs: EncryptedHsDesc::decrypt`.
 *
 * Role: the only entry point a balancer needs. It never touches the clock
 * (`now` is a parameter) or the network. Every failure is an
 * {@link HsDescError} with its stage; its `cause` is the
 * `NetdocSyntaxError` (with layer and line) or `CertError` behind it.
 *
 * Which time period: the caller passes candidates. A tor client uses its
 * current period; a balancer may pass the current and adjacent ones. The
 * period whose blinded key the signing-key cert names is used.
 *
 * @module
 */

import { CertError } from "../../cert/mod.ts";
import {
  blindPublicKey,
  type HsBlindIdKey,
  type HsIdKey,
  type Subcredential,
  subcredential,
} from "../../keys/mod.ts";
import type { TimePeriod } from "../../time/mod.ts";
import { NetdocSyntaxError } from "../errors.ts";
import { bytesToText } from "../tokenize.ts";
import { decryptDescriptorCookie } from "./client_auth.ts";
import { decryptLayer } from "./desc_enc.ts";
import { HsDescError, type HsDescStage } from "./errors.ts";
import { checkHsDescInner, type HsDescInner, parseHsDescInner } from "./inner.ts";
import type { HsClientDescEncKeypair } from "./keys.ts";
import { type HsDescMiddle, parseHsDescMiddle } from "./middle.ts";
import { type HsDescOuter, parseHsDescOuter } from "./outer.ts";

/** Options of {@link decodeHsDesc}. */
export interface DecodeHsDescOptions {
  /** The backend's identity key (from its onion address). */
  identity: HsIdKey;
  /** Candidate time periods, most likely first. */
  periods: readonly TimePeriod[];
  /** The time to check certificate expiry against. */
  now: Date;
  /** The balancer's client key, when the backend uses client authorization. */
  clientKey?: HsClientDescEncKeypair;
  /** `HSV3MaxDescriptorSize` (default 50000). */
  maxSize?: number;
}

/** A checked and decrypted descriptor. */
export interface HsDesc {
  /** The time period the descriptor was made for. */
  readonly period: TimePeriod;
  /** `KP_hs_blind_id` for that period. */
  readonly blindedKey: HsBlindIdKey;
  /** `N_hs_subcred` for that period. */
  readonly subcredential: Subcredential;
  /** The checked outer document. */
  readonly outer: HsDescOuter;
  /** The middle document (client-auth section). */
  readonly middle: HsDescMiddle;
  /** The checked inner document. */
  readonly inner: HsDescInner;
  /** Whether opening the inner layer needed the client key's descriptor cookie. */
  readonly clientAuthUsed: boolean;
}

/**
 * Parses, verifies and decrypts a descriptor.
 *
 * @param text The descriptor (text from the control port, or bytes).
 * @param options Identity, candidate periods, `now`, and optionally a client key.
 * @returns The checked descriptor.
 * @throws {HsDescError} Saying at which stage and why it failed.
 */
export async function decodeHsDesc(
  text: string | Uint8Array,
  options: DecodeHsDescOptions,
): Promise<HsDesc> {
  const unchecked = stage("outer-parse", () => parseHsDescOuter(text, options));
  const claimed = unchecked.claimedBlindedKey;
  const period = options.periods.find((p) => blindPublicKey(options.identity, p).equals(claimed));
  if (period === undefined) {
    throw new HsDescError(
      "outer-verify",
      "WrongBlindedKey",
      `the signing-key cert is not for this address in ${
        options.periods.join(", ") || "no period"
      }`,
    );
  }
  const outer = unchecked.check({ blindedKey: claimed, now: options.now });
  const subcred = subcredential(options.identity, outer.blindedKey);
  const keys = {
    blindedKey: outer.blindedKey,
    subcredential: subcred,
    revisionCounter: outer.revisionCounter,
  };
  const middleText = layerText(
    await decryptLayer(outer.superencrypted, { ...keys, layer: "middle" }),
  );
  const middle = stage("inner-parse", () => parseHsDescMiddle(middleText));
  const cookie = options.clientKey === undefined ? undefined : await decryptDescriptorCookie(
    options.clientKey,
    middle.authClients,
    { subcredential: subcred, ephemeralKey: middle.ephemeralKey },
  );
  let innerPlaintext: Uint8Array;
  try {
    innerPlaintext = await decryptLayer(middle.encrypted, {
      ...keys,
      layer: "inner",
      descriptorCookie: cookie,
    });
  } catch (error) {
    if (!(error instanceof HsDescError)) throw error;
    throw clientAuthError(options.clientKey !== undefined, cookie !== undefined, error);
  }
  const unInner = stage("inner-parse", () => parseHsDescInner(layerText(innerPlaintext)));
  const inner = checkHsDescInner(unInner, { signingKey: outer.signingKey, now: options.now });
  return {
    period,
    blindedKey: outer.blindedKey,
    subcredential: subcred,
    outer,
    middle,
    inner,
    clientAuthUsed: cookie !== undefined,
  };
}

/**
 * A layer's text: C tor quirk, the plaintext ends at its **first** NUL
 * (`decrypt_desc_layer` uses `memchr`), which also drops the middle layer's
 * padding; an empty result is an error.
 */
function layerText(plaintext: Uint8Array): string {
  const nul = plaintext.indexOf(0);
  const cut = nul < 0 ? plaintext : plaintext.subarray(0, nul);
  if (cut.length === 0) {
    throw new HsDescError("decrypt", "MacMismatch", "a layer decrypted to nothing");
  }
  return bytesToText(cut);
}

/** Maps an inner-layer MAC failure to tor's NEED/BAD client-auth outcomes. */
function clientAuthError(haveKey: boolean, haveCookie: boolean, cause: HsDescError): HsDescError {
  if (!haveKey) {
    return new HsDescError(
      "decrypt",
      "NeedsClientAuth",
      "the inner layer cannot be opened without a client key (client authorization)",
      { cause },
    );
  }
  const why = haveCookie
    ? "the client key's cookie does not open the inner layer"
    : "no auth-client line matches the client key";
  return new HsDescError("decrypt", "BadClientAuth", why, { cause });
}

/** Runs a parser and wraps its syntax or cert error into an {@link HsDescError}. */
function stage<T>(name: HsDescStage, parse: () => T): T {
  try {
    return parse();
  } catch (cause) {
    if (cause instanceof NetdocSyntaxError) {
      throw new HsDescError(name, "Syntax", cause.message, { cause });
    }
    if (cause instanceof CertError) {
      throw new HsDescError(name, "BadCert", cause.message, { cause });
    }
    throw cause;
  }
}
