/**
 * Builds, encrypts and signs a frontend descriptor the way tor 0.4.9 does:
 * what a balancer publishes under its own address, carrying its backends'
 * introduction points re-certified under a fresh descriptor signing key.
 *
 * Spec: rend-spec-v3 §2.4 [DESC-OUTER], §2.5 [HS-DESC-ENC], §2.5.1.4 (fake
 * auth-client lines), §1.9.1 [CLIENT-AUTH] — https://spec.torproject.org/rend-spec/;
 * tor `hs_service.c: build_service_desc_superencrypted`,
 * `hs_descriptor.c: desc_encode_v3`; OnionBalance `hs_v3/descriptor.py:
 * _recertify_intro_point` (re-certification of the backends' intro points).
 *
 * Role: pure but for WebCrypto AES; no clock (`now` is an input) and no
 * global randomness. Randomness comes from `options.rng`, drawn in this
 * order, so a build is reproducible:
 *  1. the descriptor signing key seed (32), unless `input.signingKey` is given;
 *  2. the ephemeral x25519 secret (32), unless `input.ephemeralKey` is given;
 *  3. with authorized clients: the descriptor cookie (16), then one IV (16) per client;
 *  4. per fake `auth-client` line: client-id (8), IV (16), encrypted-cookie (16);
 *  5. whatever `options.shuffle` draws to shuffle the `auth-client` lines;
 *  6. the inner layer's salt (16), then the middle layer's salt (16).
 *
 * What is *not* copied from backends: `pow-params` (tor verifies a PoW
 * solution against the backend's own blinded key and seed, `hs_circuit.c`,
 * so a copied line makes PoW-solving clients fail at the backend), legacy
 * intro-point keys (their cross-cert certifies the backend's signing key),
 * `single-onion-service` and `intro-auth-required` (as OnionBalance).
 * `flow-control` is written when the caller passes it (see
 * {@link commonFlowControl}).
 *
 * @module
 */

import {
  type CertToSign,
  CertType,
  type Ed25519Identity,
  signEd25519Cert,
} from "../../cert/mod.ts";
import type { Rng } from "../../crypto/mod.ts";
import {
  blindKeypair,
  type HsBlindIdKey,
  type HsIdKeypair,
  RevisionCounter,
  type Subcredential,
  subcredential,
} from "../../keys/mod.ts";
import type { TimePeriod } from "../../time/mod.ts";
import { buildAuthClient } from "./client_auth.ts";
import { encryptLayer } from "./desc_enc.ts";
import { HsDescTooLargeError } from "./errors.ts";
import { encodeHsDescInner, type FlowControl, MAX_INTRO_POINTS } from "./inner.ts";
import type { EncodableCert, IntroPointToEncode } from "./intro_point.ts";
import {
  DescAuthEphemeralKeypair,
  DescriptorCookie,
  type HsClientDescEncKey,
  type HsDescSigningKey,
  HsDescSigningKeypair,
  type HsIntroPtSessionIdKey,
  type HsSvcNtorKey,
  type IntroPtNtorKey,
} from "./keys.ts";
import type { LinkSpecifiers } from "./link_specifiers.ts";
import { type AuthClient, encodeHsDescMiddle } from "./middle.ts";
import { encodeHsDescOuter, MAX_DESCRIPTOR_SIZE } from "./outer.ts";

/** `HS_DESC_CERT_LIFETIME`: 54 hours, in seconds. */
const CERT_LIFETIME_SECONDS = 54 * 3600;
/** `HS_DESC_AUTH_CLIENT_MULTIPLE`. */
const AUTH_CLIENT_MULTIPLE = 16;

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

