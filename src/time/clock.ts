/**
 * An injectable wall clock (house style §6.5 and §7.7; arti passes a runtime,
 * std has `FakeTime`): code that needs "now" takes a {@link Clock}, so that
 * tests pin time instead of sleeping.
 *
 * Role: the only place in `src/` that reads the system clock is
 * {@link systemClock}. Protocol decisions (time period, SRV, hash ring) are
 * taken from the consensus valid-after, not from a clock (rend-spec
 * [FETCHUPLOADDESC]); the clock is for liveness checks, upload schedules and
 * the revision counter.
 *
 * @module
 */

import type { UnixSeconds } from "./time_period.ts";

/** A source of the current time. */
export interface Clock {
  /** Milliseconds since the Unix epoch (like `Date.now()`). */
  now(): number;
}

/** The system clock (`Date.now()`). */
export const systemClock: Clock = { now: () => Date.now() };

/** Whole seconds since the Unix epoch (floor) of a clock's current time. */
export function unixSeconds(clock: Clock): UnixSeconds {
  return Math.floor(clock.now() / 1000);
}

/**
 * A clock for tests: it stands still until told to move.
 *
 * @example
 * ```ts
 * import { FakeClock, unixSeconds } from "./clock.ts";
 * const clock = new FakeClock(1_460_546_101_000);
 * clock.advance(59_000);
 * unixSeconds(clock); // 1460546160
 * ```
 */
export class FakeClock implements Clock {
  #now: number;

  /**
   * @param start Milliseconds since the Unix epoch, or a `Date`.
   * @throws {RangeError} When `start` is not a finite time.
   */
  constructor(start: number | Date) {
    this.#now = FakeClock.#check(typeof start === "number" ? start : start.getTime());
  }

  static #check(ms: number): number {
    if (!Number.isFinite(ms)) throw new RangeError(`Cannot set fake clock to ${ms}`);
    return ms;
  }

  /** The fake time in milliseconds since the Unix epoch. */
  now(): number {
    return this.#now;
  }

  /** Moves the clock to `ms` (milliseconds since the epoch; may go backwards, like a wall clock). */
  set(ms: number | Date): void {
    this.#now = FakeClock.#check(typeof ms === "number" ? ms : ms.getTime());
  }

  /** Moves the clock forward (or back, when negative) by `ms` milliseconds. */
  advance(ms: number): void {
    this.#now = FakeClock.#check(this.#now + ms);
  }
}
