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
 * The file (version 1), each line `keyword arguments`:
 * ```
 * onionbalance-offline-keys 1
 * onion-address <56 characters>.onion
 * period-length <minutes>
 * rotation-offset <seconds>
 * created <ISO 8601 UTC>
 * periods <first> <last>
 * cert <period> <base64 of the type-08 cert>        -- one per period, in order
 * signing-key-secret                                -- S, a PKCS#8 Ed25519 container
 * -----BEGIN PRIVATE KEY----- (or ENCRYPTED PRIVATE KEY) … -----END …-----
 * revision-key                                      -- K, a PKCS#8 Ed25519 container
 * -----BEGIN PRIVATE KEY----- (or ENCRYPTED PRIVATE KEY) … -----END …-----
 * digest sha3-256 <hex of SHA3-256 of every byte before this line>
 * ```
 * The two 32-byte secrets are stored as PKCS#8 Ed25519 private keys so that,
 * with a passphrase, they are standard `ENCRYPTED PRIVATE KEY` blocks (PBES2)
 * that `openssl pkey` reads. The digest catches a damaged file; the
 * certificates are verified against the identity at every load.
 *
 * Role: pure (no clock, no file system: `bundle_file.ts` reads and writes).
 *
 * @module
 */

import { bytesEqual, fromBase64, fromHex, toBase64, toHex } from "../bytes/mod.ts";
import {
  CertType,
  decodeEd25519Cert,
  type Ed25519Cert,
  Ed25519Identity,
  signEd25519Cert,
} from "../cert/mod.ts";
import { type Rng, sha3 } from "../crypto/mod.ts";
import {
  blindKeypair,
  blindPublicKey,
  decodePkcs8Pem,
  encodeEncryptedPkcs8Pem,
  encodePkcs8Pem,
  type HsIdKey,
  HsIdKeypair,
  KeyError,
  onionAddressLabel,
  parseOnionAddress,
} from "../keys/mod.ts";
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

  /** @internal For the encoder: copies of the two secrets. */
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

