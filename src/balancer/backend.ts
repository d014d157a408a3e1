/**
 * One backend instance as the balancer sees it: the last good descriptor
 * fetched for it, the revision counters seen, and whether it is usable.
 *
 * Spec: rend-spec-v3 §2.4 [DESC-OUTER] `revision-counter` (strictly increases
 * per blinded key); tor `hs_service.c` `HS_SERVICE_NEXT_UPLOAD_TIME_MAX` (a tor
 * service re-uploads with a new counter at least every 120 minutes).
 *
 * When is a backend usable? (OnionBalance 0.2.x: "a descriptor was received in
 * the last hour", which a dead backend's descriptor, still on the HSDirs for
 * 3 hours, keeps satisfying.)
 * - it has a checked descriptor (its intro-point certificates were valid when fetched);
 * - the last successful fetch is younger than `instance-stale-after`;
 * - its revision counter advanced within the last 3 hours (a live tor
 *   re-uploads at least every 2 hours, always with a higher counter);
 * - and, outside this module, active health checks do not leave it out (`health.ts`).
 *
 * Role: descriptor state only; no I/O.
 *
 * @module
 */

import type { HsIdKey } from "../keys/mod.ts";
import type { HsClientDescEncKeypair, HsDesc, HsDescIntroPoint } from "../netdoc/hsdesc/mod.ts";
import type { TimePeriod } from "../time/mod.ts";

/** What happened to a fetched descriptor. */
export type AcceptResult =
  | "new" // first descriptor, or one with new intro points
  | "updated" // higher revision counter, same intro points
  | "same" // the descriptor already held (same revision counter)
  | "rollback"; // lower revision counter than one already held: rejected

/**
 * An intro point as the balancer tells them apart: its auth key (base64),
 * which is unique per intro point (rend-spec-v3 [DESC-INNER] `auth-key`).
 */
export type IntroPointId = string & { readonly __introPointId: never };

/** The id of an intro point. */
export function introPointId(point: HsDescIntroPoint): IntroPointId {
  return point.authKey.toString() as IntroPointId;
}

/** A live tor re-uploads at least every 2 h; 3 h without a new counter means it stopped. */
export const REVISION_ADVANCE_LIMIT_MS = 3 * 3600 * 1000;

/** The state of one backend. */
export class Backend {
  /** 56-character address, without `.onion`. */
  readonly address: string;
  /** Identity key from the address. */
  readonly identity: HsIdKey;
  /** Operator's name from the config, if any. */
  name?: string;

  #descriptor?: HsDesc;
  /** The text the held descriptor was decoded from, when known. */
  #descriptorText?: string;
  /**
   * Highest revision counter seen per blinded key. The map key is the blinded
   * key's 32 bytes as comma-separated decimals (`toBytes().join(",")`).
   */
  readonly #highest = new Map<string, bigint>();
  /** When the held descriptor was last fetched (ms). */
  lastFetchOkAt?: number;
  /** When the held descriptor was first received (ms). */
  descriptorReceivedAt?: number;
  /** When the revision counter last advanced (ms). */
  revisionAdvancedAt?: number;
  /** When the intro-point set last changed (ms), the first descriptor included. */
  introSetModifiedAt?: number;
  /**
   * When a held intro-point set was last replaced by a different one (ms): the
   * backend retired or replaced intro points (busy, restarted, or a period
   * rotation). A backend that did so recently is fetched more often.
   */
  introSetReplacedAt?: number;
  /** When each held intro point (auth key) was first seen in a fetched descriptor (ms). */
  readonly #introSeenAt = new Map<IntroPointId, number>();
  /** Failed fetches in a row. */
  fetchFailures = 0;
  /** The last fetch failure's reason. */
  lastFetchError?: string;
  /**
   * The key the balancer reads this backend with when it is restricted (client
   * authorization, rend-spec-v3 [CLIENT-AUTH]), and the file it came from.
   */
  clientKey?: { key: HsClientDescEncKeypair; file: string };
  /**
   * Why the last fetch could not open the backend's descriptor for want of the right client
   * key (a restricted backend), or undefined: reported instead of "unreachable".
   */
  clientAuthProblem?: string;

  /**
   * @param address 56 lowercase characters without `.onion`.
   * @param identity The key the address encodes.
   */
  constructor(address: string, identity: HsIdKey) {
    this.address = address;
    this.identity = identity;
  }

  /** The checked descriptor held, if any. */
  get descriptor(): HsDesc | undefined {
    return this.#descriptor;
  }

  /** The intro points of the held descriptor (empty without one). */
  get introPoints(): readonly HsDescIntroPoint[] {
    return this.#descriptor?.inner.introPoints ?? [];
  }

