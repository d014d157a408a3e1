/**
 * Builds, encrypts and signs a frontend descriptor the way tor 0.4.9 does:
 * what a balancer publishes under its own address, carrying its backends'
 * introduction points re-certified under a fresh descriptor signing key.
 *
 * Spec: rend-spec-v3 §2.4 [DESC-OUTER], §2.5 [HS-DESC-ENC] with its
 * [HS-DESC-FIRST-LAYER] and [HS-DESC-SECOND-LAYER], §2.5.1.4 (fake
 * auth-client lines), §1.9.1 [CLIENT-AUTH] — https://spec.torproject.org/rend-spec/;
 * tor `hs_service.c: build_service_desc_superencrypted`,
 * `hs_descriptor.c: desc_encode_v3`. The backends' intro points are
 * re-certified by `recertify.ts` (OnionBalance `hs_v3/descriptor.py:
 * _recertify_intro_point`).
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

import { CertType, type Ed25519Cert, Ed25519Identity, signEd25519Cert } from "../../cert/mod.ts";
import type { Rng } from "../../crypto/mod.ts";
import {
  blindKeypair,
  blindPublicKey,
  type HsBlindIdKey,
  type HsIdKey,
  HsIdKeypair,
  RevisionCounter,
  type Subcredential,
  subcredential,
} from "../../keys/mod.ts";
import type { TimePeriod } from "../../time/mod.ts";
import { buildAuthClient } from "./client_auth.ts";
import { encryptLayer, type HsDescEncryption } from "./desc_enc.ts";
import { HsDescTooLargeError } from "./errors.ts";
import { encodeHsDescInner, type FlowControl, MAX_INTRO_POINTS } from "./inner.ts";
import {
  DescAuthEphemeralKeypair,
  DescriptorCookie,
  type HsClientDescEncKey,
  type HsDescSigningKey,
  HsDescSigningKeypair,
} from "./keys.ts";
import { type AuthClient, encodeHsDescMiddle } from "./middle.ts";
import { encodeHsDescOuter, MAX_DESCRIPTOR_SIZE } from "./outer.ts";
import { type CertCache, type IntroPointSource, recertify } from "./recertify.ts";

export { CertCache, type IntroPointSource } from "./recertify.ts";

/** `HS_DESC_CERT_LIFETIME`: 54 hours, in seconds. */
const CERT_LIFETIME_SECONDS = 54 * 3600;
/** `HS_DESC_AUTH_CLIENT_MULTIPLE`. */
const AUTH_CLIENT_MULTIPLE = 16;

/**
 * The identity side of a descriptor kept offline (rend-spec-v3 §1.7 "Keeping
 * crypto keys offline"): the identity public key and a type-08 certificate of
 * the descriptor signing key, made ahead of time with the period's blinded key
 * on another machine.
 */
export interface OfflineIdentity {
  /** `KP_hs_id`. */
  readonly public: HsIdKey;
  /** `KP_hs_desc_sign` certified by `KP_hs_blind_id` of the descriptor's period. */
  readonly signingKeyCert: Ed25519Cert;
}

