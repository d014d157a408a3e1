/**
 * The balancer daemon: fetches every backend's descriptor, keeps the network
 * view current, and has each frontend service publish its descriptors.
 *
 * Spec: rend-spec-v3 §2.2 [WHERE-HSDESC]; control-spec HSFETCH, HS_DESC;
 * docs/architecture.md, docs/timeline.md, docs/onionbalance-differences.md
 * (what OnionBalance 0.2.x does, and its failures).
 *
 * One loop, woken by timers and events ({@link Balancer.run}):
 *
 * ```
 *   ┌──────────── wake: timer, fetch result, upload result, consensus, reconnect
 *   ▼
 * tick ─▶ network view stale? ──▶ GETINFO consensus-microdesc + md/all
 *   │                              (fails: log what we wait for, retry in 5 s)
 *   ├──▶ backends due? ──▶ HSFETCH each (at most 8 at once; SIGNAL ACTIVE)
 *   │                       result: checked descriptor, rollback refused, or failure
 *   │                       (failures retried at 5 s, 10 s, … up to fetch-interval)
 *   ├──▶ health checks due? ──▶ SOCKS CONNECT to each backend's onion address (health.ts);
 *   │                       a backend crossing the failure threshold either way is re-fetched
 *   │                       at once, and the services republish
 *   └──▶ services: maintain() (frontend.ts: publish on change, retry failed uploads)
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
import {
  getSocksListeners,
  isConsensusArrival,
  parseEvent,
  signal as sendSignal,
} from "../control/mod.ts";
import type { HealthCheckConfig } from "../config/mod.ts";
import type { SocksProxy } from "../socks/mod.ts";
import type { Logger } from "../log/mod.ts";
import type { Clock } from "../time/mod.ts";
import type { Backend } from "./backend.ts";
import {
  awaitPeriod,
  CHECK_REFETCH_MS,
  type FetchSchedule,
  newSchedule,
  PERIOD_RETRY_MS,
  rotationTimes,
  routineInterval,
  stillAwaiting,
} from "./follow.ts";
import type { FrontendService } from "./frontend.ts";
import {
  checkBackend,
  checkDeadlineMs,
  nextCheckDelayMs,
  parseSocksAddress,
  recordHealth,
} from "./health.ts";
import type { NetworkView } from "./network.ts";
import { describeConsensusWait, fetchBackend, isTestingNetwork, loadNetworkView } from "./tor.ts";

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
}

/** Default timings other than those from the config. */
export const DEFAULT_FETCH_TIMEOUT_MS = 60_000;
export const STARTUP_GRACE_MS = 30_000;
const VIEW_RETRY_MS = 5_000;
/** How often a wait that lasts is logged again. */
const WAITING_REPEAT_MS = 60_000;
const VIEW_MAX_AGE_MS = 15 * 60_000;
const FETCH_CONCURRENCY = 8;
const FETCH_RETRY_INITIAL_MS = 5_000;
/** Next health check of a backend after tor's SOCKS port refused the connection (at most). */
const PROXY_DOWN_RETRY_MS = 5_000;

/** What the daemon works with. */
export interface BalancerDeps {
  /** The control client (a `ControlClient`, which reconnects on its own; tests pass a fake). */
  client: HsClient;
  /** Clock for every timing decision. */
  clock: Clock;
  /** Logger. */
  log: Logger;
  /** Force testing-network time periods (`--is-testnet`); otherwise asked from tor. */
  isTestnet?: boolean;
}

/** What a config gives the daemon: its frontends, its timings, its health checks. */
export interface BalancerConfig {
  services: FrontendService[];
  timings: BalancerTimings;
  /** Active health checks (config `health-check`); off when `enabled` is false. */
  health: HealthCheckConfig;
}

