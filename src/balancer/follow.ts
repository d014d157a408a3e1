/**
 * When to fetch a backend's descriptor so that the frontend descriptors carry
 * the intro points that are open for the clients that use them: the policy the
 * daemon applies, as pure functions of the schedule, the backend and the
 * consensus timeline. docs/timeline.md explains the timeline it follows.
 *
 * Spec: rend-spec-v3 [TIME-PERIODS]; tor `hs_service.c:
 * rotate_service_descriptors()`, `set_rotation_time()` (a service drops the
 * previous period's descriptor and closes its intro circuits at the next
 * shared-random run), `intro_point_should_expire()`.
 *
 * @module
 */

import { type HsTimeline, SR_ROUNDS_PER_RUN } from "../time/mod.ts";
import type { Backend } from "./backend.ts";

/** A backend whose intro points changed (or first came) this recently is fetched every busy-fetch-interval. */
export const BUSY_WINDOW_MS = 3600_000;
/** Retry delay, at most, while a backend's descriptor for a new time period is awaited. */
export const PERIOD_RETRY_MS = 10_000;
/** The pre-rotation pass runs this long before the services rotate (at most a quarter of the wait). */
const BEFORE_ROTATION_MS = 60_000;
/** A failed health check re-fetches the backend's descriptor, at most this often. */
export const CHECK_REFETCH_MS = 10_000;

/** Per-backend scheduling state of the daemon. */
export interface FetchSchedule {
  nextAt: number;
  /**
   * The time period whose descriptor is awaited after a period change: fetches
   * are retried (at most every 10 s) until one for it is in, the backend is left
   * out, or `wantUntil` (the services' rotation) passes.
   */
  wantPeriod?: number;
  wantUntil?: number;
  /** The HSDir the last fetch asked, when it failed: the next fetch asks another. */
  failedHsDir?: string;
  /** When the last fetch started (ms). */
  lastAttemptAt?: number;
  inFlight: boolean;
  firstDone: boolean;
}

/** A new schedule: fetch at once. */
export function newSchedule(): FetchSchedule {
  return { nextAt: 0, inFlight: false, firstDone: false };
}

/**
 * The interval until a backend's next routine fetch: busy-fetch-interval until
 * its intro points have stayed the same for an hour (after its first
 * descriptor, and after every change), fetch-interval then.
 */
export function routineInterval(
  backend: Backend,
  now: number,
  timings: { fetchIntervalMs: number; busyFetchIntervalMs: number },
): number {
  const changed = backend.introSetModifiedAt;
  const busy = changed !== undefined && now - changed < BUSY_WINDOW_MS;
  return busy
    ? Math.min(timings.fetchIntervalMs, timings.busyFetchIntervalMs)
    : timings.fetchIntervalMs;
}

/**
 * After a period change seen at `now` (ms): when the services rotate (the next
 * shared-random run, in the window between a new period and that run), and
 * when to fetch every backend once more before they do. Both undefined outside
 * that window.
 */
export function rotationTimes(
  timeline: HsTimeline,
  now: number,
): { rotationAt?: number; fetchAt?: number } {
  if (!timeline.inTpToSrv) return {};
  const rotationAt = (timeline.srvRunStart + SR_ROUNDS_PER_RUN * timeline.votingIntervalSeconds) *
    1000;
  if (rotationAt <= now) return { rotationAt };
  return { rotationAt, fetchAt: rotationAt - Math.min(BEFORE_ROTATION_MS, (rotationAt - now) / 4) };
}

/**
 * Marks `s` due now and, unless the backend already holds a descriptor for
 * `period` (and no `until` is given), awaiting `period`'s descriptor until
 * `until` (default: one minute).
 */
export function awaitPeriod(
  s: FetchSchedule,
  heldPeriod: number | undefined,
  period: number,
  now: number,
  until?: number,
): void {
  s.nextAt = Math.min(s.nextAt, now);
  if (heldPeriod !== period || until !== undefined) {
    s.wantPeriod = period;
    s.wantUntil = until ?? now + PERIOD_RETRY_MS * 6;
  }
}

/**
 * Whether a new period's descriptor is still awaited (see {@link FetchSchedule});
 * clears the wait once `wantUntil` passed or the backend is left out.
 */
export function stillAwaiting(s: FetchSchedule, now: number, leftOut: boolean): boolean {
  if (s.wantPeriod === undefined) return false;
  if (now >= (s.wantUntil ?? 0) || leftOut) {
    s.wantPeriod = s.wantUntil = undefined;
    return false;
  }
  return true;
}
