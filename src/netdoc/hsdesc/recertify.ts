/**
 * Re-certifies a backend's introduction points under the frontend's
 * descriptor signing key: the `auth-key` (type 09) and `enc-key-cert`
 * (type 0B) certificates are made again with the same certified key and
 * expiry, so clients accept them in the frontend's descriptor.
 *
 * Spec: rend-spec-v3 [HS-DESC-SECOND-LAYER] ("auth-key", "enc-key-cert"),
 * cert-spec §2.1 and A.1 (types 09 and 0B) — https://spec.torproject.org/rend-spec/,
 * https://spec.torproject.org/cert-spec.html;
 * OnionBalance `hs_v3/descriptor.py: _recertify_intro_point`.
 *
 * Role: used by `build.ts` while it encodes the second layer; signs with the
 * key it is given and holds no other secret. {@link CertCache} lets a
 * republish under the same signing key reuse the certificates of earlier
 * builds.
 *
 * @module
 */

import {
  type CertToSign,
  CertType,
  type Ed25519Identity,
  signEd25519Cert,
} from "../../cert/mod.ts";
import type { EncodableCert, IntroPointToEncode } from "./intro_point.ts";
import type {
  HsDescSigningKeypair,
  HsIntroPtSessionIdKey,
  HsSvcNtorKey,
  IntroPtNtorKey,
} from "./keys.ts";
import type { LinkSpecifiers } from "./link_specifiers.ts";

/**
 * An introduction point to re-publish: a checked `HsDescIntroPoint` from a
 * backend fits. Both certs are made again under the new signing key with the
 * same certified key and expiry.
 */
export interface IntroPointSource {
  readonly linkSpecifiers: LinkSpecifiers;
  readonly onionKey: IntroPtNtorKey;
  readonly authKey: HsIntroPtSessionIdKey;
  readonly authKeyCert: { readonly expirationHours: number };
  readonly encKey: HsSvcNtorKey;
  readonly encKeyCert: { readonly certifiedKey: Ed25519Identity; readonly expirationHours: number };
}

/**
 * Intro-point certificates made under one descriptor signing key by earlier
 * builds, for reuse. A certificate is a function of its type, expiry,
 * certified key and signing key alone (ed25519 signatures are
 * deterministic), so a reused one is byte for byte the one signing again
 * would make. tor keeps one descriptor signing key for a descriptor's whole
 * time period and re-encodes the descriptor under it when intro points
 * change; a balancer that does the same (`FrontendService`) re-certifies an
 * unchanged intro point for free.
 *
 * Holds the certificates' bytes only (as one-byte strings: thousands of
 * frontends keep one each), and only what the current and the previous
 * round used ({@link nextRound}), so it does not grow with intro points
 * that are gone.
 *
 * @example
 * ```ts
 * import { CertCache } from "./recertify.ts";
 * import { HsDescSigningKeypair } from "./keys.ts";
 * const key = HsDescSigningKeypair.fromSeed(new Uint8Array(32));
 * const cache = new CertCache(key);
 * cache.nextRound(); // before each publish
 * ```
 */
export class CertCache {
  /** The signing key every certificate of this cache is made with. */
  readonly signer: HsDescSigningKeypair;
  #previous = new Map<string, string>();
  #current = new Map<string, string>();

  constructor(signer: HsDescSigningKeypair) {
    this.signer = signer;
  }

  /** `signEd25519Cert(cert, this.signer)`, or the bytes an earlier call made for the same. */
  sign(cert: CertToSign): EncodableCert {
    const key = `${cert.certType}/${cert.expirationHours}/${latin1(cert.certifiedKey.toBytes())}`;
    let made = this.#current.get(key) ?? this.#previous.get(key);
    if (made === undefined) made = latin1(signEd25519Cert(cert, this.signer).encode());
    this.#current.set(key, made);
    return new CachedCert(made);
  }

  /** Starts a round: certificates neither this round nor the last one used are dropped. */
  nextRound(): void {
    this.#previous = this.#current;
    this.#current = new Map();
  }

  /** Certificates held. */
  get size(): number {
    return new Set([...this.#previous.keys(), ...this.#current.keys()]).size;
  }
}

/** Bytes as a one-byte string (compact in V8). */
function latin1(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes);
}

/** A certificate held by a {@link CertCache}. */
class CachedCert implements EncodableCert {
  readonly #bytes: string;

  constructor(bytes: string) {
    this.#bytes = bytes;
  }

  encode(): Uint8Array {
    return Uint8Array.from(this.#bytes, (c) => c.charCodeAt(0));
  }
}

/**
 * New type-09 and type-0B certs: same certified keys and expiries, signed by `signingKey`
 * (through `cache` when given).
 *
 * @param ip The backend's introduction point.
 * @param signingKey `KS_hs_desc_sign` of the descriptor being built.
 * @param cache Certificates of earlier builds under `signingKey`.
 * @returns The introduction point to encode.
 */
export function recertify(
  ip: IntroPointSource,
  signingKey: HsDescSigningKeypair,
  cache?: CertCache,
): IntroPointToEncode {
  const sign = (cert: CertToSign, signer: HsDescSigningKeypair): EncodableCert =>
    cache?.sign(cert) ?? signEd25519Cert(cert, signer);
  return {
    linkSpecifiers: ip.linkSpecifiers,
    onionKey: ip.onionKey,
    authKeyCert: sign({
      certType: CertType.HS_IP_AUTH,
      expirationHours: ip.authKeyCert.expirationHours,
      certifiedKey: ip.authKey.toIdentity(),
    }, signingKey),
    encKey: ip.encKey,
    encKeyCert: sign({
      certType: CertType.HS_IP_ENC_CROSS,
      expirationHours: ip.encKeyCert.expirationHours,
      certifiedKey: ip.encKeyCert.certifiedKey,
    }, signingKey),
  };
}
