/**
 * Backend health: the one owner of what the active health checks found, and
 * of when to check next (the checks themselves: `health_check.ts`).
 *
 * A backend that fails `failures` checks in a row is left out of the next
 * publish (which then happens at once). Why checks at all: a dead backend's
 * descriptor stays on the HSDirs for up to 3 hours, so fetching it tells
 * nothing (OnionBalance 0.2.x keeps a dead backend's intro points published
 * for up to ~4 hours: it judges liveness by when it last received a
 * descriptor, `onionbalance/hs_v3/descriptor.py: ReceivedDescriptor.is_old`;
 * see docs/onionbalance-differences.md).
 *
 * Each backend is in one {@link HealthState}; a check moves it:
 * - unchecked, healthy: a pass makes it healthy, a failure confirming(1) (left out
 *   when `failures` is 1);
 * - confirming(n): a pass makes it healthy, a failure confirming(n + 1), or
 *   left out when n + 1 reaches `failures`;
 * - left out(n): a failure counts on; a pass makes it returning;
 * - returning: a failure leaves it out again; it is healthy once a fetch that
 *   started after its pass has ended.
 *
 * A confirming check that tor fails with 0xF2 (`introFailed`: every intro
 * point of the descriptor refused the introduction, which no lost circuit of
 * ours causes) is followed by the next one 1 s after the descriptor fetch it
 * asked for has ended, not a slot later: a backend that died is left out a few
 * seconds after its first failed check, and one that only moved its intro
 * points is checked at the new ones (measured: scripts/bench/dead_backend.ts).
 *
 * A backend left out is checked every third of an interval (half an interval
 * deadline), and its descriptor is fetched again after a failed check (at
 * most once an interval): a restarted backend publishes new intro points,
 * the fetch (through the same tor) puts them in tor's client cache, so the
 * next check uses them instead of the dead ones; a fetch that brings new
 * intro points triggers a check at once. A check that passes makes it
 * returning: it comes back, with a publish, once a fetch that started after
 * the pass has ended, so that the publish carries the intro points it has
 * now (a restarted tor has new ones), not the dead ones held from before.
 *
 * @module
 */

import type { HealthCheckConfig } from "../config/mod.ts";
import type { Logger } from "../log/mod.ts";
import type { SocksProxy } from "../socks/mod.ts";
import type { Clock } from "../time/mod.ts";
import type { Backend } from "./backend.ts";
import type { MetricsSink } from "./metrics_sink.ts";
import { CHECK_REFETCH_MS } from "./follow.ts";
import {
  checkDeadlineMs,
  findSocksProxy,
  type HealthResult,
  INTRO_FAILED_GAP_MS,
  nextCheckDelayMs,
  type Probe,
  socksProbe,
} from "./health_check.ts";

/** Where a backend stands in its health checks. */
export type HealthState =
  | { readonly kind: "unchecked" }
  | { readonly kind: "healthy" }
  /** Failed `failures` checks in a row, fewer than the threshold: still published. */
  | { readonly kind: "confirming"; readonly failures: number }
  /** Failed `failures` (at least the threshold) checks in a row: not published. */
  | { readonly kind: "left out"; readonly failures: number }
  /**
   * Passed a check after being left out; not published until a fetch that
   * started after that pass (`fetchStarted`) has ended.
   */
  | { readonly kind: "returning"; readonly fetchStarted: boolean };

/** The last check of a backend, as the status shows it. */
export interface LastCheck {
  readonly at: number;
  readonly ok: boolean;
  readonly error?: string;
}

/** What the daemon should do about a backend's descriptor after a check or a fetch. */
export interface HealthVerdict {
  /** Fetch the backend's descriptor now (its intro points may have changed). */
  readonly fetchNow: boolean;
}

/** What the monitor works with. */
export interface HealthDeps {
  clock: Clock;
  log: Logger;
  /** Tor's SOCKS listeners (`GETINFO net/listeners/socks`), for `socks: auto`. */
  socksListeners: () => Promise<string[]>;
  /** Runs one check. Default: a SOCKS connect ({@link socksProbe}). */
  probe?: Probe;
  /** Where each counted check's result and duration go. Default: nowhere. */
  metrics?: MetricsSink;
}

/** Next check after tor's SOCKS port refused the connection (at most). */
const PROXY_DOWN_RETRY_MS = 5_000;

interface Entry {
  state: HealthState;
  lastCheck?: LastCheck;
  /** When the next check is due (ms). */
  nextAt: number;
  inFlight: boolean;
  /**
   * A confirming check failed with `introFailed` and asked for a fetch ("asked"; "fetching"
   * once it started): the next check comes once that fetch has ended.
   */
  confirmAfterFetch: "no" | "asked" | "fetching";
}

/** Every backend's health, and the schedule of their checks. */
export class HealthMonitor {
  #config: HealthCheckConfig;
  readonly #deps: HealthDeps;
  readonly #entries = new Map<string, Entry>();
  /** The SOCKS port: undefined = not looked up yet, null = none (checks off). */
  #proxy: SocksProxy | null | undefined;
  #counter = 0;