/** What goes into a descriptor. */
export interface HsDescBuildInput {
  /** The frontend's identity keypair (`KS_hs_id`). */
  identity: HsIdKeypair;
  /** The time period the descriptor is for. */
  period: TimePeriod;
  /** `revision-counter`, e.g. from `obRevisionCounter()` (a plain uint64 is accepted too). */
  revisionCounter: RevisionCounter | bigint | number;
  /** When the descriptor is built: the type-08 cert expires at `ceil((now + 54 h) / 1 h)`. */
  now: Date;
  /** At most {@link MAX_INTRO_POINTS}. */
  introPoints: readonly IntroPointSource[];
  /** `flow-control` to advertise (see {@link commonFlowControl}). */
  flowControl?: FlowControl;
  /** `descriptor-lifetime` in minutes (default 180, like tor and OnionBalance). */
  lifetimeMinutes?: number;
  /** Client authorization: the authorized clients' x25519 public keys. */
  authorizedClients?: readonly HsClientDescEncKey[];
  /** `KS_hs_desc_sign`; a fresh one is drawn from the rng when absent. */
  signingKey?: HsDescSigningKeypair;
  /** The client-auth ephemeral keypair; drawn from the rng when absent. */
  ephemeralKey?: DescAuthEphemeralKeypair;
  /**
   * Intro-point certificates of earlier builds to reuse: a republish
   * re-signs only intro points not certified before. Its signer is the
   * signing key (`signingKey` must be absent or the same key).
   */
  certCache?: CertCache;
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
 * import { CertCache } from "./build.ts";
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

/** Shuffles a list using `rng` (returns a new array). */
export type Shuffle = <T>(items: readonly T[], rng: Rng) => T[];

/** Options of {@link buildHsDesc}. */
export interface BuildHsDescOptions {
  /** The source of every random value (see the module comment for the order). */
  rng: Rng;
  /** How to shuffle the `auth-client` lines (default {@link shuffleWithRng}). */
  shuffle?: Shuffle;
  /** `HSV3MaxDescriptorSize` (default 50000): the text must be shorter. */
  maxSize?: number;
}

/** A built descriptor and what went into it. */
export interface BuiltHsDesc {
  /** The descriptor, ready for `+HSPOST`. */
  readonly text: string;
  /** `KP_hs_desc_sign` that signed it. */
  readonly signingKey: HsDescSigningKey;
  /** `KP_hs_blind_id` for the period. */
  readonly blindedKey: HsBlindIdKey;
  /** `N_hs_subcred` for the period. */
  readonly subcredential: Subcredential;
  /** The revision counter written. */
  readonly revisionCounter: bigint;
  /** The inner layer's plaintext. */
  readonly innerPlaintext: string;
  /** The middle layer's plaintext, before NUL padding. */
  readonly middlePlaintext: string;
}

/**
 * Fisher–Yates with unbiased draws of 4 bytes each from `rng`
 * (tor `smartlist_shuffle`).
 */
export const shuffleWithRng: Shuffle = <T>(items: readonly T[], rng: Rng): T[] => {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = uniformBelow(i + 1, rng);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
};

function uniformBelow(n: number, rng: Rng): number {
  const limit = 2 ** 32 - (2 ** 32 % n);
  for (;;) {
    const v = new DataView(rng(4).buffer).getUint32(0);
    if (v < limit) return v % n;
  }
}

/**
 * The `flow-control` line to publish: the backends' line when every backend
 * advertises the same one, otherwise none (clients then do not negotiate
 * congestion control, as with OnionBalance, which always drops it).
 *
 * @param backends Each backend's `flow-control` (undefined when absent).
 * @returns The common line, or `undefined`.
 */
export function commonFlowControl(
  backends: readonly (FlowControl | undefined)[],
): FlowControl | undefined {
  const first = backends[0];
  if (first === undefined) return undefined;
  const same = backends.every((b) =>
    b !== undefined && b.versions === first.versions && b.sendmeInc === first.sendmeInc
  );
  return same ? { versions: first.versions, sendmeInc: first.sendmeInc } : undefined;
}

/**
 * Builds, encrypts and signs a descriptor the way tor does (tor `hs_descriptor.c:
 * hs_desc_encode_descriptor`).
 *
 * @param input Keys, period, revision counter, intro points and options.
 * @param options The rng, the shuffle and the size limit.
 * @returns The descriptor text and the values behind it.
 * @throws {RangeError} On more than 20 intro points or a revision counter outside uint64.
 * @throws {HsDescTooLargeError} When the text reaches the size limit.
 */
export async function buildHsDesc(
  input: HsDescBuildInput,
  options: BuildHsDescOptions,
): Promise<BuiltHsDesc> {
  const { rng } = options;
  // RevisionCounter.from() throws RangeError outside uint64.
  const revisionCounter = input.revisionCounter instanceof RevisionCounter
    ? input.revisionCounter.toBigInt()
    : RevisionCounter.from(input.revisionCounter).toBigInt();
  if (input.introPoints.length > MAX_INTRO_POINTS) {
    throw new RangeError(
      `Cannot build descriptor: ${input.introPoints.length} introduction points, at most ${MAX_INTRO_POINTS}`,
    );
  }
  if (input.certCache !== undefined && input.signingKey !== undefined) {
    if (!input.certCache.signer.public.equals(input.signingKey.public)) {
      throw new RangeError("Cannot build descriptor: the cert cache is for another signing key");
    }
  }
  const signingKey = input.signingKey ?? input.certCache?.signer ??
    HsDescSigningKeypair.generate(rng);
  const ephemeral = input.ephemeralKey ?? DescAuthEphemeralKeypair.generate(rng);
  const blinded = blindKeypair(input.identity, input.period);
  const subcred = subcredential(input.identity.public, blinded.public);
  const keys = { blindedKey: blinded.public, subcredential: subcred, revisionCounter };

  const innerPlaintext = encodeHsDescInner({
    flowControl: input.flowControl,
    introPoints: input.introPoints.map((ip) => recertify(ip, signingKey, input.certCache)),
  });
  const { authClients, cookie } = await authClientLines(input, ephemeral, subcred, options);
  const innerBlob = await encryptLayer(new TextEncoder().encode(innerPlaintext), {
    ...keys,
    layer: "inner",
    descriptorCookie: cookie,
    salt: rng(16),
  });
  const middlePlaintext = encodeHsDescMiddle({
    ephemeralKey: ephemeral.public,
    authClients,
    encrypted: innerBlob,
  });
  const middleBlob = await encryptLayer(new TextEncoder().encode(middlePlaintext), {
    ...keys,
    layer: "middle",
    salt: rng(16),
  });
  // The type-08 cert: KP_hs_desc_sign certified by KP_hs_blind_id, valid 54 h from now.
  const signingKeyCert = signEd25519Cert({
    certType: CertType.HS_DESC_SIGNING,
    expirationHours: Math.ceil(
      (Math.floor(input.now.getTime() / 1000) + CERT_LIFETIME_SECONDS) / 3600,
    ),
    certifiedKey: signingKey.public.toIdentity(),
  }, blinded);
  const text = encodeHsDescOuter({
    lifetimeMinutes: input.lifetimeMinutes ?? 180,
    signingKeyCert,
    revisionCounter,
    superencrypted: middleBlob,
  }, signingKey);
  const maxSize = options.maxSize ?? MAX_DESCRIPTOR_SIZE;
  if (text.length >= maxSize) {
    throw new HsDescTooLargeError(text.length, maxSize, input.introPoints.length);
  }
  return {
    text,
    signingKey: signingKey.public,
    blindedKey: blinded.public,
    subcredential: subcred,
    revisionCounter,
    innerPlaintext,
    middlePlaintext,
  };
}

/** New type-09 and type-0B certs: same certified keys and expiries, signed by `signingKey`. */
function recertify(
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

/**
 * The `auth-client` lines (tor `build_service_desc_superencrypted`): one per
 * authorized client, random fakes up to a positive multiple of 16, shuffled.
 */
async function authClientLines(
  input: HsDescBuildInput,
  ephemeral: DescAuthEphemeralKeypair,
  subcred: Subcredential,
  options: BuildHsDescOptions,
): Promise<{ authClients: AuthClient[]; cookie: DescriptorCookie | undefined }> {
  const { rng } = options;
  const clients = input.authorizedClients ?? [];
  const cookie = clients.length > 0 ? DescriptorCookie.fromBytes(rng(16)) : undefined;
  const lines: AuthClient[] = [];
  for (const client of clients) {
    lines.push(
      await buildAuthClient(client, {
        subcredential: subcred,
        ephemeral,
        cookie: cookie!,
        iv: rng(16),
      }),
    );
  }
  const target = Math.max(1, Math.ceil(lines.length / AUTH_CLIENT_MULTIPLE)) * AUTH_CLIENT_MULTIPLE;
  while (lines.length < target) {
    lines.push({ clientId: rng(8), iv: rng(16), encryptedCookie: rng(16) });
  }
  return { authClients: (options.shuffle ?? shuffleWithRng)(lines, rng), cookie };
}
