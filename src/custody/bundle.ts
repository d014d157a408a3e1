/**
 * Offline key bundles: what a balancer needs to publish a frontend's
 * descriptors for a span of time periods, made on an isolated machine that
 * holds the identity key, so that the identity key never reaches the
 * balancer (rend-spec-v3 §1.7 "Keeping crypto keys offline").
 *
 * Spec: rend-spec-v3 §1.7, [KEYBLIND] (the blinded key per period),
 * [DESC-OUTER] (`descriptor-signing-key-cert`, cert type 08), cert-spec §2.1;
 * tor `hs_descriptor.c: cert_is_valid()` (clients and HSDirs check the cert's
 * expiry against their clock), `networkstatus.c: REASONABLY_LIVE_TIME`.
 *
 * Per covered period the bundle holds a type-08 certificate, signed by that
 * period's blinded key, of a descriptor-signing key. The signing keys are not
 * listed one by one: each is derived from one random secret of the bundle,
 * ```
 * seed_p = SHA3-256("onionbalance offline descriptor-signing key" | S | INT_8(p) | INT_8(len))
 * ```
 * so the file stays small and a stolen bundle gives exactly what its
 * certificates allow. The bundle also carries OnionBalance's revision-counter
 * key `K = H("rev-counter-generation" | identity secret)` (`obRevisionKey`):
 * a hash that reveals nothing of the identity secret, the same in every
 * bundle made from one key, so that counters stay monotonic across renewals,
 * across managers sharing a bundle, and across a switch between `key:` and a
 * bundle. Neither the identity secret nor any blinded secret is written.
 *
 * A certificate expires {@link CERT_MARGIN_SECONDS} after the end of its
 * period: a client whose consensus is "reasonably live" (up to 24 h old) may
 * still be in that period, and may hold the descriptor for its 3 h lifetime.
 *
 * The file format is in `bundle_text.ts`.
 *
 * Role: pure (no clock, no file system: `bundle_file.ts` reads and writes).
 *
 * @module
 */

import { CertType, type Ed25519Cert, signEd25519Cert } from "../cert/mod.ts";
import { type Rng, sha3 } from "../crypto/mod.ts";
import { blindKeypair, type HsIdKey, type HsIdKeypair, onionAddressLabel } from "../keys/mod.ts";
import { obRevisionKey } from "../keys/revision_counter.ts";
import { HsDescSigningKeypair, type OfflineIdentity } from "../netdoc/hsdesc/mod.ts";
import { TimePeriod, type UnixSeconds } from "../time/mod.ts";
import { BundleError } from "./errors.ts";

/** The format version this code writes and reads. */
export const BUNDLE_VERSION = 1;
/** The first line's keyword. */
export const BUNDLE_KEYWORD = "onionbalance-offline-keys";
/** A cert expires this long after its period ends: a reasonably live consensus (24 h) + 3 h. */
export const CERT_MARGIN_SECONDS = 27 * 3600;
/** At most this many periods per bundle (about 3 years of 1-day periods). */
export const MAX_BUNDLE_PERIODS = 1100;

const SIGNING_KEY_LABEL = "onionbalance offline descriptor-signing key";

/** Period length and rotation offset of the network a bundle is for. */
export interface BundleSchedule {
  /** `period_length` in minutes (1440 on the real network). */
  readonly lengthMinutes: number;
  /** The rotation offset in seconds (43200 on the real network). */
  readonly rotationOffsetSeconds: number;
}

/**
 * The schedule of a network with periods of `lengthMinutes`: the real network's 12 h offset
 * for 1440-minute periods; on a testing network (period = 24 voting intervals) half a period.
 */
export function scheduleFor(lengthMinutes: number): BundleSchedule {
  if (!Number.isSafeInteger(lengthMinutes) || lengthMinutes < 1) {
    throw new BundleError(
      "BadSpan",
      `Cannot use period length ${lengthMinutes}: not a positive integer of minutes`,
    );
  }
  return {
    lengthMinutes,
    rotationOffsetSeconds: lengthMinutes === 1440 ? 43200 : lengthMinutes * 30,
  };
}

/** What a balancer needs to publish one period's descriptors, or why it cannot. */
export type PeriodSigner =
  | {
    readonly ok: true;
    /** The identity side of the descriptor (public key and the period's type-08 cert). */
    readonly identity: OfflineIdentity;
    /** The certified descriptor-signing key. */
    readonly signingKey: HsDescSigningKeypair;
  }
  | { readonly ok: false; readonly reason: string };

/** A loaded (or freshly made) offline key bundle. Never prints its secrets. */
export class OfflineKeyBundle {
  /** `KP_hs_id`. */
  readonly identity: HsIdKey;
  /** Period length and offset. */
  readonly schedule: BundleSchedule;
  /** When it was made (Unix seconds). */
  readonly createdAt: UnixSeconds;
  /** The type-08 certs, one per covered period, in period order (consecutive). */
  readonly certs: readonly Ed25519Cert[];
  /** The first covered period's number. */
  readonly firstPeriod: number;
  readonly #signingSecret: Uint8Array;
  readonly #revisionKey: Uint8Array;
  readonly #signers = new Map<number, HsDescSigningKeypair>();

