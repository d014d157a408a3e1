/**
 * The daemon's Prometheus metrics, with `npm:prom-client` (the Prometheus text format, version
 * 0.0.4): counters and a histogram fed by the balancer's events ({@link MetricsSink}), gauges read
 * from the balancer's state at each scrape, and the process metrics.
 *
 * Spec: Prometheus exposition formats (https://prometheus.io/docs/instrumenting/exposition_formats/)
 * and naming conventions (https://prometheus.io/docs/practices/naming/): `onionbalance_` prefix,
 * base units (seconds, bytes), `_total` counters, timestamps as `_timestamp_seconds`.
 *
 * Role: with `metrics_reach.ts` (the audit's and the probe's metrics, in the same registry), the
 * only module importing prom-client. `src/cli/run.ts` makes one {@link BalancerMetrics},
 * passes it to the balancer and the frontends as their sink, and serves {@link BalancerMetrics.text}
 * with `metrics_server.ts`. Label values are bounded: a service is its config `name` or its onion
 * address in the form the logs print (redacted unless `--unsafe-logging`), a backend its config
 * `name` or its address in that form; reasons and results come from the fixed sets of `metrics_sink.ts`; never an error
 * text or an HSDir fingerprint. The redacted form (`???xyd.onion`) carries only 7 bits of the
 * key (the last character is always `d`, the one before it holds 2 checksum bits), so two of a
 * deployment's addresses often share it: those get `#N` appended, N their place among the
 * configured services (or backends), so that no two share a series. The README's "Metrics"
 * section lists every metric.
 *
 * @module
 */

import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { DescriptorSlot } from "../time/mod.ts";
import type { CopyState } from "./audit_copy.ts";
import type { Backend } from "./backend.ts";
import type { Balancer } from "./daemon.ts";
import { ReachMetrics } from "./metrics_reach.ts";
import {
  type FetchResultLabel,
  leftOutReasonLabel,
  type MetricsSink,
  publishReasonLabel,
  type UploadResultLabel,
} from "./metrics_sink.ts";

/** Settings of {@link BalancerMetrics}. */
export interface BalancerMetricsOptions {
  /** The label value of an onion address (`x.onion`): the form the logs print. */
  addressLabel: (address: string) => string;
  /** The time (ms) state is judged at when scraped. */
  now: () => number;
  /** Whether to add the process metrics (default true). */
  processMetrics?: boolean;
}

/** Prefix of every metric name. */
export const METRIC_PREFIX = "onionbalance_";

/** Health-check duration buckets (seconds): a check lasts at most `health-check.timeout`. */
const CHECK_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30, 60];

/**
 * prom-client's default metrics that read `/proc/self/…`. Deno grants `/proc/self` only with
 * `--allow-all`, which the daemon never has, so they would read 0; they are left out and
 * `process_resident_memory_bytes` is taken from `Deno.memoryUsage()` instead.
 */
const PROC_METRICS = [
  "process_resident_memory_bytes",
  "process_virtual_memory_bytes",
  "process_heap_bytes",
  "process_open_fds",
  "process_max_fds",
];