  constructor(config: HealthCheckConfig, deps: HealthDeps) {
    this.#config = config;
    this.#deps = deps;
  }

  /** The settings in force (config `health-check`). */
  get config(): HealthCheckConfig {
    return this.#config;
  }

  /**
   * Applies reloaded settings: a changed `socks` (or checks turned on or off)
   * is looked up again at the next check, and each backend's failure count is
   * judged against the new threshold.
   */
  reconfigure(config: HealthCheckConfig): void {
    if (config.socks !== this.#config.socks || config.enabled !== this.#config.enabled) {
      this.#proxy = undefined;
    }
    this.#config = config;
    for (const entry of this.#entries.values()) {
      const s = entry.state;
      if (s.kind === "confirming" || s.kind === "left out") entry.state = this.#failed(s.failures);
    }
  }

  /** Looks the SOCKS port up again at the next check (tor restarted). */
  forgetProxy(): void {
    this.#proxy = undefined;
  }

  /** Where `backend` stands. */
  state(backend: Backend): HealthState {
    return this.#entries.get(backend.address)?.state ?? { kind: "unchecked" };
  }

  /** The last counted check of `backend`, if any. */
  lastCheck(backend: Backend): LastCheck | undefined {
    return this.#entries.get(backend.address)?.lastCheck;
  }

  /** Failed checks in a row (0 unless confirming or left out). */
  failures(backend: Backend): number {
    const s = this.state(backend);
    return s.kind === "confirming" || s.kind === "left out" ? s.failures : 0;
  }

  /** Whether checks currently leave `backend` out (failed the threshold; not yet passing). */
  isLeftOut(backend: Backend): boolean {
    return this.#config.enabled && this.state(backend).kind === "left out";
  }

