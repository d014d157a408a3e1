/**
 * What a frontend service is given: its settings, and what it needs from outside (the
 * uploader, randomness, the log, the clock, the metrics).
 *
 * @module
 */

import type { Rng } from "../crypto/mod.ts";
import type { Logger } from "../log/mod.ts";
import type { Clock } from "../time/mod.ts";
import type { Backend } from "./backend.ts";
import type { MetricsSink } from "./metrics_sink.ts";
import type { UploadSlots } from "./uploads.ts";

/** Uploads one descriptor to one HSDir and waits for tor's verdict. */
export type Poster = (
  descriptor: string,
  target: { address: string; hsDir: string },
) => Promise<{ status: "uploaded" | "accepted" } | { status: "failed"; reason: string }>;

/** Settings of a frontend service. */
export interface FrontendOptions {
  /** Intro points per backend. */
  perBackend: number;
  /** Whether distinct descriptors may be used. */
  distinct: boolean;
  /** Republish at least this often (ms). */
  republishIntervalMs: number;
  /** Leave out backends whose state is older than this (ms). */
  staleAfterMs: number;
  /** Warn this long before an offline key bundle runs out (ms; default 7 days). */
  keysWarningMs?: number;
}

/**
 * Why something other than its descriptor keeps a backend out of the
 * descriptors (the health checks: `HealthMonitor.leftOutReason`), or undefined.
 */
export type LeftOut = (backend: Backend) => string | undefined;

/** Everything a frontend service needs from outside. */
export interface FrontendDeps {
  /** Uploads descriptors. */
  post: Poster;
  /** Randomness for keys, salts and jitter. */
  rng: Rng;
  /** Logger. */
  log: Logger;
  /** The clock upload results are timed with. */
  clock: Clock;
  /** Called when an upload fails (the daemon's loop then schedules its retry). */
  onChange?: () => void;
  /** The limit on uploads in flight shared by every frontend; none when absent. */
  uploadSlots?: UploadSlots;
  /** Where publishes and upload results go. Default: nowhere. */
  metrics?: MetricsSink;
}
