/**
 * The Prometheus page of the shared-hosting run (`ours.ts --shared`): its frontends as published,
 * every one with the most series it can have (every publish reason, upload result, fetch result
 * and health-check result seen; an audit of 8 HSDir copies; probes that passed and failed), and
 * what one scrape costs: series, bytes, time, and the memory the metrics take.
 *
 * @module
 */

import {
  type AuditReport,
  Balancer,
  BalancerMetrics,
  COPY_STATES,
  type FrontendService,
  type ProbeState,
} from "../../src/balancer/mod.ts";
import { DEFAULT_HEALTH_CHECK } from "../../src/config/mod.ts";
import type { HsClient } from "../../src/control/mod.ts";
import { Logger, redactOnionAddresses } from "../../src/log/mod.ts";
import { FakeClock } from "../../src/time/mod.ts";

/** What one scrape of the shared-hosting frontends' metrics measured. */
export interface MetricsPageResult {
  series: number;
  bytes: number;
  scrapeSeconds: number;
  /** Heap and resident memory grown from before the metrics existed to after the scrape. */
  heapBytes: number;
  rssBytes: number;
}

/** HSDir copies per audit: 2 replicas × hsdir_spread_store 4, as on the Tor network. */
const COPIES = 8;

/**
 * Makes the daemon's metrics for `services` (already published), feeds them every event kind for
 * every service and backend, and scrapes once.
 */
export async function measureMetricsPage(
  services: FrontendService[],
  nowMs: number,
): Promise<MetricsPageResult> {
  const before = Deno.memoryUsage();
  const clock = new FakeClock(nowMs);
  const metrics = new BalancerMetrics({
    addressLabel: redactOnionAddresses,
    now: () => nowMs,
  });
  // Never run: the balancer is only the state the gauges read at scrape time.
  const client = {} as HsClient;
  const balancer = new Balancer({
    services,
    timings: {
      fetchIntervalMs: 300_000,
      busyFetchIntervalMs: 30_000,
      publishCheckIntervalMs: 60_000,
      fetchTimeoutMs: 60_000,
      startupGraceMs: 30_000,
      auditIntervalMs: 900_000,
    },
    health: { ...DEFAULT_HEALTH_CHECK, enabled: false },
  }, { client, clock, log: new Logger({ level: "error", sink: () => {} }) });
  metrics.watch(balancer);
  const reports = new Map<string, AuditReport>();
  const probes = new Map<string, ProbeState>();
  for (const s of services) {
    const [slot, published] = [...s.published][0]!;
    const copies = Array.from({ length: COPIES }, (_, i) => ({
      hsDir: i.toString(16).padStart(40, "0"),
      nickname: `hsdir${i}`,
      state: COPY_STATES[i % COPY_STATES.length]!,
      reuploaded: i === 1,
    }));
    reports.set(s.address, {
      at: nowMs,
      slot,
      period: published.times.period,
      revision: published.revisionCounter,
      copies,
    });
    probes.set(s.address, { reachable: true, at: nowMs, durationMs: 1_500, failures: 0 });
    metrics.audit(s.address, copies);
    metrics.frontendProbe(s.address, true, 1_500);
    metrics.frontendProbe(s.address, false, 30_000);
    for (const slotName of ["first", "second"] as const) {
      for (const reason of ["first publish", "the intro points changed", "x"]) {
        metrics.publish(s.address, slotName, reason);
      }
    }
    for (const result of ["accepted", "failed", "retried"] as const) {
      metrics.upload(s.address, result);
    }
  }
  for (const b of balancer.backends()) {
    metrics.healthCheck(b, true, 300);
    metrics.healthCheck(b, false, 15_000);
    for (const r of ["new", "updated", "same", "rollback", "failed"] as const) {
      metrics.descriptorFetch(b, r);
    }
  }
  // The last audit and probe of each service, as the daemon would hold them.
  balancer.audit.report = (address) => reports.get(address);
  balancer.probes.state = (address) => probes.get(address);
  const started = performance.now();
  const text = await metrics.text();
  const scrapeSeconds = (performance.now() - started) / 1000;
  const after = Deno.memoryUsage();
  return {
    series: text.split("\n").filter((l) => l !== "" && !l.startsWith("#")).length,
    bytes: new TextEncoder().encode(text).length,
    scrapeSeconds,
    heapBytes: after.heapUsed - before.heapUsed,
    rssBytes: after.rss - before.rss,
  };
}
