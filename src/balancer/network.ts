/**
 * What the balancer knows about the Tor network: the consensus its tor holds,
 * the relays that qualify as v3 HSDirs, the time periods and SRVs derived
 * from the consensus, and the hash rings built from them.
 *
 * Spec: rend-spec-v3 §2.2 [HASHRING] ([TIME-PERIODS], [WHERE-HSDESC],
 * [FETCHUPLOADDESC]), §2.3 [PUB-SHAREDRANDOM]; tor `hs_common.c:
 * hs_get_time_period_num, hs_get_responsible_hsdirs`. Every time decision
 * comes from the consensus's valid-after, as in tor, not from the system clock.
 *
 * Role: built from two control-port answers (the microdesc consensus and
 * `md/all`), then pure. A ring is built once per (time period, SRV) and kept.
 * The daemon builds each view from the one before (`previous`), so an hourly
 * consensus re-hashes only what changed.
 *
 * @module
 */

import {
  type HsDirParams,
  hsDirParams,
  HsDirRing,
  isV3HsDir,
  type RingPurpose,
} from "../hashring/mod.ts";
import type { HsBlindIdKey, RelayEd25519Id } from "../keys/mod.ts";
import { type MicrodescConsensus, parseMicrodescConsensus } from "../netdoc/consensus.ts";
import { MicrodescCache } from "../netdoc/microdesc.ts";
import { HsTimeline, isReasonablyLive, type RingTimes } from "../time/mod.ts";

/** A relay of the consensus, as the balancer uses it. */
export interface Relay {
  /** Nickname. */
  readonly nickname: string;
  /** RSA fingerprint, 40 uppercase hex: what `HSPOST SERVER=` takes. */
  readonly fingerprint: string;
  /** Consensus flags. */
  readonly flags: ReadonlySet<string>;
  /** `pr` line. */
  readonly protocols?: ReadonlyMap<string, ReadonlySet<number>> | undefined;
  /** `v` line. */
  readonly version?: string | undefined;
  /** ed25519 identity from the microdescriptor, when known. */
  readonly ed25519Id?: RelayEd25519Id | undefined;
}

/** Options of {@link NetworkView.fromDocuments}. */
export interface NetworkViewOptions {
  /** Whether the tor runs with `TestingTorNetwork 1` (changes the time-period length). */
  isTestingNetwork: boolean;
  /**
   * The view of the consensus before, if any: the new view takes over its
   * microdescriptor cache and reuses the `hsdir_index` of every relay whose
   * microdescriptor did not change, for rings of the same (TP, SRV). Results
   * are the same as without it; a new consensus costs hashing only for new
   * microdescriptors. `previous` keeps working but no longer caches.
   */
  previous?: NetworkView;
}

/** The balancer's picture of the network, from one consensus. */
export class NetworkView {
  /** The parsed consensus. */
  readonly consensus: MicrodescConsensus;
  /** Time periods and SRVs for this consensus. */
  readonly timeline: HsTimeline;
  /** `hsdir_n_replicas`, `hsdir_spread_store`, `hsdir_spread_fetch`. */
  readonly params: HsDirParams;
  /** Every relay of the consensus. */
  readonly relays: readonly Relay[];
  /** Relays on the v3 HSDir ring. */
  readonly hsDirs: readonly Relay[];
  readonly #rings = new Map<string, HsDirRing<Relay>>();
  /** The previous view's rings, until this view builds its own for the same key. */
  readonly #reuse: Map<string, HsDirRing<Relay>>;
  #microdescs: MicrodescCache;

  private constructor(
    consensus: MicrodescConsensus,
    relays: Relay[],
    microdescs: MicrodescCache,
    options: NetworkViewOptions,
  ) {
    this.consensus = consensus;
    this.timeline = HsTimeline.fromConsensus({
      ...consensus,
      isTestingNetwork: options.isTestingNetwork,
    });
    this.params = hsDirParams(consensus.params);
    this.relays = relays;
    this.hsDirs = relays.filter(isV3HsDir);
    this.#microdescs = microdescs;
    this.#reuse = new Map(options.previous === undefined ? [] : options.previous.#rings);
  }

  /**
   * Builds the view from the text of `GETINFO dir/status-vote/current/consensus-microdesc`
   * and `GETINFO md/all`.
   *
   * @throws {NetdocSyntaxError} When the consensus is malformed.
   */
  static fromDocuments(
    consensusText: string,
    microdescText: string,
    options: NetworkViewOptions,
  ): NetworkView {
    const consensus = parseMicrodescConsensus(consensusText);
    const previous = options.previous;
    const cache = previous === undefined ? new MicrodescCache() : previous.#microdescs;
    if (previous !== undefined) previous.#microdescs = new MicrodescCache(); // handed over
    const byDigest = new Map(cache.parse(microdescText).map((md) => [md.digest, md]));
    const relays = consensus.relays.map((r): Relay => ({
      nickname: r.nickname,
      fingerprint: r.fingerprint,
      flags: r.flags,
      protocols: r.protocols,
      version: r.version,
      ed25519Id: byDigest.get(r.microdescDigest)?.ed25519Id,
    }));
    return new NetworkView(consensus, relays, cache, options);
  }

  /** Whether the consensus is "reasonably live" at `nowSeconds` (tor's ±24 h rule). */
  isLive(nowSeconds: number): boolean {
    return isReasonablyLive(this.consensus, nowSeconds);
  }

  /** The hash ring for a (time period, SRV), built once. */
  ring(times: RingTimes): HsDirRing<Relay> {
    const key = `${times.period.key}/${times.srv.toString()}`;
    let ring = this.#rings.get(key);
    if (ring === undefined) {
      ring = HsDirRing.build(this.hsDirs, times, { reuse: this.#reuse.get(key) });
      this.#reuse.delete(key);
      this.#rings.set(key, ring);
    }
    return ring;
  }

  /** The HSDirs responsible for `blinded` at `times`, in tor's order. */
  responsible(blinded: HsBlindIdKey, times: RingTimes, purpose: RingPurpose = "store"): Relay[] {
    return this.ring(times).responsible(blinded, { params: this.params, purpose });
  }

  /** Relays whose microdescriptor is missing (they cannot be placed on the ring). */
  get relaysWithoutMicrodesc(): number {
    return this.relays.filter((r) => r.ed25519Id === undefined).length;
  }
}