  /**
   * The held descriptor, when `text` is byte for byte the text it was decoded
   * from and it would pass the same checks again at `now` for one of
   * `periods`: its period is among them and none of its certificates (the
   * signing-key cert and every intro point's two) has expired. Decoding the
   * text again would then give the same descriptor, so a fetch that brings
   * back an unchanged descriptor (most of them: backends are fetched every
   * few minutes and re-upload every 1–2 hours) costs no signature check.
   * Everything else a decode checks depends only on the text and the
   * backend's identity.
   */
  heldDescriptorFor(
    text: string,
    now: Date,
    periods: readonly TimePeriod[],
  ): HsDesc | undefined {
    const held = this.#descriptor;
    if (held === undefined || this.#descriptorText !== text) return undefined;
    if (!periods.some((p) => p.equals(held.period))) return undefined;
    const certs = [
      held.outer.signingKeyCert,
      ...held.inner.introPoints.flatMap((ip) => [ip.authKeyCert, ip.encKeyCert]),
    ];
    if (certs.some((cert) => cert.isExpiredAt(now))) return undefined;
    return held;
  }

  /**
   * Takes a checked descriptor fetched at `nowMs`, unless its revision counter
   * is lower than one already seen for the same blinded key (a rollback: an
   * HSDir serving an old copy).
   *
   * @param text The text it was decoded from (lets {@link heldDescriptorFor}
   *   recognise it when it comes back).
   */
  accept(descriptor: HsDesc, nowMs: number, text?: string): AcceptResult {
    const key = descriptor.blindedKey.toBytes().join(",");
    const counter = descriptor.outer.revisionCounter;
    const highest = this.#highest.get(key);
    if (highest !== undefined && counter < highest) return "rollback";
    this.lastFetchOkAt = nowMs;
    this.fetchFailures = 0;
    this.lastFetchError = undefined;
    this.clientAuthProblem = undefined;
    if (
      highest !== undefined && counter === highest &&
      this.#descriptor?.blindedKey.equals(descriptor.blindedKey) === true
    ) {
      return "same";
    }
    this.#highest.set(key, counter);
    this.revisionAdvancedAt = nowMs;
    const before = new Set(this.#introSeenAt.keys());
    this.#descriptor = descriptor;
    this.#descriptorText = text;
    this.descriptorReceivedAt = nowMs;
    const seen = new Map(this.#introSeenAt);
    this.#introSeenAt.clear();
    for (const id of this.introPoints.map(introPointId)) {
      this.#introSeenAt.set(id, seen.get(id) ?? nowMs);
    }
    const after = this.#introSeenAt;
    const same = before.size === after.size && [...before].every((id) => after.has(id));
    if (same && before.size > 0) return "updated";
    if (before.size > 0) this.introSetReplacedAt = nowMs;
    this.introSetModifiedAt = nowMs;
    return "new";
  }

  /**
   * When the intro point with auth key `id` was first seen in this backend's
   * descriptors, or undefined when the held descriptor does not list it (the
   * backend closed it).
   */
  introPointSeenAt(id: IntroPointId): number | undefined {
    return this.#introSeenAt.get(id);
  }

  /**
   * Records a failed fetch; `clientAuth` says when it failed because the descriptor could not
   * be opened with the client key held (none, or a wrong one).
   */
  fetchFailed(reason: string, clientAuth?: string): void {
    this.fetchFailures++;
    this.lastFetchError = reason;
    this.clientAuthProblem = clientAuth;
  }

  /**
   * Why the backend's descriptor cannot be used at `nowMs`, or undefined when it can.
   *
   * @param options `staleAfterMs` (config `instance-stale-after`).
   */
  unusableReason(nowMs: number, options: { staleAfterMs: number }): string | undefined {
    if (this.#descriptor === undefined) return this.clientAuthProblem ?? "no descriptor yet";
    if (this.introPoints.length === 0) return "its descriptor has no usable intro points";
    if (this.lastFetchOkAt !== undefined && nowMs - this.lastFetchOkAt > options.staleAfterMs) {
      return `no descriptor fetched for ${Math.round((nowMs - this.lastFetchOkAt) / 1000)} s` +
        (this.clientAuthProblem === undefined ? "" : ` (${this.clientAuthProblem})`);
    }
    if (
      this.revisionAdvancedAt !== undefined &&
      nowMs - this.revisionAdvancedAt > REVISION_ADVANCE_LIMIT_MS
    ) {
      return "its revision counter has not advanced for 3 hours (the backend stopped publishing)";
    }
    return undefined;
  }
}
