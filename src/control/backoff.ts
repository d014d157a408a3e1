/**
 * Reconnect delays: capped exponential backoff with "equal jitter".
 *
 * Spec: none (AWS Architecture Blog, "Exponential Backoff And Jitter": equal jitter keeps at
 * least half of each delay, so a restarted tor is not hit by every client at once, and never
 * retries in a tight loop).
 *
 * Role: pure delay arithmetic for `client.ts`. Randomness comes from an injected `rng` and waiting
 * from an injected {@link Sleeper}, so unit tests neither depend on chance nor sleep on the real
 * clock.
 *
 * @module
 */

/** Tuning of the reconnect backoff. */
export interface BackoffOptions {
  /** Delay before the first reconnect attempt, in ms. Default 250. */
  initialDelayMs?: number;
  /** Upper bound of any delay, in ms. Default 30 000. */
  maxDelayMs?: number;
  /** Growth per attempt. Default 2. */
  factor?: number;
}

/** A random number in [0, 1), like `Math.random`. */
export type JitterRng = () => number;

/** Waits `ms` milliseconds; rejects with `signal.reason` when `signal` aborts first (as `Clock.sleep`). */
export type Sleeper = (ms: number, signal: AbortSignal) => Promise<void>;

/**
 * The delay before reconnect attempt number `attempt` (0 for the first):
 * `d = min(maxDelayMs, initialDelayMs · factor^attempt)`, then a uniform value in `[d/2, d)`.
 *
 * @param attempt How many attempts were made already (0, 1, 2, …).
 * @param rng Source of randomness in [0, 1).
 * @param options Initial delay, cap and growth factor.
 * @returns The delay in milliseconds.
 * @throws {RangeError} If `attempt` is negative or not an integer.
 *
 * @example
 * ```ts
 * import { backoffDelay } from "./backoff.ts";
 * const delay = backoffDelay(3, () => 0.5, { initialDelayMs: 100, maxDelayMs: 10_000 });
 * if (delay !== 600) throw new Error(String(delay)); // d = 100 · 2³ = 800; 0.5 → 600
 * ```
 */
export function backoffDelay(
  attempt: number,
  rng: JitterRng,
  options: BackoffOptions = {},
): number {
  if (!Number.isInteger(attempt) || attempt < 0) {
    throw new RangeError(`Cannot compute a backoff delay: attempt ${attempt} is not a count`);
  }
  const initial = options.initialDelayMs ?? 250;
  const max = options.maxDelayMs ?? 30_000;
  const factor = options.factor ?? 2;
  const capped = Math.min(max, initial * factor ** attempt);
  return capped / 2 + (capped / 2) * rng();
}
