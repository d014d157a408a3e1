/**
 * Bounded polling: every wait of the test network has a deadline and says what it waited for.
 *
 * Role: used by the network and backend starters. Uses the real clock (this is tooling that
 * waits on real tor processes, not logic under test).
 *
 * @module
 */

/** Thrown when a bounded wait runs out; the message carries the last observed state. */
export class TestnetTimeoutError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "TestnetTimeoutError";
  }
}

/** Options of {@link waitFor}. */
export interface WaitOptions {
  /** Give up after this long. */
  timeoutMs: number;
  /** Pause between probes. Default 250 ms. */
  intervalMs?: number;
  /** Called whenever the probe reports a state different from the previous one. */
  onState?: (state: string) => void;
}

/** One probe's outcome: done with a value, or not yet with a description of the state. */
export type Probe<T> = { done: true; value: T } | { done: false; state: string };

/**
 * Calls `probe` until it reports done, or throws once `timeoutMs` has passed.
 *
 * A probe that throws counts as "not yet" (the error message becomes the state), so a node that
 * is still starting may refuse connections.
 *
 * @param what What is awaited, for the error message (e.g. `"the client to bootstrap"`).
 * @param probe Checks the condition once.
 * @param options The deadline and the polling interval.
 * @returns The probe's value.
 * @throws {TestnetTimeoutError} Naming `what` and the last state seen.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<Probe<T>>,
  options: WaitOptions,
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let state = "not checked yet";
  for (;;) {
    try {
      const outcome = await probe();
      if (outcome.done) return outcome.value;
      if (outcome.state !== state) options.onState?.(outcome.state);
      state = outcome.state;
    } catch (error) {
      state = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    }
    if (Date.now() >= deadline) {
      throw new TestnetTimeoutError(
        `Timed out after ${options.timeoutMs} ms waiting for ${what}: ${state}`,
      );
    }
    await sleep(Math.min(options.intervalMs ?? 250, Math.max(0, deadline - Date.now())));
  }
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