/** The daemon (see the module comment). */
export class Balancer {
  services: FrontendService[];
  timings: BalancerTimings;
  /** Active health checks (config `health-check`); off when `enabled` is false. */
  health: HealthCheckConfig;
  readonly #deps: BalancerDeps;
  #view?: NetworkView;
  #viewLoadedAt = 0;
  #viewStale = true;
  #viewRetryAt = 0;
  /** When to re-fetch every backend before the services rotate their descriptors (ms). */
  #rotationFetchAt: number | undefined;
  #testnet?: boolean;
  readonly #schedule = new Map<string, FetchSchedule>();
  #inFlight = 0;
  /** When the daemon started (the first tick, or run()); the start-up grace counts from it. */
  #startedAt: number | undefined;
  #lastActiveSignal = 0;
  #wake: (() => void) | undefined;
  #woken = false;
  #waitingFor = "";
  #saidAt = 0;
  /** The SOCKS port health checks use: undefined = not looked up yet, null = none (checks off). */
  #socks: SocksProxy | null | undefined;
  #healthCounter = 0;
  /** Whether the control connection is up (state events of the client). */
  #torConnected = true;
  readonly #unsubscribe: (() => void)[] = [];

  constructor(config: BalancerConfig, deps: BalancerDeps) {
    this.services = config.services;
    this.timings = config.timings;
    this.health = config.health;
    this.#deps = deps;
  }

  /**
   * Applies a reloaded config: its frontends, fetch timings and health checks. A changed
   * `health-check.socks` (or checks turned on or off) takes effect at the next check.
   */
  reconfigure(config: BalancerConfig): void {
    if (
      config.health.socks !== this.health.socks || config.health.enabled !== this.health.enabled
    ) {
      this.#socks = undefined; // looked up again from the new setting
    }
    this.services = config.services;
    this.timings = config.timings;
    this.health = config.health;
    this.wake();
  }

