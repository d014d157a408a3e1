/**
 * A time period of the onion-service protocol: its number, its length, and
 * the rotation offset that places its start.
 *
 * Spec: rend-spec-v3 §2.2.1 [TIME-PERIODS]; tor `hs_common.c: get_time_period_length,
 * hs_get_time_period_num, hs_get_start_time_of_next_time_period`.
 * ```
 * period_num = (floor(t / 60) − rotation_offset_minutes) div period_length
 * start      = period_num × period_length × 60 + rotation_offset_seconds
 * ```
 * The length (minutes) goes into the blinding nonce, `hs_index`,
 * `hsdir_index` and the disaster SRV, so it travels with the number: 1440 on
 * the real network, `24 × voting interval` on a testing network. The rotation
 * offset is `12 × voting interval` (12 h on the real network).
 *
 * C-tor quirk: tor computes the period number with the offset truncated to
 * whole minutes (`time_period_rotation_offset /= 60`) but the start time with
 * the offset in seconds. The two agree whenever the voting interval is a
 * multiple of 5 s (always in practice); we copy both formulas as they are.
 *
 * Role: a value type; never reads a clock. Instants are Unix seconds.
 *
 * @module
 */

import { u64be } from "../bytes/mod.ts";

/** A point in time as whole seconds since the Unix epoch (what consensus documents hold). */
export type UnixSeconds = number;

/** The tor default period length in minutes (consensus parameter `hsdir_interval`). */
export const DEFAULT_PERIOD_LENGTH_MINUTES = 1440;

/** The rotation offset on the real network: 12 voting intervals of 3600 s. */
export const DEFAULT_ROTATION_OFFSET_SECONDS = 12 * 3600;

/** Length and offset of a time-period schedule. */
export interface TimePeriodSchedule {
  /** `period_length` in minutes (default 1440). */
  lengthMinutes?: number;
  /** The rotation offset in seconds (default 43200 = 12 h). */
  rotationOffsetSeconds?: number;
}

/** A time period: `period_num` with its `period_length` (minutes) and rotation offset. */
export class TimePeriod {
  /** `period_num`. */
  readonly number: number;
  /** `period_length`, in minutes. */
  readonly lengthMinutes: number;
  /** The rotation offset, in seconds (`12 × voting interval`). */
  readonly rotationOffsetSeconds: number;

  /**
   * @param number The time-period number (a non-negative integer).
   * @param lengthMinutes The period length in minutes (a positive integer).
   * @param rotationOffsetSeconds The rotation offset in seconds (a non-negative integer).
   * @throws {RangeError} When any is out of range.
   */
  constructor(
    number: number,
    lengthMinutes: number = DEFAULT_PERIOD_LENGTH_MINUTES,
    rotationOffsetSeconds: number = DEFAULT_ROTATION_OFFSET_SECONDS,
  ) {
    if (!Number.isSafeInteger(number) || number < 0) {
      throw new RangeError(`Cannot make time period: bad number ${number}`);
    }
    if (!Number.isSafeInteger(lengthMinutes) || lengthMinutes <= 0) {
      throw new RangeError(`Cannot make time period: bad length ${lengthMinutes}`);
    }
    if (!Number.isSafeInteger(rotationOffsetSeconds) || rotationOffsetSeconds < 0) {
      throw new RangeError(`Cannot make time period: bad rotation offset ${rotationOffsetSeconds}`);
    }
    this.number = number;
    this.lengthMinutes = lengthMinutes;
    this.rotationOffsetSeconds = rotationOffsetSeconds;
  }

  /**
   * The time period containing `when` (tor `hs_get_time_period_num`):
   * `period_num = (floor(when / 60) − floor(offset / 60)) div period_length`.
   *
   * @param when Unix seconds; tor passes the valid-after of the live consensus.
   * @param schedule Period length and rotation offset (defaults: the real network's).
   * @throws {RangeError} When `when` is before the first period (tor asserts this).
   *
   * @example
   * ```ts
   * import { TimePeriod } from "./time_period.ts";
   * TimePeriod.containing(1460546101).number; // 16903 (2016-04-13 11:15:01 UTC)
   * ```
   */
  static containing(when: UnixSeconds, schedule: TimePeriodSchedule = {}): TimePeriod {
    const length = schedule.lengthMinutes ?? DEFAULT_PERIOD_LENGTH_MINUTES;
    const offset = schedule.rotationOffsetSeconds ?? DEFAULT_ROTATION_OFFSET_SECONDS;
    if (!Number.isSafeInteger(when)) {
      throw new RangeError(`Cannot use time ${when}: not an integer`);
    }
    // minutes_since_epoch = t / 60; time_period_rotation_offset /= 60 (tor truncates both)
    const minutes = Math.floor(when / 60);
    const offsetMinutes = Math.floor(offset / 60);
    if (minutes <= offsetMinutes) {
      throw new RangeError(`Cannot compute time period of ${when}: before the first period`);
    }
    // time_period_num = (minutes_since_epoch - offset) / time_period_length
    return new TimePeriod(Math.floor((minutes - offsetMinutes) / length), length, offset);
  }

  /** `INT_8(period_num)`. */
  numberBytes(): Uint8Array {
    return u64be(this.number);
  }

  /** `INT_8(period_length)`. */
  lengthBytes(): Uint8Array {
    return u64be(this.lengthMinutes);
  }

  /** Start of the period, Unix seconds: `period_num × period_length × 60 + offset`. */
  start(): UnixSeconds {
    return this.number * this.lengthMinutes * 60 + this.rotationOffsetSeconds;
  }

  /** End of the period (exclusive; the start of the next one), Unix seconds. */
  end(): UnixSeconds {
    return this.next().start();
  }

  /** Whether `when` (Unix seconds) lies in `[start, end)`. */
  contains(when: UnixSeconds): boolean {
    return when >= this.start() && when < this.end();
  }

  /** The period before this one. */
  previous(): TimePeriod {
    return new TimePeriod(this.number - 1, this.lengthMinutes, this.rotationOffsetSeconds);
  }

  /** The period after this one. */
  next(): TimePeriod {
    return new TimePeriod(this.number + 1, this.lengthMinutes, this.rotationOffsetSeconds);
  }

  /** Whether two periods have the same number, length and offset. */
  equals(other: TimePeriod): boolean {
    return this.number === other.number && this.lengthMinutes === other.lengthMinutes &&
      this.rotationOffsetSeconds === other.rotationOffsetSeconds;
  }

  /**
   * `<number>/<length>`: a map key naming this period (the rotation offset follows from the
   * length on every network this code meets, so two periods with one key are the same).
   */
  get key(): string {
    return `${this.number}/${this.lengthMinutes}`;
  }

  /** `TP <number>/<length>m`, for logs. */
  toString(): string {
    return `TP ${this.number}/${this.lengthMinutes}m`;
  }
}