  /** @internal Use {@link makeOfflineBundle} or {@link decodeOfflineBundle}. */
  constructor(init: {
    identity: HsIdKey;
    schedule: BundleSchedule;
    createdAt: UnixSeconds;
    firstPeriod: number;
    certs: readonly Ed25519Cert[];
    signingSecret: Uint8Array;
    revisionKey: Uint8Array;
  }) {
    this.identity = init.identity;
    this.schedule = init.schedule;
    this.createdAt = init.createdAt;
    this.firstPeriod = init.firstPeriod;
    this.certs = init.certs;
    this.#signingSecret = init.signingSecret.slice();
    this.#revisionKey = init.revisionKey.slice();
  }

  /** The frontend address, 56 characters without `.onion`. */
  get address(): string {
    return onionAddressLabel(this.identity);
  }

  /** The first covered period. */
  get first(): TimePeriod {
    return this.#period(this.firstPeriod);
  }

  /** The last covered period. */
  get last(): TimePeriod {
    return this.#period(this.firstPeriod + this.certs.length - 1);
  }

  /**
   * From when both descriptors can be made (Unix seconds): the middle of the first period
   * ({@link halfPeriodSeconds} after its start), when its next period becomes the second slot.
   */
  get startsAt(): UnixSeconds {
    return this.first.start() + halfPeriodSeconds(this.schedule);
  }

  /**
   * Until when both descriptors can be made (Unix seconds): the middle of the last period.
   * After it the second descriptor (the next period's) cannot be made; half a period later,
   * at the end of the SRV run, the first one neither.
   */
  get endsAt(): UnixSeconds {
    return this.last.start() + halfPeriodSeconds(this.schedule);
  }

  /** A copy of OnionBalance's revision-counter key for this identity (`obRevisionKey`). */
  revisionKey(): Uint8Array {
    return this.#revisionKey.slice();
  }

  /** Whether `period` (number and length) is one the bundle covers. */
  covers(period: TimePeriod): boolean {
    return period.lengthMinutes === this.schedule.lengthMinutes &&
      period.number >= this.firstPeriod && period.number < this.firstPeriod + this.certs.length;
  }

  /**
   * The signing key and cert for `period`, or why there are none: a period
   * outside the span, of another length, or whose cert has expired at `now`.
   */
  signerFor(period: TimePeriod, now: Date): PeriodSigner {
    if (period.lengthMinutes !== this.schedule.lengthMinutes) {
      return {
        ok: false,
        reason: `the network's time periods last ${period.lengthMinutes} minutes, the bundle's ` +
          `${this.schedule.lengthMinutes}`,
      };
    }
    if (!this.covers(period)) {
      return {
        ok: false,
        reason:
          `the offline key bundle covers periods ${this.firstPeriod}-${this.last.number} only`,
      };
    }
    const cert = this.certs[period.number - this.firstPeriod]!;
    if (cert.isExpiredAt(now)) {
      return { ok: false, reason: `the bundle's certificate for ${period} has expired` };
    }
    return {
      ok: true,
      identity: { public: this.identity, signingKeyCert: cert },
      signingKey: this.#signer(period.number),
    };
  }

  /** The signing key of period `number` (derived once, then kept). */
  #signer(number: number): HsDescSigningKeypair {
    let signer = this.#signers.get(number);
    if (signer === undefined) {
      signer = deriveSigningKey(this.#signingSecret, this.#period(number));
      this.#signers.set(number, signer);
    }
    return signer;
  }

