/**
 * Time decisions taken from a consensus: voting interval, time-period length
 * and rotation offset, SR protocol runs, the "between TP and SRV" segment, and
 * which (time period, SRV) pair each of the two service descriptors and a
 * client fetch use.
 *
 * Spec: rend-spec-v3 [TIME-PERIODS], [FETCHUPLOADDESC] (with [CLIENTFETCH],
 * [FIRSTDESCUPLOAD], [SECONDDESCUPLOAD]), [PUB-SHAREDRANDOM];
 * https://spec.torproject.org/rend-spec/deriving-keys.html;
 * tor `hs_common.c: get_time_period_length, hs_in_period_between_tp_and_srv`,
 * `nodelist.c: node_set_hsdir_index`, `shared_random_client.c:
 * get_voting_interval, sr_state_get_start_time_of_current_protocol_run`;
 * tor `networkstatus.c` (`REASONABLY_LIVE_TIME`).
 *
 * Role: pure functions of a {@link ConsensusTimes} (which `src/netdoc/`
 * produces from a parsed consensus). Tor takes every such decision from the
 * valid-after of the live consensus, never from the system clock.
 *
 * @module
 */

import { disasterSrv, type SharedRandomValue } from "./srv.ts";
import { TimePeriod, type UnixSeconds } from "./time_period.ts";

/** The part of a consensus that time decisions need. */
export interface ConsensusTimes {
  /** `valid-after`, Unix seconds. */
  readonly validAfter: UnixSeconds;
  /** `fresh-until`, Unix seconds (fresh-until − valid-after is the voting interval). */
  readonly freshUntil: UnixSeconds;
  /** `valid-until`, Unix seconds. */
  readonly validUntil: UnixSeconds;
  /** The `params` line (absent parameters take tor's defaults). */
  readonly params?: ReadonlyMap<string, number> | undefined;
  /** `shared-rand-current-value`, if the consensus has one. */
  readonly srvCurrent?: SharedRandomValue | undefined;
  /** `shared-rand-previous-value`, if the consensus has one. */
  readonly srvPrevious?: SharedRandomValue | undefined;
  /**
   * Whether the tor we talk to runs with `TestingTorNetwork 1` (a setting of
   * tor, not of the consensus). Default false.
   */
  readonly isTestingNetwork?: boolean | undefined;
}

/** Tor's `REASONABLY_LIVE_TIME`: a consensus is usable 24 h before valid-after and after valid-until. */
export const REASONABLY_LIVE_SECONDS = 24 * 60 * 60;

/** `SHARED_RANDOM_N_ROUNDS`: voting rounds per SR phase; the rotation offset is this many intervals. */
export const SR_ROUNDS_PER_PHASE = 12;

/** Rounds in an SR protocol run (`SHARED_RANDOM_N_ROUNDS × SHARED_RANDOM_N_PHASES`). */
export const SR_ROUNDS_PER_RUN = 24;

/** Default, minimum and maximum of an Int32 consensus parameter. */
export interface ConsensusParamSpec {
  /** The parameter name in the `params` line. */
  readonly name: string;
  /** Tor's value when the parameter is absent. */
  readonly default: number;
  /** Smallest accepted value; smaller ones are raised to it. */
  readonly min: number;
  /** Largest accepted value; larger ones are lowered to it. */
  readonly max: number;
}

/** `hsdir_interval`: the time-period length in minutes (tor `HS_TIME_PERIOD_LENGTH_*`). */
export const HSDIR_INTERVAL: ConsensusParamSpec = {
  name: "hsdir_interval",
  default: 1440,
  min: 30,
  max: 14400,
};

/**
 * A consensus parameter as tor reads it (`networkstatus_get_param`): the
 * default when absent, otherwise the value clamped to `[min, max]`.
 *
 * @example
 * ```ts
 * import { consensusParam, HSDIR_INTERVAL } from "./consensus_times.ts";
 * consensusParam(new Map([["hsdir_interval", 5]]), HSDIR_INTERVAL); // 30
 * ```
 */
