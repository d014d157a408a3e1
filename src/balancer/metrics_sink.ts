/**
 * What the balancer reports to its metrics as things happen (health checks, fetches, publishes,
 * uploads, the control connection), and the bounded label values it reports them with.
 *
 * Role: the balancer calls a {@link MetricsSink} at each event; {@link NO_METRICS} is the default,
 * so the balancer and its tests need no metrics library. The Prometheus implementation is
 * `metrics.ts`; state that already exists (usable backends, descriptors, key expiry) is read at
 * scrape time there, not pushed from here. Free-text reasons are mapped to small fixed sets
 * ({@link publishReasonLabel}, {@link leftOutReasonLabel}) so that no label takes unbounded values.
 *
 * @module
 */

import type { DescriptorSlot } from "../time/mod.ts";
import type { CopyState } from "./audit_copy.ts";
import type { Backend } from "./backend.ts";

/** Why a descriptor was published, as a label value. */
export type PublishReasonLabel =
  | "first"
  | "period_changed"
  | "srv_changed"
  | "hsdirs_changed"
  | "intro_points_changed"
  | "interval"
  | "tor_reconnected"
  | "keys_changed"
  | "clients_changed"
  | "other";

/** Why a backend is out of the descriptors, as a label value. */
export type LeftOutReasonLabel =
  | "no_descriptor"
  | "client_auth"
  | "no_intro_points"
  | "stale"
  | "revision_stuck"
  | "health_checks_failed"
  | "returning"
  | "other";

/** How a descriptor fetch of a backend ended, as a label value. */
export type FetchResultLabel = "new" | "updated" | "same" | "rollback" | "failed";

/** How one HSDir upload went: `retried` counts the attempts after the first. */
export type UploadResultLabel = "accepted" | "failed" | "retried";

/** Receives the balancer's events (see the module comment). Every method must be cheap. */
export interface MetricsSink {
  /** A health check of `backend` ended (one the daemon counted; not a "SOCKS port down"). */
  healthCheck(backend: Backend, ok: boolean, durationMs: number): void;
  /** A descriptor fetch of `backend` ended. */
  descriptorFetch(backend: Backend, result: FetchResultLabel): void;
  /** A frontend published one slot's descriptors (`reason`: publish.ts / requestRepublish). */
  publish(service: string, slot: DescriptorSlot, reason: string): void;
  /** One HSDir upload of a frontend's descriptor started again, or ended. */
  upload(service: string, result: UploadResultLabel): void;
  /** The control connection went up or down. */
  torConnection(state: "connected" | "disconnected" | "closed"): void;
  /** An audit of a frontend's HSDir copies ended (`audit.ts`). */
  audit(service: string, copies: readonly { state: CopyState; reuploaded: boolean }[]): void;
  /** An end-to-end probe of a frontend ended (`frontend_probe.ts`). */
  frontendProbe(service: string, ok: boolean, durationMs: number): void;
}

/** The sink that drops everything (the default). */
export const NO_METRICS: MetricsSink = {
  healthCheck: () => {},
  descriptorFetch: () => {},
  publish: () => {},
  upload: () => {},
  torConnection: () => {},
  audit: () => {},
  frontendProbe: () => {},
};

/** Every {@link PublishReasonLabel}, for documentation and tests. */
export const PUBLISH_REASONS: readonly PublishReasonLabel[] = [
  "first",
  "period_changed",
  "srv_changed",
  "hsdirs_changed",
  "intro_points_changed",
  "interval",
  "tor_reconnected",
  "keys_changed",
  "clients_changed",
  "other",
];

/** Every {@link LeftOutReasonLabel}, for documentation and tests. */
export const LEFT_OUT_REASONS: readonly LeftOutReasonLabel[] = [
  "no_descriptor",
  "client_auth",
  "no_intro_points",
  "stale",
  "revision_stuck",
  "health_checks_failed",
  "returning",
  "other",
];

/** The texts of `publishReason()` (publish.ts) and of the `requestRepublish()` callers. */
const PUBLISH_PATTERNS: readonly [RegExp, PublishReasonLabel][] = [
  [/^first publish$/, "first"],
  [/^the time period changed$/, "period_changed"],
  [/^the shared random value changed$/, "srv_changed"],
  [/^the responsible HSDirs changed$/, "hsdirs_changed"],
  [/^the intro points changed$/, "intro_points_changed"],
  [/^republish interval reached$/, "interval"],
  [/^the connection to tor is back$/, "tor_reconnected"],
  [/^the offline key bundle changed$/, "keys_changed"],
  [/^the authorized clients changed\b/, "clients_changed"],
];

/** The texts of `Backend.unusableReason()` and `HealthMonitor.leftOutReason()`. */
const LEFT_OUT_PATTERNS: readonly [RegExp, LeftOutReasonLabel][] = [
  [/^no descriptor yet$/, "no_descriptor"],
  [/^restricted \(client authorization\)/, "client_auth"],
  [/^its descriptor has no usable intro points$/, "no_intro_points"],
  [/^no descriptor fetched for /, "stale"],
  [/^its revision counter has not advanced/, "revision_stuck"],
  [/ health checks failed in a row$/, "health_checks_failed"],
  [/^it passes its health check again/, "returning"],
];

/** The label of a publish reason; a text not known here is `other`. */
export function publishReasonLabel(reason: string): PublishReasonLabel {
  return PUBLISH_PATTERNS.find(([re]) => re.test(reason))?.[1] ?? "other";
}

/** The label of why a backend is left out; a text not known here is `other`. */
export function leftOutReasonLabel(reason: string): LeftOutReasonLabel {
  return LEFT_OUT_PATTERNS.find(([re]) => re.test(reason))?.[1] ?? "other";
}