  #period(number: number): TimePeriod {
    return new TimePeriod(number, this.schedule.lengthMinutes, this.schedule.rotationOffsetSeconds);
  }

  /** @internal For `bundle_text.ts`: copies of the two secrets. */
  secretsForEncoding(): { signingSecret: Uint8Array; revisionKey: Uint8Array } {
    return { signingSecret: this.#signingSecret.slice(), revisionKey: this.#revisionKey.slice() };
  }

  /** Never show the secrets. */
  toJSON(): string {
    return `OfflineKeyBundle(${this.address}, periods ${this.firstPeriod}-${this.last.number})`;
  }

  /** Never show the secrets in `Deno.inspect` / `console.log`. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toJSON();
  }

  /** Never show the secrets in `node:util` `inspect`. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toJSON();
  }
}

/**
 * Half a time period in seconds: a service publishes the periods (TP−1, TP) from the start of
 * TP to the next SRV, half a period later, then (TP, TP+1) (rend-spec-v3 [FIRSTDESCUPLOAD],
 * tor `hs_in_period_between_tp_and_srv`).
 */
export function halfPeriodSeconds(schedule: BundleSchedule): number {
  return schedule.lengthMinutes * 30;
}

/** `seed_p` of the module comment, as a signing keypair. @internal For `bundle_text.ts`. */
export function deriveSigningKey(secret: Uint8Array, period: TimePeriod): HsDescSigningKeypair {
  const seed = sha3(SIGNING_KEY_LABEL, secret, period.numberBytes(), period.lengthBytes());
  try {
    return HsDescSigningKeypair.fromSeed(seed);
  } finally {
    seed.fill(0);
  }
}

/** The type-08 cert of `period`'s signing key, signed by the period's blinded key. */
function certifyPeriod(
  identity: HsIdKeypair,
  secret: Uint8Array,
  period: TimePeriod,
): Ed25519Cert {
  const signingKey = deriveSigningKey(secret, period);
  return signEd25519Cert({
    certType: CertType.HS_DESC_SIGNING,
    expirationHours: Math.ceil((period.end() + CERT_MARGIN_SECONDS) / 3600),
    certifiedKey: signingKey.public.toIdentity(),
  }, blindKeypair(identity, period));
}

/** Options of {@link makeOfflineBundle}. */
export interface MakeBundleOptions {
  /** Both descriptors can be made from this time (Unix seconds). */
  from: UnixSeconds;
  /** Both descriptors can be made until at least `from + days × 86400`. */
  days?: number;
  /** Or: this many periods, the first being the one a service publishes first at `from`. */
  periods?: number;
  /** Period length and offset (default: the real network's). */
  schedule?: BundleSchedule;
  /** When the bundle is made (Unix seconds), written in the file. */
  now: UnixSeconds;
  /** Randomness for the signing-key secret. */
  rng: Rng;
}

/**
 * Makes a bundle for `identity` covering the requested span. Runs where the
 * identity key is (the isolated machine).
 *
 * @throws {BundleError} `BadSpan` when the span is empty or longer than
 *   {@link MAX_BUNDLE_PERIODS} periods, or both or neither of `days` and `periods` are given.
 */
export function makeOfflineBundle(
  identity: HsIdKeypair,
  options: MakeBundleOptions,
): OfflineKeyBundle {
  const schedule = options.schedule ?? scheduleFor(1440);
  const half = halfPeriodSeconds(schedule);
  // The first slot at `from` is the period containing from − half (TP−1 before the SRV).
  const first = TimePeriod.containing(Math.floor(options.from) - half, schedule);
  let count: number;
  if (options.days !== undefined && options.periods === undefined) {
    if (!(options.days > 0) || !Number.isFinite(options.days)) {
      throw new BundleError(
        "BadSpan",
        `Cannot make a bundle for ${options.days} days: not a positive number`,
      );
    }
    // The second slot at `until` is the period containing until + half.
    const until = Math.floor(options.from + options.days * 86400);
    count = TimePeriod.containing(until + half - 1, schedule).number - first.number + 1;
  } else if (options.periods !== undefined && options.days === undefined) {
    count = options.periods;
  } else {
    throw new BundleError(
      "BadSpan",
      "Cannot make a bundle: give either a number of days or of periods",
    );
  }
  if (!Number.isSafeInteger(count) || count < 1 || count > MAX_BUNDLE_PERIODS) {
    throw new BundleError(
      "BadSpan",
      `Cannot make a bundle of ${count} periods: between 1 and ${MAX_BUNDLE_PERIODS}`,
    );
  }
  const signingSecret = options.rng(32);
  const revisionKey = obRevisionKey(identity);
  const certs: Ed25519Cert[] = [];
  for (let i = 0; i < count; i++) {
    const period = new TimePeriod(
      first.number + i,
      schedule.lengthMinutes,
      schedule.rotationOffsetSeconds,
    );
    certs.push(certifyPeriod(identity, signingSecret, period));
  }
  const bundle = new OfflineKeyBundle({
    identity: identity.public,
    schedule,
    createdAt: Math.floor(options.now),
    firstPeriod: first.number,
    certs,
    signingSecret,
    revisionKey,
  });
  signingSecret.fill(0);
  revisionKey.fill(0);
  return bundle;
}

/**
 * The span of `bundle` as text:
 * `2026-12-01 00:00 UTC to 2027-03-01 00:00 UTC (periods 20423-20513, 91 of 1440 minutes)`.
 */
export function describeSpan(bundle: OfflineKeyBundle): string {
  const fmt = (s: UnixSeconds) => new Date(s * 1000).toISOString().slice(0, 16).replace("T", " ");
  return `${fmt(bundle.startsAt)} UTC to ${fmt(bundle.endsAt)} UTC ` +
    `(periods ${bundle.firstPeriod}-${bundle.last.number}, ${bundle.certs.length} of ` +
    `${bundle.schedule.lengthMinutes} minutes)`;
}
