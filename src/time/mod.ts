/**
 * Time in the onion-service protocol: time periods, shared random values (and
 * the disaster SRV), the decisions tor derives from a consensus's valid-after
 * (which time period and SRV each descriptor and a client fetch use), and an
 * injectable clock.
 *
 * Spec: rend-spec-v3 §2.2.1 [TIME-PERIODS], §2.2.4 [FETCHUPLOADDESC], §2.3
 * [PUB-SHAREDRANDOM]; https://spec.torproject.org/rend-spec/deriving-keys.html.
 *
 * Role: pure functions and value types; {@link systemClock} is the only
 * reader of the system clock. Instants are Unix seconds ({@link UnixSeconds})
 * except {@link Clock.now}, which is milliseconds like `Date.now()`.
 *
 * @example
 * ```ts
 * import { HsTimeline } from "./mod.ts";
 * const timeline = HsTimeline.fromConsensus({
 *   validAfter: 1460552400, // 2016-04-13 13:00:00 UTC
 *   freshUntil: 1460556000,
 *   validUntil: 1460563200,
 * });
 * const second = timeline.descriptor("second");
 * second.period.number; // 16904
 * second.period.start(); // 1460548800 (2016-04-13 12:00:00 UTC)
 * ```
 *
 * @module
 */

export {
  DEFAULT_PERIOD_LENGTH_MINUTES,
  DEFAULT_ROTATION_OFFSET_SECONDS,
  TimePeriod,
  type TimePeriodSchedule,
  type UnixSeconds,
} from "./time_period.ts";
export { type Clock, FakeClock, systemClock, unixSeconds } from "./clock.ts";
export { disasterSrv, SharedRandomValue } from "./srv.ts";
export {
  consensusParam,
  type ConsensusParamSpec,
  type ConsensusTimes,
  type DescriptorSlot,
  type DescriptorTimes,
  HSDIR_INTERVAL,
  HsTimeline,
  isReasonablyLive,
  periodLengthMinutes,
  REASONABLY_LIVE_SECONDS,
  type RingTimes,
  SR_ROUNDS_PER_PHASE,
  SR_ROUNDS_PER_RUN,
  votingIntervalSeconds,
} from "./consensus_times.ts";