export function consensusParam(
  params: ReadonlyMap<string, number> | undefined,
  spec: ConsensusParamSpec,
): number {
  const value = params?.get(spec.name);
  if (value === undefined || !Number.isInteger(value)) return spec.default;
  return Math.min(spec.max, Math.max(spec.min, value));
}

/**
 * Whether tor would use this consensus at `now` ("reasonably live",
 * `networkstatus_get_reasonably_live_consensus`):
 * `valid_after − 24 h ≤ now ≤ valid_until + 24 h`.
 */
export function isReasonablyLive(consensus: ConsensusTimes, now: UnixSeconds): boolean {
  return now >= consensus.validAfter - REASONABLY_LIVE_SECONDS &&
    now <= consensus.validUntil + REASONABLY_LIVE_SECONDS;
}

/** Which of the service's two descriptors: OnionBalance's first/second, tor's current/next. */
export type DescriptorSlot = "first" | "second";

/** The time period and SRV that place a descriptor (or a fetch) on the hash ring. */
export interface RingTimes {
  /** The time period for the blinded key, `hs_index` and every `hsdir_index`. */
  readonly period: TimePeriod;
  /** The SRV for every `hsdir_index` (the disaster SRV of `period` when missing). */
  readonly srv: SharedRandomValue;
}

/** {@link RingTimes} of one service descriptor, with the SR run its revision counter counts from. */
export interface DescriptorTimes extends RingTimes {
  /** Which descriptor. */
  readonly slot: DescriptorSlot;
  /**
   * Start of the SR protocol run whose SRV this descriptor uses (previous run
   * for "first", current run for "second"); the revision counter counts
   * seconds from it (tor `set_descriptor_revision_counter`, OnionBalance
   * `_get_revision_counter`).
   */
  readonly srvRunStart: UnixSeconds;
}

/**
 * Every time decision derived from one consensus.
 *
 * @example
 * ```ts
 * import { HsTimeline } from "./consensus_times.ts";
 * // 2016-04-13 13:00 UTC: between the new time period (12:00) and the next SRV (00:00).
 * const t = HsTimeline.fromConsensus({
 *   validAfter: 1460552400, freshUntil: 1460556000, validUntil: 1460563200,
 * });
 * t.inTpToSrv; // true
 * t.descriptor("first").period.number; // 16903
 * t.descriptor("second").period.number; // 16904
 * ```
 */
export class HsTimeline {
  /** The consensus the timeline was derived from. */
  readonly consensus: ConsensusTimes;
  /** fresh-until − valid-after, seconds (tor `get_voting_interval`). */
  readonly votingIntervalSeconds: number;
  /** `period_length` in minutes. */
  readonly periodLengthMinutes: number;
  /** `12 × voting interval`, seconds. */
  readonly rotationOffsetSeconds: number;
  /** The time period containing valid-after. */
  readonly currentPeriod: TimePeriod;
  /** Start of the current SR protocol run, Unix seconds. */
  readonly srvRunStart: UnixSeconds;
  /** Start of the previous SR protocol run, Unix seconds. */
  readonly previousSrvRunStart: UnixSeconds;
  /** Whether valid-after lies between a new time period and the next SRV (12:00–00:00 live). */
  readonly inTpToSrv: boolean;

  private constructor(consensus: ConsensusTimes) {
    this.consensus = consensus;
    const vi = votingIntervalSeconds(consensus);
    this.votingIntervalSeconds = vi;
    this.periodLengthMinutes = periodLengthMinutes(consensus);
    // time_period_rotation_offset = sr_state_get_phase_duration() = SHARED_RANDOM_N_ROUNDS × interval
    this.rotationOffsetSeconds = SR_ROUNDS_PER_PHASE * vi;
    const schedule = {
      lengthMinutes: this.periodLengthMinutes,
      rotationOffsetSeconds: this.rotationOffsetSeconds,
    };
    this.currentPeriod = TimePeriod.containing(consensus.validAfter, schedule);
    // curr_round_slot = (beginning_of_curr_round / voting_interval) % total_rounds
    // start = beginning_of_curr_round − curr_round_slot × voting_interval
    const slot = Math.floor(consensus.validAfter / vi) % SR_ROUNDS_PER_RUN;
    this.srvRunStart = consensus.validAfter - slot * vi;
    this.previousSrvRunStart = this.srvRunStart - SR_ROUNDS_PER_RUN * vi;
    // tp_start_time = hs_get_start_time_of_next_time_period(srv_start_time)
    const tpStart = TimePeriod.containing(this.srvRunStart, schedule).next().start();
    // in_TP_to_SRV = not (srv_start ≤ valid_after < tp_start)
    this.inTpToSrv = !(consensus.validAfter >= this.srvRunStart && consensus.validAfter < tpStart);
  }

