/**
 * The balancer daemon: fetches every backend's descriptor, keeps the network
 * view current, and has each frontend service publish its descriptors.
 *
 * Spec: rend-spec-v3 §2.2 [WHERE-HSDESC]; control-spec HSFETCH, HS_DESC;
 * docs/architecture.md, docs/timeline.md, docs/onionbalance-differences.md
 * (what OnionBalance 0.2.x does, and its failures).
 *
 * One loop, woken by timers and events ({@link Balancer.run}); each pass
 * ({@link Balancer.tick}) is view → fetch → health → publish:
 *
 * ```
 *   ┌──────────── wake: timer, fetch result, upload result, consensus, reconnect
 *   ▼
 * tick ─▶ view: stale? ──▶ GETINFO consensus-microdesc + md/all (view_loader.ts)
 *   │                      (fails: log what we wait for, retry in 5 s)
 *   ├──▶ fetch: backends due? ──▶ HSFETCH each (fetcher.ts; at most 8 at once; SIGNAL ACTIVE)
 *   │                       result: checked descriptor, rollback refused, or failure
 *   │                       (failures retried at 5 s, 10 s, … up to fetch-interval)
 *   ├──▶ health: checks due? ──▶ SOCKS CONNECT to each backend's onion address
 *   │                       (health.ts decides, health_check.ts connects);
 *   │                       a backend crossing the failure threshold either way is re-fetched
 *   │                       at once, and the services republish
 *   └──▶ publish: each service's maintain() (frontend.ts: publish on change, retry uploads)
 *        — not before every backend's first fetch finished (at most 30 s after start):
 *          no fixed start-up sleep, and no publish-then-republish churn.
 * ```
 *
 * Faults that never stop the daemon: tor stopped or restarted (the control
 * client reconnects with backoff; on reconnect the view is re-read, every
 * backend re-fetched and every descriptor republished), an HSDir failing
 * (that upload is retried), a backend's descriptor missing, old, malformed
 * or forged (that backend is left out until it is fine again).
 *
 * @module
 */

import type { HsClient } from "../control/mod.ts";
import { getSocksListeners, isConsensusArrival, parseEvent } from "../control/mod.ts";
import {
  DEFAULT_FRONTEND_PROBE,
  type FrontendProbeConfig,
  type HealthCheckConfig,
} from "../config/mod.ts";
import type { SocksProxy } from "../socks/mod.ts";
import { errorMessage, type Logger } from "../log/mod.ts";
import type { Clock } from "../time/mod.ts";
import { PublishAuditor } from "./audit.ts";
import { TorClientKeys } from "./tor_client_keys.ts";
import type { Backend } from "./backend.ts";
import { BackendFetcher } from "./fetcher.ts";
import type { FrontendService, LeftOut } from "./frontend.ts";
import { FrontendProber } from "./frontend_probe.ts";
import { HealthMonitor } from "./health.ts";
import type { Probe } from "./health_check.ts";
import type { MetricsSink } from "./metrics_sink.ts";
import type { NetworkView } from "./network.ts";
import { ViewLoader } from "./view_loader.ts";

/** Timings of the daemon. */
export interface BalancerTimings {
  /** Between fetches of one backend (ms). */
  fetchIntervalMs: number;
  /** Between fetches of a backend until its intro points stayed the same for an hour (ms). */
  busyFetchIntervalMs: number;
  /** Between publish checks (ms). */
  publishCheckIntervalMs: number;
  /** Deadline of one HSFETCH (ms). */
  fetchTimeoutMs: number;
  /** Longest wait for every backend's first fetch before the first publish (ms). */
  startupGraceMs: number;
  /** Between two audits of a frontend's HSDir copies (ms, `audit-interval`); 0 or absent: none. */
  auditIntervalMs?: number;
}

/** Default timings other than those from the config. */
export const DEFAULT_FETCH_TIMEOUT_MS = 60_000;
export const STARTUP_GRACE_MS = 30_000;
/** How often a wait that lasts is logged again. */
const WAITING_REPEAT_MS = 60_000;

/** What the daemon works with. */
export interface BalancerDeps {
  /** The control client (a `ControlClient`, which reconnects on its own; tests pass a fake). */
  client: HsClient;
  /** Clock for every timing decision and every wait. */
  clock: Clock;
  /** Logger. */
  log: Logger;
  /** Force testing-network time periods (`--is-testnet`); otherwise asked from tor. */
  isTestnet?: boolean;
  /** How a health check is made. Default: a SOCKS connect through tor. */
  probe?: Probe;
  /** How an end-to-end probe of a frontend is made. Default: a SOCKS connect through tor. */
  frontendProbe?: Probe;
  /**
   * Where events go for the metrics (health checks, fetches, the control connection). The
   * frontends get theirs in their own deps. Default: nowhere.
   */
  metrics?: MetricsSink;
}

/** What a config gives the daemon: its frontends, its timings, its health checks. */
export interface BalancerConfig {
  services: FrontendService[];
  timings: BalancerTimings;
  /** Active health checks (config `health-check`); off when `enabled` is false. */
  health: HealthCheckConfig;
  /** The end-to-end probe of the frontends (config `frontend-probe`); default off. */
  frontendProbe?: FrontendProbeConfig;
}