/** What goes into a descriptor. */
export interface HsDescBuildInput {
  /**
   * The frontend's identity keypair (`KS_hs_id`), or an {@link OfflineIdentity}
   * (then `signingKey` or `certCache` must hold the certified signing key).
   */
  identity: HsIdKeypair | OfflineIdentity;
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
 * hs_desc_encode_descriptor`): the second layer, then the first layer around it, then the
 * outer document around that.
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
  const revisionCounter = checkedRevisionCounter(input);
  const signingKey = input.signingKey ?? input.certCache?.signer ??
    HsDescSigningKeypair.generate(options.rng);
  const ephemeral = input.ephemeralKey ?? DescAuthEphemeralKeypair.generate(options.rng);
  const blindedKey = blindPublicKey(input.identity, input.period);
  const subcred = subcredential(input.identity.public, blindedKey);
  const keys = { blindedKey, subcredential: subcred, revisionCounter };
  const signingKeyCert = signingKeyCertFor(input, signingKey, blindedKey);
  const innerPlaintext = encodeSecondLayer(input, signingKey);
  const middlePlaintext = await encodeFirstLayer(innerPlaintext, ephemeral, keys, {
    input,
    options,
  });
  const text = await encodeOuterDocument(middlePlaintext, keys, {
    input,
    options,
    signingKey,
    signingKeyCert,
  });
  return {
    text,
    signingKey: signingKey.public,
    blindedKey,
    subcredential: subcred,
    revisionCounter,
    innerPlaintext,
    middlePlaintext,
  };
}

/** What both layers' keys are derived from ([HS-DESC-ENCRYPTION-KEYS]), but the layer. */
type DescKeys = Omit<HsDescEncryption, "layer" | "descriptorCookie">;

/**
 * The revision counter as a uint64, after checking the intro-point count and the cert cache.
 *
 * @throws {RangeError} On more than {@link MAX_INTRO_POINTS} intro points, a counter outside
 * uint64, or a cert cache made for another signing key than `input.signingKey`.
 */
function checkedRevisionCounter(input: HsDescBuildInput): bigint {
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
  return revisionCounter;
}

/**
 * The second layer's plaintext, rend-spec [HS-DESC-SECOND-LAYER]: `create2-formats`,
 * `flow-control` and the intro points, re-certified under `signingKey`.
 */
function encodeSecondLayer(input: HsDescBuildInput, signingKey: HsDescSigningKeypair): string {
  return encodeHsDescInner({
    flowControl: input.flowControl,
    introPoints: input.introPoints.map((ip) => recertify(ip, signingKey, input.certCache)),
  });
}

/**
 * The first layer's plaintext, rend-spec [HS-DESC-FIRST-LAYER]: `desc-auth-type`,
 * `desc-auth-ephemeral-key`, the `auth-client` lines and the second layer, encrypted
 * ([HS-DESC-ENCRYPTION-KEYS] with `N_hs_desc_enc` under client authorization).
 * Draws from the rng the `auth-client` values, then the second layer's salt.
 */
async function encodeFirstLayer(
  innerPlaintext: string,
  ephemeral: DescAuthEphemeralKeypair,
  keys: DescKeys,
  ctx: { input: HsDescBuildInput; options: BuildHsDescOptions },
): Promise<string> {
  const { input, options } = ctx;
  const { authClients, cookie } = await authClientLines(
    input,
    ephemeral,
    keys.subcredential,
    options,
  );
  const encrypted = await encryptLayer(new TextEncoder().encode(innerPlaintext), {
    ...keys,
    layer: "inner",
    descriptorCookie: cookie,
    salt: options.rng(16),
  });
  return encodeHsDescMiddle({ ephemeralKey: ephemeral.public, authClients, encrypted });
}

/**
 * The outer document, rend-spec [DESC-OUTER]: the type-08 cert, the first layer encrypted
 * (`superencrypted`, padded with NULs) and the signature by `KP_hs_desc_sign`.
 * Draws the first layer's salt from the rng.
 *
 * @throws {HsDescTooLargeError} When the text reaches the size limit.
 */
async function encodeOuterDocument(
  middlePlaintext: string,
  keys: DescKeys,
  ctx: {
    input: HsDescBuildInput;
    options: BuildHsDescOptions;
    signingKey: HsDescSigningKeypair;
    signingKeyCert: Ed25519Cert;
  },
): Promise<string> {
  const { input, options, signingKey, signingKeyCert } = ctx;
  const superencrypted = await encryptLayer(new TextEncoder().encode(middlePlaintext), {
    ...keys,
    layer: "middle",
    salt: options.rng(16),
  });
  const text = encodeHsDescOuter({
    lifetimeMinutes: input.lifetimeMinutes ?? 180,
    signingKeyCert,
    revisionCounter: keys.revisionCounter,
    superencrypted,
  }, signingKey);
  const maxSize = options.maxSize ?? MAX_DESCRIPTOR_SIZE;
  if (text.length >= maxSize) {
    throw new HsDescTooLargeError(text.length, maxSize, input.introPoints.length);
  }
  return text;
}

/**
 * The type-08 cert: `KP_hs_desc_sign` certified by `KP_hs_blind_id`. Online, made now and
 * valid 54 h (tor `HS_DESC_CERT_LIFETIME`); offline, the one made ahead of time, after
 * checking that it certifies this signing key under this period's blinded key.
 *
 * @throws {RangeError} When an offline cert does not fit the signing key or the period.
 */
function signingKeyCertFor(
  input: HsDescBuildInput,
  signingKey: HsDescSigningKeypair,
  blindedKey: HsBlindIdKey,
): Ed25519Cert {
  const identity = input.identity;
  if (identity instanceof HsIdKeypair) {
    return signEd25519Cert({
      certType: CertType.HS_DESC_SIGNING,
      expirationHours: Math.ceil(
        (Math.floor(input.now.getTime() / 1000) + CERT_LIFETIME_SECONDS) / 3600,
      ),
      certifiedKey: signingKey.public.toIdentity(),
    }, blindKeypair(identity, input.period));
  }
  const cert = identity.signingKeyCert;
  if (
    cert.certType !== CertType.HS_DESC_SIGNING ||
    !cert.certifiedKey.equals(signingKey.public.toIdentity()) ||
    !cert.signingKey.equals(Ed25519Identity.fromBytes(blindedKey.toBytes()))
  ) {
    throw new RangeError(
      `Cannot build descriptor: the offline signing-key certificate is not for this signing key and ${input.period}`,
    );
  }
  return cert;
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