  /** Why checks keep `backend` out of the descriptors, or undefined when they do not. */
  leftOutReason(backend: Backend): string | undefined {
    if (!this.#config.enabled) return undefined;
    const s = this.state(backend);
    if (s.kind === "left out") return `${s.failures} health checks failed in a row`;
    if (s.kind === "returning") {
      return "it passes its health check again; its descriptor is being fetched";
    }
    return undefined;
  }

  /**
   * The SOCKS port checks go through: configured, or asked from tor once;
   * undefined while there is none (checks wait or are off).
   */
  async proxy(): Promise<SocksProxy | undefined> {
    if (!this.#config.enabled) return undefined;
    return await this.socksProxy();
  }

  /**
   * The SOCKS port of `health-check.socks` (or tor's own), whether health checks run or not:
   * the frontend probe connects through it too.
   */
  async socksProxy(): Promise<SocksProxy | undefined> {
    if (this.#proxy === undefined) {
      this.#proxy = await findSocksProxy(
        this.#config.socks,
        this.#deps.socksListeners,
        this.#deps.log,
      );
    }
    return this.#proxy ?? undefined;
  }

  /** The backends whose check is due at `now` (none while there is no SOCKS port). */
  due(now: number, backends: readonly Backend[]): Backend[] {
    if (!this.#config.enabled || !this.#proxy) return [];
    return backends.filter((b) => {
      const e = this.#entry(b);
      return !e.inFlight && e.nextAt <= now;
    });
  }

  /**
   * When the next check of one of `backends` is due, if checks run (a backend
   * a reload removed is not checked, so it is not waited for either).
   */
  nextDueAt(backends: readonly Backend[]): number | undefined {
    if (!this.#config.enabled || !this.#proxy) return undefined;
    let due: number | undefined;
    for (const b of backends) {
      const e = this.#entries.get(b.address);
      if (e !== undefined && !e.inFlight) due = Math.min(due ?? Infinity, e.nextAt);
    }
    return due;
  }

  /**
   * Checks `backend` once through `proxy` and records the result.
   *
   * @param lastFetchAt When the backend's last fetch started (ms): a failed
   *   check asks for a fetch when the last one is older than the refetch limit.
   */
  async check(backend: Backend, proxy: SocksProxy, lastFetchAt = 0): Promise<HealthVerdict> {
    const { clock } = this.#deps;
    const entry = this.#entry(backend);
    entry.inFlight = true;
    try {
      const result = await (this.#deps.probe ?? socksProbe)({
        address: backend.address,
        port: this.#config.port,
        proxy,
        timeoutMs: checkDeadlineMs({ ...this.#timing(), failures: this.failures(backend) }),
        isolation: `onionbalance-health-${++this.#counter}`,
      }, clock);
      return this.record(backend, result, clock.now(), lastFetchAt);
    } finally {
      entry.inFlight = false;
    }
  }

  /** Applies one check's result, ended at `at` (see {@link check}). Exposed for tests. */
  record(backend: Backend, result: HealthResult, at: number, lastFetchAt = 0): HealthVerdict {
    const entry = this.#entry(backend);
    const { log } = this.#deps;
    const { intervalMs, threshold } = this.#timing();
    const name = `${backend.address}.onion`;
    if (result.proxyDown) {
      // tor's SOCKS port did not accept the connection: our tor's fault, not the backend's.
      log.debug(`Health check of ${name} not made: ${result.error}`);
      entry.nextAt = at + Math.min(PROXY_DOWN_RETRY_MS, intervalMs);
      return { fetchNow: false };
    }
    const before = entry.state;
    entry.lastCheck = { at, ok: result.ok, error: result.error };
    this.#deps.metrics?.healthCheck(backend, result.ok, result.durationMs);
    entry.confirmAfterFetch = "no";
    let fetchNow = false;
    if (result.ok) {
      if (before.kind === "left out") {
        entry.state = { kind: "returning", fetchStarted: false };
        log.warning(
          `Backend ${name} passes its health check again: back in the descriptors once its ` +
            "descriptor is fetched",
        );
        fetchNow = true; // a restarted backend has new intro points
      } else if (before.kind !== "returning") {
        entry.state = { kind: "healthy" };
      }
    } else {
      const failures = before.kind === "returning" ? threshold : this.failures(backend) + 1;
      entry.state = this.#failed(failures);
      log.info(`Health check of ${name} failed (${failures} in a row): ${result.error}`);
      if (before.kind === "returning") {
        log.warning(`Backend ${name} failed a health check before its return: left out`);
      } else if (failures === threshold) {
        log.warning(`Backend ${name} failed ${threshold} health checks: left out`);
        fetchNow = true;
      } else if (failures < threshold) {
        // A failed check while still in: its intro points may have changed (retired or
        // restarted); fetch its descriptor now rather than at the next routine fetch.
        fetchNow = at - lastFetchAt >= CHECK_REFETCH_MS;
      } else {
        // Left out and still failing: fetch again (at most once an interval, so a backend that
        // stays dead does not cost the HSDirs much), so that tor's client cache (which the next
        // check uses) and ours hold whatever the backend published last.
        fetchNow = at - lastFetchAt >= intervalMs;
      }
    }
    entry.nextAt = at + nextCheckDelayMs({
      ...this.#timing(),
      failures: this.failures(backend),
      lastDurationMs: result.durationMs,
    });
    if (result.introFailed && entry.state.kind === "confirming") {
      // Every intro point refused: no lost circuit of ours explains that, so the streak is
      // confirmed without waiting out the slots; but after the fetch it asked for, so that a
      // backend that only moved its intro points is checked at the new ones (the slot stays
      // the bound if that fetch does not end).
      if (fetchNow) entry.confirmAfterFetch = "asked";
      else entry.nextAt = Math.min(entry.nextAt, at + INTRO_FAILED_GAP_MS);
    }
    return { fetchNow };
  }

  /** A fetch of `backend`'s descriptor starts. */
  onFetchStarted(backend: Backend): void {
    const entry = this.#entries.get(backend.address);
    if (entry?.state.kind === "returning") entry.state = { kind: "returning", fetchStarted: true };
    if (entry?.confirmAfterFetch === "asked") entry.confirmAfterFetch = "fetching";
  }

  /**
   * A fetch of `backend`'s descriptor ended (`newIntroPoints`: it brought new
   * ones). A returning backend whose fetch started after its pass is back; one
   * whose fetch started before asks for another at once. New intro points of a
   * backend left out are checked at once: maybe it is back.
   */
  onFetchFinished(backend: Backend, outcome: { newIntroPoints: boolean }): HealthVerdict {
    const entry = this.#entries.get(backend.address);
    if (entry === undefined) return { fetchNow: false };
    if (entry.state.kind === "left out" && outcome.newIntroPoints) entry.nextAt = 0;
    if (entry.confirmAfterFetch === "fetching") {
      entry.confirmAfterFetch = "no";
      if (entry.state.kind === "confirming") {
        entry.nextAt = Math.min(entry.nextAt, this.#deps.clock.now() + INTRO_FAILED_GAP_MS);
      }
    }
    if (entry.state.kind !== "returning") return { fetchNow: false };
    if (entry.state.fetchStarted) {
      entry.state = { kind: "healthy" };
      return { fetchNow: false };
    }
    return { fetchNow: true };
  }

  #failed(failures: number): HealthState {
    return failures >= this.#config.failures
      ? { kind: "left out", failures }
      : { kind: "confirming", failures };
  }

  #timing(): { intervalMs: number; threshold: number; timeoutMs: number } {
    return {
      intervalMs: this.#config.intervalSeconds * 1000,
      threshold: this.#config.failures,
      timeoutMs: this.#config.timeoutSeconds * 1000,
    };
  }

  #entry(backend: Backend): Entry {
    let entry = this.#entries.get(backend.address);
    if (entry === undefined) {
      entry = { state: { kind: "unchecked" }, nextAt: 0, inFlight: false, confirmAfterFetch: "no" };
      this.#entries.set(backend.address, entry);
    }
    return entry;
  }
}