/** The daemon (see the module comment). */
export class Balancer {
  services: FrontendService[];
  timings: BalancerTimings;
  /** The backends' health: checks, their results, who is left out. */
  readonly health: HealthMonitor;
  /** The audits of the frontends' HSDir copies. */
  readonly audit: PublishAuditor;
  /** The end-to-end probes of the frontends. */
  readonly probes: FrontendProber;
  readonly #deps: BalancerDeps;
  readonly #views: ViewLoader;
  readonly #fetcher: BackendFetcher;
  /** When the daemon started (the first tick, or run()); the start-up grace counts from it. */
  #startedAt: number | undefined;
  #wake: (() => void) | undefined;
  #woken = false;
  #waitingFor = "";
  #saidAt = 0;
  /** Whether the control connection is up (state events of the client). */
  #torConnected = true;
  /** The restricted backends' client keys in tor's hands. */
  readonly #clientKeys: TorClientKeys;
  readonly #unsubscribe: (() => void)[] = [];
  /**
   * Whether the last tick got as far as the audits and probes (a view, the start-up settled, tor
   * connected): their due times wake the loop only then.
   */
  #checking = false;

  constructor(config: BalancerConfig, deps: BalancerDeps) {
    const { client, clock, log } = deps;
    this.services = config.services;
    this.timings = config.timings;
    this.#deps = deps;
    this.#clientKeys = new TorClientKeys(client, log);
    this.health = new HealthMonitor(config.health, {
      clock,
      log,
      socksListeners: () => getSocksListeners(client),
      probe: deps.probe,
      metrics: deps.metrics,
    });
    this.#fetcher = new BackendFetcher({
      client,
      clock,
      log,
      health: this.health,
      timings: () => this.timings,
      onDone: () => this.wake(),
      metrics: deps.metrics,
    });
    this.audit = new PublishAuditor({
      client,
      clock,
      log,
      intervalMs: () => this.timings.auditIntervalMs ?? 0,
      onDone: () => this.wake(),
      metrics: deps.metrics,
    });
    this.probes = new FrontendProber(config.frontendProbe ?? DEFAULT_FRONTEND_PROBE, {
      clock,
      log,
      proxy: () => this.health.socksProxy(),
      onDone: () => this.wake(),
      probe: deps.frontendProbe,
      metrics: deps.metrics,
    });
    this.#views = new ViewLoader({
      client,
      log,
      isTestnet: deps.isTestnet,
      waitFor: (what, now) => this.#say(what, now),
      onPeriodChange: (view, now) => this.#fetcher.followPeriodChange(view, now, this.backends()),
    });
  }

  /**
   * Applies a reloaded config: its frontends, fetch timings and health checks. A changed
   * `health-check.socks` (or checks turned on or off) takes effect at the next check.
   */
  reconfigure(config: BalancerConfig): void {
    this.services = config.services;
    this.timings = config.timings;
    this.health.reconfigure(config.health);
    this.probes.reconfigure(config.frontendProbe ?? DEFAULT_FRONTEND_PROBE);
    this.#clientKeys.recheck();
    // A restricted backend that could not be read may have got its key: try it again now.
    const now = this.#deps.clock.now();
    for (const b of this.backends()) {
      if (b.clientAuthProblem !== undefined) this.#fetcher.fetchSoon(b, now);
    }
    this.wake();
  }

  /** The current network view, if one was loaded. */
  get view(): NetworkView | undefined {
    return this.#views.view;
  }

  /** Every distinct backend of every service (one backend may serve several). */
  backends(): Backend[] {
    return [...new Set(this.services.flatMap((s) => s.backends))];
  }

  /** Wakes the loop now (a result arrived, a signal came). */
  wake(): void {
    this.#woken = true;
    this.#wake?.();
  }

  /** Marks the network view stale, re-fetches every backend and republishes (tor restarted). */
  resync(reason: string): void {
    this.#deps.log.info(
      `Re-reading the consensus, re-fetching every backend and republishing: ${reason}`,
    );
    this.#views.markStale();
    this.health.forgetProxy();
    this.#fetcher.refetchAll();
    for (const service of this.services) service.requestRepublish(reason);
    this.wake();
  }

  /** Runs until `signal` aborts. Never throws for a transient fault. */
  async run(signal: AbortSignal): Promise<void> {
    const { clock } = this.#deps;
    this.#startedAt = clock.now();
    await this.#listen();
    try {
      while (!signal.aborted) {
        await this.tick(clock.now());
        await this.#sleepUntil(this.#nextDue(clock.now()), signal);
      }
    } finally {
      for (const stop of this.#unsubscribe.splice(0)) stop();
    }
  }

  /**
   * Does everything that is due at `now`: the network view, then the backends'
   * fetches, then their health checks, then the services' publishing. Exposed for tests.
   */
  async tick(now: number): Promise<void> {
    this.#startedAt ??= now;
    if (this.#torConnected) await this.#clientKeys.giveIfDue(this.backends(), now);
    const view = await this.#views.live(now);
    if (view === undefined) {
      this.#checking = false;
      return;
    }
    this.#fetcher.startDue(view, now, this.backends());
    await this.#startHealthChecks(now);
    this.#checking = this.#startupSettled(now) && this.#torConnected;
    if (this.#startupSettled(now)) await this.#publish(view, now);
    if (this.#checking) {
      this.audit.startDue(view, now, this.services);
      await this.probes.startDue(now, this.services);
    }
  }

  /** Consensus arrivals and the control connection's ups and downs. */
  async #listen(): Promise<void> {
    const { client, log } = this.#deps;
    const sub = await client.subscribe(["STATUS_CLIENT"], (reply) => {
      if (isConsensusArrival(parseEvent(reply))) {
        log.info("A new consensus arrived");
        this.#views.markStale();
        this.wake();
      }
    });
    this.#unsubscribe.push(() => void sub.unsubscribe().catch(() => {}));
    this.#unsubscribe.push(client.onStateChange(({ state }) => {
      this.#torConnected = state === "connected";
      if (!this.#torConnected) this.#checking = false;
      this.#deps.metrics?.torConnection(state);
      if (state === "connected") {
        // A restarted tor has forgotten the client keys given to it.
        this.#clientKeys.forget();
        this.resync("the connection to tor is back");
      }
      if (state === "disconnected") {
        log.warning("Lost the connection to tor; waiting for it to come back");
      }
    }));
  }

  async #startHealthChecks(now: number): Promise<void> {
    // While tor is away its SOCKS port is too: a check would blame the backends.
    if (!this.#torConnected) return;
    const proxy = await this.health.proxy();
    if (proxy === undefined) return;
    for (const backend of this.health.due(now, this.backends())) void this.#check(backend, proxy);
  }

  async #check(backend: Backend, proxy: SocksProxy): Promise<void> {
    try {
      // A backend that crossed the failure threshold either way, or whose intro points may
      // have changed, is fetched again at once (and the services then republish).
      const last = this.#fetcher.lastAttemptAt(backend);
      const { fetchNow } = await this.health.check(backend, proxy, last);
      if (fetchNow) this.#fetcher.fetchSoon(backend, this.#deps.clock.now());
    } finally {
      this.wake();
    }
  }

  /** Has every service publish what is due (frontend.ts), leaving out what health checks do. */
  async #publish(view: NetworkView, now: number): Promise<void> {
    const leftOut: LeftOut = (backend) => this.health.leftOutReason(backend);
    let anyUsable = false;
    for (const service of this.services) {
      if (service.usableBackends(now, leftOut).usable.length > 0) anyUsable = true;
      try {
        await service.maintain(view, now, leftOut);
      } catch (error) {
        this.#deps.log.error(`Cannot publish ${service.address}.onion: ${errorMessage(error)}`);
      }
    }
    if (!anyUsable) this.#say("a usable backend descriptor", now);
    else this.#waitingFor = "";
  }

  /** True once every backend's first fetch ended, or the start-up grace ran out. */
  #startupSettled(now: number): boolean {
    if (now - (this.#startedAt ?? now) >= this.timings.startupGraceMs) return true;
    return this.#fetcher.firstFetchesDone(this.backends());
  }

  #nextDue(now: number): number {
    let due = now + this.timings.publishCheckIntervalMs;
    const backends = this.backends();
    const sources = [
      this.#views.nextDueAt(),
      this.#fetcher.nextDueAt(backends),
      this.health.nextDueAt(backends),
      ...this.services.map((s) => s.nextDueAt()),
      ...(this.#checking
        ? [this.audit.nextDueAt(this.view, this.services), this.probes.nextDueAt(this.services)]
        : []),
    ];
    for (const at of sources) if (at !== undefined) due = Math.min(due, at);
    if (!this.#startupSettled(now)) {
      due = Math.min(due, (this.#startedAt ?? now) + this.timings.startupGraceMs);
    }
    return Math.max(due, now + 50);
  }

  /** Sleeps on the clock until `at`, or until {@link wake} or `signal` ends the wait. */
  async #sleepUntil(at: number, signal: AbortSignal): Promise<void> {
    const { clock } = this.#deps;
    if (!this.#woken && !signal.aborted) {
      const woken = new AbortController();
      this.#wake = () => woken.abort();
      try {
        await clock.sleep(at - clock.now(), AbortSignal.any([signal, woken.signal]));
      } catch {
        // woken, or stopped: the loop looks at the signal
      } finally {
        this.#wake = undefined;
      }
    }
    this.#woken = false;
  }

  /** Logs what the daemon waits for: at each change, and every minute while it lasts. */
  #say(what: string, now: number): void {
    if (this.#waitingFor === what && now - this.#saidAt < WAITING_REPEAT_MS) return;
    this.#waitingFor = what;
    this.#saidAt = now;
    this.#deps.log.warning(`Waiting for ${what}`);
  }
}