/** `seed_p` of the module comment, as a signing keypair. */
function deriveSigningKey(secret: Uint8Array, period: TimePeriod): HsDescSigningKeypair {
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

/** Options of {@link encodeOfflineBundle}. */
export interface EncodeBundleOptions {
  /** Encrypt the two secrets (PKCS#8 PBES2) with this passphrase. */
  passphrase?: Uint8Array;
}

/** The bundle's text (see the module comment), ending in a newline. */
export function encodeOfflineBundle(
  bundle: OfflineKeyBundle,
  options: EncodeBundleOptions = {},
): string {
  const { signingSecret, revisionKey } = bundle.secretsForEncoding();
  const pem = (secret: Uint8Array) => {
    const keypair = HsIdKeypair.fromSeed(secret);
    secret.fill(0);
    return options.passphrase === undefined
      ? encodePkcs8Pem(keypair)
      : encodeEncryptedPkcs8Pem(keypair, options.passphrase);
  };
  const lines = [
    `${BUNDLE_KEYWORD} ${BUNDLE_VERSION}`,
    `onion-address ${bundle.address}.onion`,
    `period-length ${bundle.schedule.lengthMinutes}`,
    `rotation-offset ${bundle.schedule.rotationOffsetSeconds}`,
    `created ${new Date(bundle.createdAt * 1000).toISOString().replace(/\.\d{3}Z$/, "Z")}`,
    `periods ${bundle.firstPeriod} ${bundle.last.number}`,
    ...bundle.certs.map((c, i) => `cert ${bundle.firstPeriod + i} ${toBase64(c.encode())}`),
  ];
  const body = `${lines.join("\n")}\nsigning-key-secret\n${pem(signingSecret)}` +
    `revision-key\n${pem(revisionKey)}`;
  return `${body}digest sha3-256 ${toHex(sha3(body))}\n`;
}

/** Whether `text` starts like a bundle (to tell it from a key file). */
export function looksLikeOfflineBundle(text: string | Uint8Array): boolean {
  const head = typeof text === "string"
    ? text.slice(0, 64)
    : new TextDecoder("latin1").decode(text.subarray(0, 64));
  return head.trimStart().startsWith(`${BUNDLE_KEYWORD} `);
}

/** Options of {@link decodeOfflineBundle}. */
export interface DecodeBundleOptions {
  /** The file, for messages. */
  file?: string;
  /** The passphrase of an encrypted bundle. */
  passphrase?: Uint8Array;
}

/**
 * Parses and verifies a bundle: its digest, every certificate (type 08,
 * signed by the period's blinded key of the bundle's identity, certifying the
 * signing key derived from the bundle's secret), and the secrets.
 *
 * @throws {BundleError} `BadBundle`, `BadDigest`, `BadCertificate` or `Passphrase`.
 */
export function decodeOfflineBundle(
  text: string,
  options: DecodeBundleOptions = {},
): OfflineKeyBundle {
  const subject = options.file === undefined
    ? "offline key bundle"
    : `offline key bundle "${options.file}"`;
  const bad = (message: string) =>
    new BundleError("BadBundle", `Cannot read ${subject}: ${message}`);
  const normalized = text.replace(/\r\n/g, "\n");
  const digestAt = normalized.lastIndexOf("\ndigest ");
  if (!looksLikeOfflineBundle(normalized)) throw bad(`the first line is not "${BUNDLE_KEYWORD} 1"`);
  if (digestAt < 0) throw bad(`no "digest" line (a truncated file?)`);
  const body = normalized.slice(0, digestAt + 1);
  const digestLine = normalized.slice(digestAt + 1).trim();
  const digest = /^digest sha3-256 ([0-9a-f]{64})$/.exec(digestLine)?.[1];
  if (digest === undefined) throw bad(`the last line is not "digest sha3-256 <64 hex digits>"`);
  if (!bytesEqual(fromHex(digest), sha3(body))) {
    throw new BundleError(
      "BadDigest",
      `Cannot read ${subject}: its digest does not match its content (the file is damaged or was edited)`,
    );
  }
  const lines = body.trimStart().split("\n");
  let at = 0;
  const next = (keyword: string): string[] => {
    const line = lines[at++] ?? "";
    const parts = line.split(" ");
    if (parts[0] !== keyword) throw bad(`line ${at}: expected "${keyword}", found "${parts[0]}"`);
    return parts.slice(1);
  };
  const version = next(BUNDLE_KEYWORD);
  if (version.length !== 1 || version[0] !== String(BUNDLE_VERSION)) {
    throw bad(`version "${version.join(" ")}" is not one this program reads (${BUNDLE_VERSION})`);
  }
  const [addressText] = next("onion-address");
  let identity: HsIdKey;
  try {
    identity = parseOnionAddress(addressText ?? "");
  } catch (cause) {
    if (!(cause instanceof KeyError)) throw cause;
    throw bad(`line ${at}: ${cause.message}`);
  }
  const integer = (value: string | undefined, what: string) => {
    const n = Number(value);
    if (value === undefined || !/^\d+$/.test(value) || !Number.isSafeInteger(n)) {
      throw bad(`line ${at}: ${what} "${value}" is not a non-negative integer`);
    }
    return n;
  };
  const lengthMinutes = integer(next("period-length")[0], "period length");
  const rotationOffsetSeconds = integer(next("rotation-offset")[0], "rotation offset");
  if (lengthMinutes < 1) throw bad("the period length is 0");
  const schedule = { lengthMinutes, rotationOffsetSeconds };
  const createdText = next("created")[0] ?? "";
  const createdMs = Date.parse(createdText);
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(createdText) || Number.isNaN(createdMs)) {
    throw bad(`line ${at}: "${createdText}" is not a UTC time like 2026-01-31T12:00:00Z`);
  }
  const span = next("periods");
  const first = integer(span[0], "first period");
  const last = integer(span[1], "last period");
  if (last < first || last - first + 1 > MAX_BUNDLE_PERIODS) {
    throw bad(`periods ${first}-${last} is not a span of 1 to ${MAX_BUNDLE_PERIODS} periods`);
  }
  const certs: Ed25519Cert[] = [];
  const rawCerts: { period: TimePeriod; bytes: Uint8Array }[] = [];
  for (let number = first; number <= last; number++) {
    const [n, b64] = next("cert");
    if (integer(n, "period") !== number) {
      throw bad(`line ${at}: expected the cert of period ${number}`);
    }
    let bytes: Uint8Array;
    try {
      bytes = fromBase64(b64 ?? "");
    } catch {
      throw bad(`line ${at}: the cert is not base64`);
    }
    rawCerts.push({ period: new TimePeriod(number, lengthMinutes, rotationOffsetSeconds), bytes });
  }
  const secret = (keyword: string): Uint8Array => {
    next(keyword);
    const end = lines.findIndex((l, i) => i >= at && /^-----END [A-Z ]+-----$/.test(l));
    if (end < 0) throw bad(`the "${keyword}" block has no END line`);
    const pem = lines.slice(at, end + 1).join("\n") + "\n";
    at = end + 1;
    try {
      const seed = decodePkcs8Pem(pem, { file: options.file, passphrase: options.passphrase })
        .seed();
      if (seed === undefined) throw bad(`the "${keyword}" block holds no seed`);
      return seed;
    } catch (cause) {
      if (!(cause instanceof KeyError)) throw cause;
      if (cause.kind === "PassphraseRequired" || cause.kind === "WrongPassphrase") {
        throw new BundleError(
          "Passphrase",
          cause.kind === "PassphraseRequired"
            ? `Cannot read ${subject}: it is encrypted; give its passphrase`
            : `Cannot read ${subject}: wrong passphrase, or an encryption this program cannot read`,
          { cause },
        );
      }
      throw bad(`the "${keyword}" block: ${cause.message}`);
    }
  };
  const signingSecret = secret("signing-key-secret");
  const revisionKey = secret("revision-key");
  if (at !== lines.length - 1 || lines[at] !== "") {
    throw bad(`unexpected line ${at + 1} before "digest"`);
  }
  try {
    for (const { period, bytes } of rawCerts) {
      certs.push(checkCert(bytes, identity, period, signingSecret, subject));
    }
    return new OfflineKeyBundle({
      identity,
      schedule,
      createdAt: Math.floor(createdMs / 1000),
      firstPeriod: first,
      certs,
      signingSecret,
      revisionKey,
    });
  } finally {
    signingSecret.fill(0);
    revisionKey.fill(0);
  }
}

/** One period's cert, checked (the expiry is checked at use: {@link OfflineKeyBundle.signerFor}). */
function checkCert(
  bytes: Uint8Array,
  identity: HsIdKey,
  period: TimePeriod,
  signingSecret: Uint8Array,
  subject: string,
): Ed25519Cert {
  const fail = (why: string, cause?: unknown) =>
    new BundleError("BadCertificate", `Cannot use ${subject}: the cert of ${period} ${why}`, {
      cause,
    });
  const blinded = Ed25519Identity.fromBytes(blindPublicKey(identity, period).toBytes());
  let cert: Ed25519Cert;
  try {
    cert = decodeEd25519Cert(bytes).check({
      now: new Date(0),
      certType: CertType.HS_DESC_SIGNING,
      signer: blinded,
    });
  } catch (cause) {
    throw fail("does not verify against the bundle's onion address", cause);
  }
  const expected = deriveSigningKey(signingSecret, period).public.toIdentity();
  if (!cert.certifiedKey.equals(expected)) {
    throw fail("certifies another key than the bundle's signing key");
  }
  return cert;
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
