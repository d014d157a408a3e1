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

/** A source of the current time, and of waits measured on it. */
export interface Clock {
  /** Milliseconds since the Unix epoch (like `Date.now()`). */
  now(): number;
  /**
   * Waits `ms` milliseconds of this clock (0 when negative). Rejects with
   * `signal.reason` when `signal` aborts first, and then leaves no timer behind.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The system clock (`Date.now()`, `setTimeout`). */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal!.reason);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, Math.max(0, ms));
      signal?.addEventListener("abort", onAbort, { once: true });
    }),
};

/** Whole seconds since the Unix epoch (floor) of a clock's current time. */
export function unixSeconds(clock: Clock): UnixSeconds {
  return Math.floor(clock.now() / 1000);
}

/**
 * A clock for tests: it stands still until told to move, and its sleeps end
 * when it is moved past them (in the order they are due), so a test drives a
 * loop through hours of schedule without waiting.
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
  readonly #sleeps = new Set<{ at: number; resolve: () => void }>();

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
    this.#wakeDue();
  }

  /** Moves the clock forward (or back, when negative) by `ms` milliseconds. */
  advance(ms: number): void {
    this.#now = FakeClock.#check(this.#now + ms);
    this.#wakeDue();
  }

  /** Waits until the clock is moved to `now() + ms` or later; see {@link Clock.sleep}. */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const entry = {
        at: this.#now + Math.max(0, ms),
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.#sleeps.delete(entry);
        reject(signal!.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#sleeps.add(entry);
      this.#wakeDue();
    });
  }

  /** When the earliest pending sleep ends, or undefined when nothing sleeps. */
  nextWakeAt(): number | undefined {
    let at: number | undefined;
    for (const s of this.#sleeps) at = Math.min(at ?? Infinity, s.at);
    return at;
  }

  #wakeDue(): void {
    const due = [...this.#sleeps].filter((s) => s.at <= this.#now).sort((a, b) => a.at - b.at);
    for (const s of due) {
      this.#sleeps.delete(s);
      s.resolve();
    }
  }
}