  /** The current network view, if one was loaded. */
  get view(): NetworkView | undefined {
    return this.#view;
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
    this.#viewStale = true;
    this.#viewRetryAt = 0;
    this.#socks = undefined;
    for (const s of this.#schedule.values()) s.nextAt = 0;
    for (const service of this.services) service.requestRepublish(reason);
    this.wake();
  }

  /** Runs until `signal` aborts. Never throws for a transient fault. */
  async run(signal: AbortSignal): Promise<void> {
    const { client, log, clock } = this.#deps;
    this.#startedAt = clock.now();
    const sub = await client.subscribe(["STATUS_CLIENT"], (reply) => {
      if (isConsensusArrival(parseEvent(reply))) {
        log.info("A new consensus arrived");
        this.#viewStale = true;
        this.#viewRetryAt = 0;
        this.wake();
      }
    });
    this.#unsubscribe.push(() => void sub.unsubscribe().catch(() => {}));
    this.#unsubscribe.push(client.onStateChange(({ state }) => {
      this.#torConnected = state === "connected";
      if (state === "connected") this.resync("the connection to tor is back");
      if (state === "disconnected") {
        log.warning("Lost the connection to tor; waiting for it to come back");
      }
    }));
    try {
      while (!signal.aborted) {
        const now = clock.now();
        await this.tick(now);
        await this.#sleep(this.#nextDue(clock.now()) - clock.now(), signal);
      }
    } finally {
      for (const stop of this.#unsubscribe.splice(0)) stop();
    }
  }

  /** Does everything that is due at `now`. Exposed for tests. */
  async tick(now: number): Promise<void> {
    this.#startedAt ??= now;
    if (this.#viewStale || now - this.#viewLoadedAt > VIEW_MAX_AGE_MS) {
      if (now >= this.#viewRetryAt) await this.#refreshView(now);
    }
    const view = this.#view;
    if (view === undefined) return;
    if (!view.isLive(Math.floor(now / 1000))) {
      this.#say("a live consensus (the one tor has is more than 24 h out of date)", now);
      return;
    }
    if (this.#rotationFetchAt !== undefined && now >= this.#rotationFetchAt) {
      this.#rotationFetchAt = undefined;
      this.#refetchAll(view, now, "the services rotate their descriptors soon");
    }
    this.#startFetches(view, now);
    await this.#startHealthChecks(now);
    if (!this.#startupSettled(now)) return;
    let anyUsable = false;
    for (const service of this.services) {
      if (service.usableBackends(now).usable.length > 0) anyUsable = true;
      try {
        await service.maintain(view, now);
      } catch (error) {
        this.#deps.log.error(`Cannot publish ${service.address}.onion: ${describe(error)}`);
      }
    }
    if (!anyUsable) this.#say("a usable backend descriptor", now);
    else this.#waitingFor = "";
  }

  async #refreshView(now: number): Promise<void> {
    const { client, log } = this.#deps;
    try {
      this.#testnet ??= this.#deps.isTestnet || await isTestingNetwork(client);
      const view = await loadNetworkView(client, {
        isTestingNetwork: this.#testnet,
        previous: this.#view,
      });
      const before = this.#view?.timeline.currentPeriod.number;
      this.#view = view;
      this.#viewLoadedAt = now;
      this.#viewStale = false;
      if (before !== undefined && view.timeline.currentPeriod.number > before) {
        this.#followPeriodChange(view, now);
      }
      log.info(
        `Consensus valid-after ${new Date(view.consensus.validAfter * 1000).toISOString()}: ` +
          `${view.relays.length} relays, ${view.hsDirs.length} v3 HSDirs, current ${view.timeline.currentPeriod}` +
          (view.relaysWithoutMicrodesc > 0
            ? `, ${view.relaysWithoutMicrodesc} without microdescriptor`
            : ""),
      );
    } catch (error) {
      this.#viewRetryAt = now + VIEW_RETRY_MS;
      log.debug(`Cannot read tor's consensus: ${describe(error)}`);
      this.#say(`tor's consensus: ${await describeConsensusWait(client, error)}`, now);
    }
  }

  /**
   * A new time period began (per tor's consensus): clients now fetch the
   * frontend descriptor of this period, and each backend's descriptor for it
   * carries the intro points its tor keeps open across the coming rotation
   * (`rotate_service_descriptors()` at the next shared-random run closes the
   * previous period's ones). Fetch every backend now, and again shortly
   * before that rotation. See docs/timeline.md.
   */
  #followPeriodChange(view: NetworkView, now: number): void {
    const t = view.timeline;
    const { rotationAt, fetchAt } = rotationTimes(t, now);
    this.#refetchAll(view, now, `time period ${t.currentPeriod.number} began`, rotationAt);
    if (fetchAt !== undefined) this.#rotationFetchAt = fetchAt;
  }

  /** Fetches every backend now, each until its descriptor for the current period is in. */
  #refetchAll(view: NetworkView, now: number, why: string, until?: number): void {
    const period = view.timeline.currentPeriod.number;
    this.#deps.log.info(`Re-fetching every backend's descriptor: ${why}`);
    for (const backend of this.backends()) {
      awaitPeriod(this.#scheduleOf(backend), backend.descriptor?.period.number, period, now, until);
    }
  }

  #startFetches(view: NetworkView, now: number): void {
    const due = this.backends().filter((b) => {
      const s = this.#scheduleOf(b);
      return !s.inFlight && s.nextAt <= now;
    });
    if (due.length > 0 && now - this.#lastActiveSignal > 60_000) {
      this.#lastActiveSignal = now;
      // Keep tor out of dormant mode: it fetches and uploads for us, not for a user.
      void sendSignal(this.#deps.client, "ACTIVE").catch(() => {});
    }
    for (const backend of due) {
      if (this.#inFlight >= FETCH_CONCURRENCY) break;
      void this.#fetch(backend, view);
    }
  }

  async #fetch(backend: Backend, view: NetworkView): Promise<void> {
    const { clock, log, client } = this.#deps;
    const s = this.#scheduleOf(backend);
    s.inFlight = true;
    this.#inFlight++;
    backend.lastFetchAttemptAt = clock.now();
    const returning = backend.refetchBeforeReturn; // this fetch is the one it waits for
    try {
      const outcome = await fetchBackend(client, backend, view, {
        now: new Date(clock.now()),
        timeoutMs: this.timings.fetchTimeoutMs,
        avoid: s.failedHsDir,
      }).catch((error) => ({ ok: false as const, reason: describe(error), hsDir: undefined }));
      s.failedHsDir = outcome.ok ? undefined : outcome.hsDir;
      const now = clock.now();
      if (outcome.ok) {
        const result = backend.accept(outcome.descriptor, now, outcome.text);
        const d = outcome.descriptor;
        if (result === "rollback") {
          log.warning(
            `Refused a descriptor of backend ${backend.address}.onion from HSDir ${outcome.hsDir}: ` +
              `revision ${d.outer.revisionCounter} is lower than one already seen (an old copy)`,
          );
        } else if (result !== "same") {
          if (result === "new" && this.#isLeftOut(backend)) {
            s.healthAt = 0; // new intro points of a backend left out: maybe it is back, check now
          }
          log.info(
            `Backend ${backend.address}.onion: ${
              result === "new" ? "new intro points" : "new revision"
            } ` +
              `(${d.inner.introPoints.length} intro points, revision ${d.outer.revisionCounter}, ${d.period})`,
          );
        }
        s.nextAt = now + routineInterval(backend, now, this.timings);
        if (s.wantPeriod !== undefined) {
          if (result !== "rollback" && d.period.number >= s.wantPeriod) {
            s.wantPeriod = s.wantUntil = undefined;
          } else if (stillAwaiting(s, now, this.#isLeftOut(backend))) {
            s.nextAt = Math.min(s.nextAt, now + PERIOD_RETRY_MS);
          }
        }
      } else {
        backend.fetchFailed(outcome.reason);
        let delay = Math.min(
          this.timings.fetchIntervalMs,
          FETCH_RETRY_INITIAL_MS * 2 ** Math.min(10, backend.fetchFailures - 1),
        );
        if (stillAwaiting(s, now, this.#isLeftOut(backend))) {
          delay = Math.min(delay, PERIOD_RETRY_MS);
        }
        s.nextAt = now + delay;
        log.warning(
          `Cannot fetch backend ${backend.address}.onion (failure ${backend.fetchFailures}): ` +
            `${outcome.reason}; retry in ${Math.round(delay / 1000)} s`,
        );
      }
    } finally {
      if (returning) backend.refetchBeforeReturn = false;
      // A check passed while this fetch was under way (it may have started before the
      // backend came back): the fetch the backend waits for is the next one, now.
      else if (backend.refetchBeforeReturn) s.nextAt = Math.min(s.nextAt, clock.now());
      s.inFlight = false;
      s.firstDone = true;
      this.#inFlight--;
      this.wake();
    }
  }

  /** Whether health checks currently leave `backend` out. */
  #isLeftOut(backend: Backend): boolean {
    return this.health.enabled && (backend.healthFailures ?? 0) >= this.health.failures;
  }

  async #startHealthChecks(now: number): Promise<void> {
    // While tor is away its SOCKS port is too: a check would blame the backends.
    if (!this.health.enabled || !this.#torConnected) return;
    if (this.#socks === undefined) this.#socks = await this.#findSocksPort();
    const proxy = this.#socks;
    if (proxy === null || proxy === undefined) return;
    for (const backend of this.backends()) {
      const s = this.#scheduleOf(backend);
      if (s.healthInFlight || s.healthAt > now) continue;
      s.healthInFlight = true;
      void this.#check(backend, proxy, s);
    }
  }

  async #check(backend: Backend, proxy: SocksProxy, s: FetchSchedule): Promise<void> {
    const { clock, log } = this.#deps;
    try {
      const result = await checkBackend(backend, proxy, {
        port: this.health.port,
        timeoutMs: checkDeadlineMs({
          failures: backend.healthFailures ?? 0,
          intervalMs: this.health.intervalSeconds * 1000,
          threshold: this.health.failures,
          timeoutMs: this.health.timeoutSeconds * 1000,
        }),
        isolation: `onionbalance-health-${++this.#healthCounter}`,
        now: () => clock.now(),
      });
      const at = clock.now();
      if (result.proxyDown) {
        // tor's SOCKS port did not accept the connection: our tor's fault, not the backend's.
        log.debug(`Health check of ${backend.address}.onion not made: ${result.error}`);
        s.healthAt = at + Math.min(PROXY_DOWN_RETRY_MS, this.health.intervalSeconds * 1000);
        return;
      }
      const changed = recordHealth(backend, result, { at, threshold: this.health.failures });
      if (!result.ok) {
        log.info(
          `Health check of ${backend.address}.onion failed (${backend.healthFailures} in a row): ` +
            result.error,
        );
      }
      if (changed) {
        log.warning(
          result.ok
            ? `Backend ${backend.address}.onion passes its health check again: back in the ` +
              "descriptors once its descriptor is fetched"
            : `Backend ${backend.address}.onion failed ${this.health.failures} health checks: left out`,
        );
        s.nextAt = 0; // re-fetch its descriptor now: a restarted backend has new intro points
        if (result.ok) backend.refetchBeforeReturn = true; // back once that fetch ends
      } else if (
        !result.ok && (backend.healthFailures ?? 0) < this.health.failures &&
        at - (backend.lastFetchAttemptAt ?? 0) >= CHECK_REFETCH_MS
      ) {
        // A failed check while still in: its intro points may have changed (retired or
        // restarted); fetch its descriptor now rather than at the next routine fetch.
        s.nextAt = Math.min(s.nextAt, at);
      } else if (
        !result.ok && (backend.healthFailures ?? 0) > this.health.failures &&
        at - (backend.lastFetchAttemptAt ?? 0) >= this.health.intervalSeconds * 1000
      ) {
        // Left out and still failing: fetch again (at most once an interval, so a backend
        // that stays dead does not cost the HSDirs much), so that tor's client cache (which
        // the next check uses) and ours hold whatever the backend published last.
        s.nextAt = Math.min(s.nextAt, at);
      }
      s.healthAt = at + nextCheckDelayMs({
        failures: backend.healthFailures ?? 0,
        intervalMs: this.health.intervalSeconds * 1000,
        threshold: this.health.failures,
        lastDurationMs: result.durationMs,
      });
    } finally {
      s.healthInFlight = false;
      this.wake();
    }
  }

  /**
   * The SOCKS port for health checks: configured, or asked from tor; null turns checks off,
   * undefined means "ask again on the next tick".
   */
  async #findSocksPort(): Promise<SocksProxy | null | undefined> {
    const { log, client } = this.#deps;
    if (this.health.socks !== "auto") {
      const proxy = parseSocksAddress(this.health.socks);
      if (proxy === undefined) {
        log.error(`Health checks are off: bad SOCKS address "${this.health.socks}"`);
      }
      return proxy ?? null;
    }
    try {
      const listeners = await getSocksListeners(client);
      const proxy = listeners.map(parseSocksAddress).find((p) => p !== undefined);
      if (proxy !== undefined) {
        log.info(`Health checks through tor's SOCKS port ${proxy.hostname}:${proxy.port}`);
        return proxy;
      }
      log.warning(
        "Health checks are off: tor has no SocksPort (add `SocksPort 127.0.0.1:9050` to the " +
          "frontend torrc, or set health-check.socks)",
      );
      return null;
    } catch (error) {
      log.warning(`Cannot ask tor for its SOCKS port (${describe(error)}); health checks wait`);
      return undefined;
    }
  }

  #scheduleOf(backend: Backend): FetchSchedule {
    let s = this.#schedule.get(backend.address);
    if (s === undefined) {
      s = newSchedule();
      this.#schedule.set(backend.address, s);
    }
    return s;
  }

  /** True once every backend's first fetch ended, or the start-up grace ran out. */
  #startupSettled(now: number): boolean {
    if (now - (this.#startedAt ?? now) >= this.timings.startupGraceMs) return true;
    return this.backends().every((b) => this.#scheduleOf(b).firstDone);
  }

  #nextDue(now: number): number {
    let due = now + this.timings.publishCheckIntervalMs;
    for (const s of this.#schedule.values()) {
      if (!s.inFlight) due = Math.min(due, s.nextAt);
      if (this.health.enabled && this.#socks && !s.healthInFlight) due = Math.min(due, s.healthAt);
    }
    for (const service of this.services) due = Math.min(due, service.nextDueAt() ?? due);
    if (this.#viewStale) due = Math.min(due, this.#viewRetryAt);
    if (this.#rotationFetchAt !== undefined) due = Math.min(due, this.#rotationFetchAt);
    if (!this.#startupSettled(now)) {
      due = Math.min(due, (this.#startedAt ?? now) + this.timings.startupGraceMs);
    }
    return Math.max(due, now + 50);
  }

  async #sleep(ms: number, signal: AbortSignal): Promise<void> {
    if (this.#woken || signal.aborted) {
      this.#woken = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      signal.addEventListener("abort", done);
      this.#wake = done;
    });
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

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
