/**
 * The metrics of what clients really get: the publish audit's last verdicts per frontend
 * (`audit.ts`) and the end-to-end probe (`frontend_probe.ts`). Part of `metrics.ts`'s registry;
 * the same label rules hold (a service is its address in the form the logs print, or `#N`).
 *
 * @module
 */

import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { COPY_STATES, type CopyState } from "./audit_copy.ts";
import type { Balancer } from "./daemon.ts";

/** Probe duration buckets (seconds): a probe lasts at most `frontend-probe.timeout`. */
const PROBE_BUCKETS = [0.25, 0.5, 1, 2.5, 5, 10, 15, 30, 60, 120];

/** The audit and probe metrics (see the module comment). */
export class ReachMetrics {
  readonly #reuploads: Counter<"service">;
  readonly #probes: Counter<"service" | "result">;
  readonly #probeDuration: Histogram<"result">;

  /**
   * @param registry Where the metrics go.
   * @param prefix The metric name prefix (`onionbalance_`).
   * @param service The label of a service address.
   * @param balancer The balancer whose state the gauges read at each scrape.
   */
  constructor(
    registry: Registry,
    prefix: string,
    service: (address: string) => string,
    balancer: () => Balancer | undefined,
  ) {
    const registers = [registry];
    this.#reuploads = new Counter({
      name: `${prefix}audit_reuploads_total`,
      help: "Uploads the publish audit made again, to HSDirs whose copy was missing or stale",
      labelNames: ["service"],
      registers,
    });
    this.#probes = new Counter({
      name: `${prefix}frontend_probes_total`,
      help: "End-to-end probes of frontend services, by result (ok, failed)",
      labelNames: ["service", "result"],
      registers,
    });
    this.#probeDuration = new Histogram({
      name: `${prefix}frontend_probe_duration_seconds`,
      help: "How long end-to-end probes took, by result (ok, failed); all services together",
      labelNames: ["result"],
      buckets: PROBE_BUCKETS,
      registers,
    });
    new Gauge({
      name: `${prefix}hsdir_copies`,
      help: "What the last publish audit found on the HSDirs of the descriptor clients fetch " +
        "now, by state (current, missing, stale, foreign, undecryptable, unanswered)",
      labelNames: ["service", "state"],
      registers,
      collect() {
        this.reset();
        const b = balancer();
        for (const s of b?.services ?? []) {
          const report = b!.audit.report(s.address);
          if (report === undefined) continue;
          const count = new Map<CopyState, number>(COPY_STATES.map((state) => [state, 0]));
          for (const c of report.copies) count.set(c.state, count.get(c.state)! + 1);
          for (const [state, n] of count) this.set({ service: service(s.address), state }, n);
        }
      },
    });
    /** A gauge with one series per service for which `value` has a number. */
    const perService = (
      name: string,
      help: string,
      value: (address: string) => number | undefined,
    ) =>
      new Gauge({
        name: `${prefix}${name}`,
        help,
        labelNames: ["service"],
        registers,
        collect() {
          this.reset();
          for (const s of balancer()?.services ?? []) {
            const v = value(s.address);
            if (v !== undefined) this.set({ service: service(s.address) }, v);
          }
        },
      });
    const report = (address: string) => balancer()?.audit.report(address);
    const probe = (address: string) => balancer()?.probes.state(address);
    perService(
      "audit_timestamp_seconds",
      "When the last publish audit of the service ended (Unix time)",
      (a) => mapDefined(report(a), (r) => r.at / 1000),
    );
    perService(
      "frontend_reachable",
      "1 when the last end-to-end probe of the service connected, 0 when it failed " +
        "(no series before the first probe, or with frontend-probe off)",
      (a) => mapDefined(probe(a), (p) => (p.reachable ? 1 : 0)),
    );
    perService(
      "frontend_probe_last_duration_seconds",
      "How long the last end-to-end probe of the service took",
      (a) => mapDefined(probe(a), (p) => p.durationMs / 1000),
    );
  }

  /** An audit ended: counts its re-uploads. */
  audit(label: string, copies: readonly { reuploaded: boolean }[]): void {
    // The series exists from the first audit on, at 0 while nothing was uploaded again.
    this.#reuploads.inc({ service: label }, copies.filter((c) => c.reuploaded).length);
  }

  /** A probe ended. */
  frontendProbe(label: string, ok: boolean, durationMs: number): void {
    const result = ok ? "ok" : "failed";
    this.#probes.inc({ service: label, result });
    this.#probeDuration.observe({ result }, Math.max(0, durationMs) / 1000);
  }
}

function mapDefined<T, U>(value: T | undefined, f: (value: T) => U): U | undefined {
  return value === undefined ? undefined : f(value);
}