  /**
   * @throws {RangeError} When fresh-until is not after valid-after, or the
   *   period length comes out below one minute (a voting interval under 3 s on
   *   a testing network).
   */
  static fromConsensus(consensus: ConsensusTimes): HsTimeline {
    return new HsTimeline(consensus);
  }

  /** The consensus's current SRV, or the disaster SRV of `period` (tor `hs_get_current_srv`). */
  currentSrv(period: TimePeriod): SharedRandomValue {
    return this.consensus.srvCurrent ?? disasterSrv(period);
  }

  /** The consensus's previous SRV, or the disaster SRV of `period` (tor `hs_get_previous_srv`). */
  previousSrv(period: TimePeriod): SharedRandomValue {
    return this.consensus.srvPrevious ?? disasterSrv(period);
  }

  /**
   * Time period and SRV of a service descriptor, rend-spec [FIRSTDESCUPLOAD],
   * [SECONDDESCUPLOAD] (tor `build_descriptors_for_new_service`,
   * `node_set_hsdir_index`; OnionBalance `hashring.get_srv_and_time_period`):
   *
   * | slot | in_TP_to_SRV | otherwise |
   * | --- | --- | --- |
   * | first | TP−1, previous SRV | TP, previous SRV |
   * | second | TP, current SRV | TP+1, current SRV |
   */
  descriptor(slot: DescriptorSlot): DescriptorTimes {
    const tp = this.currentPeriod;
    if (slot === "first") {
      const period = this.inTpToSrv ? tp.previous() : tp;
      return { slot, period, srv: this.previousSrv(period), srvRunStart: this.previousSrvRunStart };
    }
    const period = this.inTpToSrv ? tp : tp.next();
    return { slot, period, srv: this.currentSrv(period), srvRunStart: this.srvRunStart };
  }

  /**
   * Time period and SRV a client uses to fetch, rend-spec [CLIENTFETCH]: the
   * current TP, with the current SRV when in_TP_to_SRV, else the previous SRV.
   */
  fetch(): RingTimes {
    const period = this.currentPeriod;
    return { period, srv: this.inTpToSrv ? this.currentSrv(period) : this.previousSrv(period) };
  }
}

/**
 * fresh-until − valid-after, in seconds (tor `get_voting_interval` with a live consensus).
 *
 * @throws {RangeError} When it is not a positive integer.
 */
export function votingIntervalSeconds(consensus: ConsensusTimes): number {
  const vi = consensus.freshUntil - consensus.validAfter;
  if (!Number.isSafeInteger(vi) || vi <= 0) {
    throw new RangeError(
      `Cannot derive voting interval: fresh-until ${consensus.freshUntil} is not after valid-after ${consensus.validAfter}`,
    );
  }
  return vi;
}

/**
 * `period_length` in minutes (tor `get_time_period_length`): on a testing
 * network the SR run length, `24 × voting interval / 60` (truncated; the
 * `hsdir_interval` parameter is ignored there), otherwise `hsdir_interval`
 * (default 1440, clamped to [30, 14400]).
 *
 * @throws {RangeError} When a testing network's run is shorter than a minute.
 */
export function periodLengthMinutes(consensus: ConsensusTimes): number {
  if (consensus.isTestingNetwork === true) {
    const minutes = Math.floor((SR_ROUNDS_PER_RUN * votingIntervalSeconds(consensus)) / 60);
    if (minutes < 1) {
      throw new RangeError("Cannot derive time-period length: SR run shorter than a minute");
    }
    return minutes;
  }
  return consensusParam(consensus.params, HSDIR_INTERVAL);
}