/** The metrics of one daemon (see the module comment). */
export class BalancerMetrics implements MetricsSink {
  /** The registry every metric of this daemon is in. */
  readonly registry = new Registry();
  readonly #options: BalancerMetricsOptions;
  #balancer: Balancer | undefined;
  /** Label values by address, for the services list they were made from. */
  #labels: {
    of: readonly unknown[];
    services: Map<string, string>;
    backends: Map<string, string>;
  } = { of: [], services: new Map(), backends: new Map() };
  /** Per `service\nslot`: the last successful upload seen (s); kept across republishes. */
  readonly #lastPublish = new Map<string, number>();
  readonly #healthChecks: Counter<"backend" | "result">;
  readonly #checkDuration: Histogram<"result">;
  readonly #fetches: Counter<"backend" | "result">;
  readonly #publishes: Counter<"service" | "slot" | "reason">;
  readonly #uploads: Counter<"service" | "result">;
  readonly #connected: Gauge;
  readonly #reconnects: Counter;
  readonly #reach: ReachMetrics;

  constructor(options: BalancerMetricsOptions) {
    this.#options = options;
    const registers = [this.registry];
    const p = METRIC_PREFIX;
    this.#healthChecks = new Counter({
      name: `${p}health_checks_total`,
      help: "Health checks of backends, by result (ok, failed)",
      labelNames: ["backend", "result"],
      registers,
    });
    this.#checkDuration = new Histogram({
      name: `${p}health_check_duration_seconds`,
      help: "How long health checks took, by result (ok, failed); all backends together",
      labelNames: ["result"],
      buckets: CHECK_BUCKETS,
      registers,
    });
    this.#fetches = new Counter({
      name: `${p}descriptor_fetches_total`,
      help: "Descriptor fetches of backends, by result (new, updated, same, rollback, failed)",
      labelNames: ["backend", "result"],
      registers,
    });
    this.#publishes = new Counter({
      name: `${p}publishes_total`,
      help: "Descriptor publishes of frontend services, by slot (first, second) and reason",
      labelNames: ["service", "slot", "reason"],
      registers,
    });
    this.#uploads = new Counter({
      name: `${p}hsdir_uploads_total`,
      help: "HSDir uploads of frontend descriptors, by result (accepted, failed, retried)",
      labelNames: ["service", "result"],
      registers,
    });
    this.#connected = new Gauge({
      name: `${p}tor_control_connected`,
      help: "1 while the control connection to tor is up, else 0",
      registers,
    });
    this.#reconnects = new Counter({
      name: `${p}tor_control_reconnects_total`,
      help: "Times the control connection to tor came back after it was lost",
      registers,
    });
    this.#stateGauges();
    this.#reach = new ReachMetrics(this.registry, p, (a) => this.#service(a), () => this.#balancer);
    if (options.processMetrics ?? true) this.#processMetrics();
  }

  /** Reads `balancer`'s state at each scrape (the control connection is up when it starts). */
  watch(balancer: Balancer): void {
    this.#balancer = balancer;
    this.#connected.set(1);
  }

  /** The Content-Type of {@link text}. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** Every metric in the Prometheus text format. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  healthCheck(backend: Backend, ok: boolean, durationMs: number): void {
    const result = ok ? "ok" : "failed";
    this.#healthChecks.inc({ backend: this.#backend(backend), result });
    this.#checkDuration.observe({ result }, Math.max(0, durationMs) / 1000);
  }

  descriptorFetch(backend: Backend, result: FetchResultLabel): void {
    this.#fetches.inc({ backend: this.#backend(backend), result });
  }

  publish(service: string, slot: DescriptorSlot, reason: string): void {
    this.#publishes.inc({
      service: this.#service(service),
      slot,
      reason: publishReasonLabel(reason),
    });
  }

  upload(service: string, result: UploadResultLabel): void {
    this.#uploads.inc({ service: this.#service(service), result });
  }

  torConnection(state: "connected" | "disconnected" | "closed"): void {
    this.#connected.set(state === "connected" ? 1 : 0);
    if (state === "connected") this.#reconnects.inc();
  }

  audit(service: string, copies: readonly { state: CopyState; reuploaded: boolean }[]): void {
    this.#reach.audit(this.#service(service), copies);
  }

  frontendProbe(service: string, ok: boolean, durationMs: number): void {
    this.#reach.frontendProbe(this.#service(service), ok, durationMs);
  }

  #service(address: string): string {
    return this.#labelMaps().services.get(address) ??
      this.#options.addressLabel(`${address}.onion`);
  }

  #backend(backend: Backend): string {
    return this.#labelMaps().backends.get(backend.address) ?? this.#plainLabel(backend);
  }

  #plainLabel(backend: { address: string; name?: string }): string {
    return backend.name ?? this.#options.addressLabel(`${backend.address}.onion`);
  }

  /** The label of every configured service and backend, made again after a reload. */
  #labelMaps(): { services: Map<string, string>; backends: Map<string, string> } {
    const services = this.#balancer?.services ?? [];
    if (this.#labels.of === services) return this.#labels;
    const backends = [...new Set(services.flatMap((s) => s.backends))];
    this.#labels = {
      of: services,
      services: distinctLabels(
        services,
        (s) => s.name ?? this.#options.addressLabel(`${s.address}.onion`),
      ),
      backends: distinctLabels(backends, (b) => this.#plainLabel(b)),
    };
    return this.#labels;
  }

  /** The gauges read from the balancer at each scrape. */
  #stateGauges(): void {
    const registers = [this.registry];
    const p = METRIC_PREFIX;
    // `collect` runs with the gauge as `this`; the arrow functions below capture `metrics`.
    // deno-lint-ignore no-this-alias
    const metrics = this;
    new Gauge({
      name: `${p}backend_usable`,
      help: "1 when the backend's intro points go into the service's descriptors, else 0",
      labelNames: ["service", "backend"],
      registers,
      collect() {
        this.reset();
        metrics.#eachBackend((labels, reason) => this.set(labels, reason === undefined ? 1 : 0));
      },
    });
    new Gauge({
      name: `${p}backend_left_out`,
      help: "1 for each backend left out of the service's descriptors, labelled with why " +
        "(no series while it is usable)",
      labelNames: ["service", "backend", "reason"],
      registers,
      collect() {
        this.reset();
        metrics.#eachBackend((labels, reason) => {
          if (reason !== undefined) this.set({ ...labels, reason: leftOutReasonLabel(reason) }, 1);
        });
      },
    });
    new Gauge({
      name: `${p}last_publish_timestamp_seconds`,
      help: "When an HSDir last accepted the slot's descriptor (Unix time)",
      labelNames: ["service", "slot"],
      registers,
      collect() {
        this.reset();
        for (const [labels, at] of metrics.#lastPublishes()) this.set(labels, at);
      },
    });
    new Gauge({
      name: `${p}descriptor_size_bytes`,
      help: "Size of each descriptor last built for the slot",
      labelNames: ["service", "slot", "descriptor"],
      registers,
      collect() {
        this.reset();
        metrics.#eachDescriptor((labels, text) => this.set(labels, text.length));
      },
    });
    new Gauge({
      name: `${p}descriptor_intro_points`,
      help: "Intro points in each descriptor last built for the slot",
      labelNames: ["service", "slot", "descriptor"],
      registers,
      collect() {
        this.reset();
        metrics.#eachDescriptor((labels, _text, introPoints) => this.set(labels, introPoints));
      },
    });
    new Gauge({
      name: `${p}offline_keys_expiry_timestamp_seconds`,
      help: "When the service's offline key bundle stops covering its periods (Unix time)",
      labelNames: ["service"],
      registers,
      collect() {
        this.reset();
        const now = metrics.#options.now();
        for (const s of metrics.#balancer?.services ?? []) {
          const keys = s.keysStatus(now);
          if (keys !== undefined) {
            this.set({ service: metrics.#service(s.address) }, keys.endsAt / 1000);
          }
        }
      },
    });
  }

  /** Calls `f` for each (service, backend) with why the backend is out, or undefined. */
  #eachBackend(
    f: (labels: { service: string; backend: string }, reason: string | undefined) => void,
  ): void {
    const balancer = this.#balancer;
    if (balancer === undefined) return;
    const now = this.#options.now();
    for (const s of balancer.services) {
      const { skipped } = s.usableBackends(now, (b) => balancer.health.leftOutReason(b));
      const service = this.#service(s.address);
      for (const b of s.backends) f({ service, backend: this.#backend(b) }, skipped.get(b.address));
    }
  }

  /** Calls `f` for each descriptor last built, with its text and intro-point count. */
  #eachDescriptor(
    f: (
      labels: { service: string; slot: string; descriptor: string },
      text: string,
      introPoints: number,
    ) => void,
  ): void {
    for (const s of this.#balancer?.services ?? []) {
      const service = this.#service(s.address);
      for (const [slot, published] of s.published) {
        published.descriptors.forEach((text, i) =>
          // A descriptor is ASCII: its length is its size in bytes.
          f({ service, slot, descriptor: String(i) }, text, published.introPointCounts[i] ?? 0)
        );
      }
    }
  }

  /**
   * The last successful upload per service and slot (s), remembered across republishes (a new
   * publish starts with its uploads pending) and forgotten for services no longer configured.
   */
  #lastPublishes(): [{ service: string; slot: string }, number][] {
    const current = new Set<string>();
    for (const s of this.#balancer?.services ?? []) {
      for (const [slot, published] of s.published) {
        const key = `${s.address}\n${slot}`;
        current.add(key);
        for (const u of published.uploads) {
          if (u.status !== "uploaded" || u.lastResultAt === undefined) continue;
          this.#lastPublish.set(
            key,
            Math.max(this.#lastPublish.get(key) ?? 0, u.lastResultAt / 1000),
          );
        }
      }
    }
    const out: [{ service: string; slot: string }, number][] = [];
    for (const [key, at] of this.#lastPublish) {
      const [address = "", slot = ""] = key.split("\n");
      if (!current.has(key) && !this.#balancer?.services.some((s) => s.address === address)) {
        this.#lastPublish.delete(key);
        continue;
      }
      out.push([{ service: this.#service(address), slot }, at]);
    }
    return out;
  }

  /** prom-client's process metrics, without those Deno cannot read (see PROC_METRICS). */
  #processMetrics(): void {
    collectDefaultMetrics({ register: this.registry, prefix: METRIC_PREFIX });
    for (const name of PROC_METRICS) this.registry.removeSingleMetric(`${METRIC_PREFIX}${name}`);
    new Gauge({
      name: `${METRIC_PREFIX}process_resident_memory_bytes`,
      help: "Resident memory size in bytes",
      registers: [this.registry],
      collect() {
        this.set(Deno.memoryUsage().rss);
      },
    });
  }
}

/** Address → label; labels that several items share get `#N` (N: the item's place, from 1). */
function distinctLabels<T extends { address: string }>(
  items: readonly T[],
  label: (item: T) => string,
): Map<string, string> {
  const plain = items.map(label);
  const count = new Map<string, number>();
  for (const l of plain) count.set(l, (count.get(l) ?? 0) + 1);
  return new Map(items.map((item, i) => {
    const l = plain[i]!;
    return [item.address, count.get(l)! > 1 ? `${l}#${i + 1}` : l];
  }));
}
