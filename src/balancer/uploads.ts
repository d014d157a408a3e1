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

import { ControlSocketClosed, ControlTimeoutError } from "../control/mod.ts";
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
 * A limit on uploads in flight shared by every frontend of a process. Without it a process with
 * hundreds of frontends sends thousands of `+HSPOST`s at once after a start or a new time period:
 * tor answers them one after another and builds a circuit for each, each queued descriptor stays
 * in memory, and a republish meanwhile queues thousands more (issue 21's shared-hosting run on a
 * real tor: 200 frontends never finished publishing).
 */
export class UploadSlots {
  #free: number;
  readonly #waiting: (() => void)[] = [];

  /** @param size Uploads allowed in flight at once (a positive integer). */
  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1) {
      throw new RangeError(`Cannot limit uploads to "${size}" at once`);
    }
    this.#free = size;
  }

  /** Uploads waiting for a slot. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Waits for a free slot; resolves with the function that gives it back (once). */
  async acquire(): Promise<() => void> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      if (next !== undefined) next(); // the slot passes straight to the next upload
      else this.#free++;
    };
  }
}

/** Uploads in flight at once across all frontends of the daemon (see {@link UploadSlots}). */
export const UPLOADS_IN_FLIGHT = 128;

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
      const release = await (this.#deps.uploadSlots?.acquire() ?? (() => {}));
      let outcome: Awaited<ReturnType<typeof post>>;
      let lostConnection = false;
      try {
        if (!wanted()) return; // asked again: a newer descriptor may have come while it waited
        outcome = await post(descriptor, { address: this.#address, hsDir })
          .catch((error) => {
            lostConnection = error instanceof ControlSocketClosed ||
              error instanceof ControlTimeoutError;
            return { status: "failed" as const, reason: errorMessage(error) };
          });
      } finally {
        release();
      }
      const at = clock.now();
      recordUploadResult(upload, outcome, at, randomUnit(rng));
      metrics?.upload(this.#address, outcome.status === "failed" ? "failed" : "accepted");
      const where = `${this.#address}.onion to HSDir $${hsDir}~${upload.relay.nickname}`;
      if (outcome.status === "failed") {
        const inS = Math.round((upload.nextRetryAt! - at) / 1000);
        const line = `Upload of ${where} failed (${outcome.reason}); retry #${upload.attempts} ` +
          `in ${inS} s`;
        // A lost control connection fails every upload in flight at once, and the daemon says
        // so in one warning of its own: one line per upload would be thousands.
        if (lostConnection) log.debug(line);
        else log.warning(line);
      } else {
        log.debug(`Uploaded ${where}`);
      }
      // Only a failure changes what is due (its retry time). Waking the daemon on every result
      // made each one a publish pass over every frontend: 51 % of the CPU with 500 frontends.
      if (outcome.status === "failed") this.#deps.onChange?.();
    });
  }
}
