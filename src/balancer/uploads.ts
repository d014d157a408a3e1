/**
 * Upload bookkeeping for one frontend service: one `+HSPOST` per HSDir, each
 * upload's result taken from tor's `HS_DESC UPLOADED/FAILED` event, failures
 * retried with capped exponential backoff.
 *
 * Spec: control-spec 3.29 HSPOST, 4.1.25 HS_DESC; tor `hs_control.c:
 * hs_control_hspost_command`, `control_events.c: control_event_hs_descriptor_uploaded`.
 * C-tor quirk: `HS_DESC UPLOADED` carries no blinded key, so an upload result
 * cannot tell the service's two descriptors apart. Uploads of one service to
 * one HSDir are therefore serialized: the next starts when the previous one's
 * result arrived (or timed out), and every result is attributed exactly.
 * OnionBalance 0.2.x sends one HSPOST for all 8 HSDirs (one unknown HSDir then
 * fails them all), only logs the results, and never retries.
 *
 * @module
 */

import { randomUnit } from "../crypto/mod.ts";
import { errorMessage } from "../log/mod.ts";
import type { FrontendDeps } from "./frontend_deps.ts";
import type { Relay } from "./network.ts";

/** The state of one descriptor's upload to one HSDir. */
export interface HsDirUpload {
  /** The HSDir. */
  readonly relay: Relay;
  /** Which of the slot's descriptors (distinct-descriptor group) goes there. */
  readonly group: number;
  /** Where the upload stands. */
  status: "pending" | "uploaded" | "failed";
  /** Uploads tried for this descriptor. */
  attempts: number;
  /** When the last upload started (ms). */
  lastAttemptAt?: number;
  /** When the last result arrived (ms). */
  lastResultAt?: number;
  /** tor's reason for the last failure. */
  reason?: string;
  /** When to retry after a failure (ms). */
  nextRetryAt?: number;
}

/** First retry delay after a failed upload. */
export const UPLOAD_RETRY_INITIAL_MS = 15_000;
/** Longest delay between retries. */
export const UPLOAD_RETRY_MAX_MS = 30 * 60_000;

/** Delay before retry number `attempts` (1-based), with up to 25 % jitter from `random` ∈ [0,1). */
export function retryDelayMs(attempts: number, random: number): number {
  const base = Math.min(
    UPLOAD_RETRY_MAX_MS,
    UPLOAD_RETRY_INITIAL_MS * 2 ** Math.max(0, attempts - 1),
  );
  return Math.round(base * (1 - 0.25 * random));
}

/**
 * Records an upload's result at `at`: uploaded, or failed with tor's reason
 * and its next retry ({@link retryDelayMs}, jitter `random` ∈ [0,1)).
 */
export function recordUploadResult(
  upload: HsDirUpload,
  outcome: { status: "uploaded" | "accepted" } | { status: "failed"; reason: string },
  at: number,
  random: number,
): void {
  upload.lastResultAt = at;
  if (outcome.status === "failed") {
    upload.status = "failed";
    upload.reason = outcome.reason;
    upload.nextRetryAt = at + retryDelayMs(upload.attempts, random);
  } else {
    upload.status = "uploaded";
    upload.reason = undefined;
  }
}

/** Runs tasks keyed by HSDir one after another per key; different keys run concurrently. */
export class PerKeyQueue {
  readonly #tails = new Map<string, Promise<unknown>>();

  /** Runs `task` after every earlier task of `key` has settled. */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const next = previous.catch(() => {}).then(task);
    const tail = next.catch(() => {});
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return next;
  }
}

/**
 * Sends one frontend's uploads: one at a time per HSDir ({@link PerKeyQueue}), each result
 * recorded ({@link recordUploadResult}), counted and logged.
 */
export class Uploader {
  readonly #address: string;
  readonly #deps: FrontendDeps;
  readonly #queue = new PerKeyQueue();

  constructor(address: string, deps: FrontendDeps) {
    this.#address = address;
    this.#deps = deps;
  }

  /**
   * Starts `upload` of `descriptor` (its result arrives later). `wanted` is asked when the
   * upload's turn comes: false when a newer descriptor replaced this one meanwhile.
   */
  start(descriptor: string, upload: HsDirUpload, nowMs: number, wanted: () => boolean): void {
    const { post, clock, rng, log, metrics } = this.#deps;
    const hsDir = upload.relay.fingerprint;
    upload.status = "pending";
    if (upload.attempts > 0) metrics?.upload(this.#address, "retried");
    upload.attempts++;
    upload.lastAttemptAt = nowMs;
    upload.nextRetryAt = undefined;
    void this.#queue.run(hsDir, async () => {
      if (!wanted()) return;
      const outcome = await post(descriptor, { address: this.#address, hsDir })
        .catch((error) => ({ status: "failed" as const, reason: errorMessage(error) }));
      const at = clock.now();
      recordUploadResult(upload, outcome, at, randomUnit(rng));
      metrics?.upload(this.#address, outcome.status === "failed" ? "failed" : "accepted");
      const where = `${this.#address}.onion to HSDir $${hsDir}~${upload.relay.nickname}`;
      if (outcome.status === "failed") {
        const inS = Math.round((upload.nextRetryAt! - at) / 1000);
        log.warning(
          `Upload of ${where} failed (${outcome.reason}); retry #${upload.attempts} in ${inS} s`,
        );
      } else {
        log.debug(`Uploaded ${where}`);
      }
      this.#deps.onChange?.();
    });
  }
}
