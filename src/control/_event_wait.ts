/**
 * Send a command and wait for the events that report its outcome, with a deadline.
 *
 * Spec: control-spec §3.26 HSFETCH and §3.29 HSPOST answer `250 OK` at once and report the result
 * later as HS_DESC / HS_DESC_CONTENT events (tor `hs_control.c: hs_control_hsfetch_command,
 * hs_control_hspost_command`).
 *
 * Role: private helper of `hs_fetch.ts` and `hs_post.ts`. It subscribes *before* sending (stem
 * `get_hidden_service_descriptor`), fails with {@link ControlSocketClosed} as soon as the
 * connection is lost, and always unsubscribes (without making the caller wait for that). A malformed event makes the handler throw, which
 * the client logs; the wait goes on.
 *
 * @module
 */

import type { ControlClient } from "./client.ts";
import { type ControlError, ControlSocketClosed } from "./errors.ts";
import { type ControlEvent, parseEvent } from "./events.ts";

/** What the HS helpers need from the client. */
export type HsClient = Pick<ControlClient, "request" | "subscribe" | "onStateChange">;

/** How one wait works. */
export interface EventWait<T> {
  /** Event types to subscribe to. */
  readonly eventTypes: readonly string[];
  /** Deadline in milliseconds. */
  readonly timeoutMs: number;
  /** Caller's cancellation. */
  readonly signal: AbortSignal | undefined;
  /** What is being waited for, for messages. */
  readonly what: string;
  /** Sees each typed event; calls `finish` with the result when the outcome is known. */
  readonly onEvent: (event: ControlEvent, finish: (result: T) => void) => void;
  /** At the deadline: a partial result, or the error to throw. */
  readonly onTimeout: () => T | ControlError;
  /** Sends the command; `signal` fires at the deadline or on cancellation. */
  readonly send: (signal: AbortSignal) => Promise<unknown>;
}

/**
 * Runs one {@link EventWait}.
 *
 * @param client The control client.
 * @param wait The events, deadline, handler and command.
 * @returns The result passed to `finish`, or the partial result of `onTimeout`.
 */
export async function sendAndWaitForEvents<T>(client: HsClient, wait: EventWait<T>): Promise<T> {
  let resolve!: (result: T) => void;
  let reject!: (error: unknown) => void;
  const outcome = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  outcome.catch(() => {}); // Awaited below; this only keeps an early rejection from being unhandled.
  const timeout = AbortSignal.timeout(wait.timeoutMs);
  const signal = wait.signal ? AbortSignal.any([timeout, wait.signal]) : timeout;
  const onAbort = () => {
    if (!timeout.aborted) return reject(signal.reason);
    const late = wait.onTimeout();
    if (late instanceof Error) reject(late);
    else resolve(late);
  };
  signal.addEventListener("abort", onAbort, { once: true });
  const stopWatching = client.onStateChange(({ state, error }) => {
    if (state === "connected") return;
    reject(
      new ControlSocketClosed(`The control connection was lost while waiting for ${wait.what}`, {
        cause: error,
      }),
    );
  });
  const subscription = await client.subscribe(wait.eventTypes, (reply) => {
    wait.onEvent(parseEvent(reply), resolve);
  }).catch((error) => {
    signal.removeEventListener("abort", onAbort);
    stopWatching();
    throw error;
  });
  try {
    if (!signal.aborted) {
      await wait.send(signal).catch((error) => {
        // A deadline that passes during the send is answered by onTimeout, like a later one.
        if (!timeout.aborted) throw error;
      });
    }
    return await outcome;
  } finally {
    signal.removeEventListener("abort", onAbort);
    stopWatching();
    // Not awaited: the caller has its answer; narrowing tor's event set can finish on its own
    // (unsubscribe() never rejects; it logs a failure at debug level).
    void subscription.unsubscribe();
  }
}
