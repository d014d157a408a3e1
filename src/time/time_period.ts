/**
 * A time period of the onion-service protocol: its number and its length.
 *
 * Spec: rend-spec-v3 §2.2.1 [TIME-PERIODS]; tor-v3-spec.md §3.2.
 * The length (minutes) goes into the blinding nonce, `hs_index`,
 * `hsdir_index` and the disaster SRV, so it travels with the number: 1440 on
 * the real network, `24 × voting interval` on a testing network.
 *
 * @module
 */

import { u64be } from "../bytes/mod.ts";

/** The tor default period length in minutes (consensus parameter `hsdir_interval`). */
export const DEFAULT_PERIOD_LENGTH_MINUTES = 1440;

/** A time period: `period_num` with its `period_length` in minutes. */
export class TimePeriod {
  /** `period_num`. */
  readonly number: number;
  /** `period_length`, in minutes. */
  readonly lengthMinutes: number;

  /**
   * @param number The time-period number (a non-negative integer).
   * @param lengthMinutes The period length in minutes (a positive integer).
   * @throws {RangeError} When either is out of range.
   */
  constructor(number: number, lengthMinutes: number = DEFAULT_PERIOD_LENGTH_MINUTES) {
    if (!Number.isSafeInteger(number) || number < 0) {
      throw new RangeError(`Cannot make time period: bad number ${number}`);
    }
    if (!Number.isSafeInteger(lengthMinutes) || lengthMinutes <= 0) {
      throw new RangeError(`Cannot make time period: bad length ${lengthMinutes}`);
    }
    this.number = number;
    this.lengthMinutes = lengthMinutes;
  }

  /** `INT_8(period_num)`. */
  numberBytes(): Uint8Array {
    return u64be(this.number);
  }

  /** `INT_8(period_length)`. */
  lengthBytes(): Uint8Array {
    return u64be(this.lengthMinutes);
  }

  /** The period before this one. */
  previous(): TimePeriod {
    return new TimePeriod(this.number - 1, this.lengthMinutes);
  }

  /** The period after this one. */
  next(): TimePeriod {
    return new TimePeriod(this.number + 1, this.lengthMinutes);
  }

  /** Whether two periods have the same number and length. */
  equals(other: TimePeriod): boolean {
    return this.number === other.number && this.lengthMinutes === other.lengthMinutes;
  }

  /** `TP <number>/<length>m`, for logs. */
  toString(): string {
    return `TP ${this.number}/${this.lengthMinutes}m`;
  }
}
