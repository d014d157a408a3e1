/**
 * The end-to-end probe (config `frontend-probe`): every interval, the daemon connects to each
 * frontend's own address through tor's SOCKS port, on the configured virtual port, as a client
 * would: tor fetches the frontend descriptor from an HSDir (or uses the one it holds), introduces
 * itself at one of the intro points this balancer published, and a backend meets it at the
 * rendezvous point and reaches its local service. A probe passes when tor reports the stream
 * connected (`health_check.ts: socksProbe`, with fresh SOCKS credentials for a fresh circuit).
 *
 * A frontend is `reachable` after a probe that passed and `unreachable` after one that failed:
 * one probe decides, so that a frontend whose backends all died reads unreachable within one
 * interval (the probe after the death fails within its timeout, at most the interval). A probe
 * that finds tor's SOCKS port closed (tor restarting) says nothing and is not counted.
 *
 * @module
 */

import { errorMessage, type Logger } from "../log/mod.ts";
import type { SocksProxy } from "../socks/mod.ts";
import type { Clock } from "../time/mod.ts";
import type { FrontendProbeConfig } from "../config/mod.ts";
import type { FrontendService } from "./frontend.ts";
import { type Probe, socksProbe } from "./health_check.ts";
import type { MetricsSink } from "./metrics_sink.ts";

/** How long after the daemon may first publish a frontend is first probed (ms, at most). */
export const FIRST_PROBE_DELAY_MS = 30_000;

/** Where one frontend stands in its probes. */
export interface ProbeState {
  /** True after a probe that passed, false after one that failed. */
  reachable: boolean;
  /** When the last counted probe ended (ms), how long it took, and why it failed. */
  at: number;
  durationMs: number;
  error?: string;
  /** When a probe last passed (ms), if one did. */
  lastOkAt?: number;
  /** Failed probes in a row. */
  failures: number;
}

/** What the prober works with. */
export interface FrontendProberDeps {
  clock: Clock;
  log: Logger;
  /** The SOCKS port to connect through (undefined: none known yet; probes wait). */
  proxy: () => Promise<SocksProxy | undefined>;
  /** Called when a probe ended (the daemon wakes for the next one). */
  onDone: () => void;
  /** How a probe is made. Default: a SOCKS connect through tor. */
  probe?: Probe;
  metrics?: MetricsSink;
}

/** The probes of every frontend (see the module comment). */
export class FrontendProber {
  #config: FrontendProbeConfig;
  readonly #deps: FrontendProberDeps;
  readonly #states = new Map<string, ProbeState>();
  readonly #nextAt = new Map<string, number>();
  readonly #running = new Set<string>();
  /** Whether the last look for a SOCKS port found one (probes are not due without one). */
  #haveProxy = false;
  #serial = 0;

  constructor(config: FrontendProbeConfig, deps: FrontendProberDeps) {
    this.#config = config;
    this.#deps = deps;
  }

  /**
   * Applies a reloaded `frontend-probe`; a changed interval counts from the next probe. Turned
   * off, it forgets every result (no status, no series).
   */
  reconfigure(config: FrontendProbeConfig): void {
    this.#config = config;
    if (!config.enabled) {
      this.#states.clear();
      this.#nextAt.clear();
    }
  }

  /** Whether probes run. */
  get enabled(): boolean {
    return this.#config.enabled;
  }

  /** Where the frontend at `address` stands, once a probe of it ended. */
  state(address: string): ProbeState | undefined {
    return this.#states.get(address);
  }

  /**
   * Starts the probes due at `now`. A frontend seen for the first time is first probed
   * {@link FIRST_PROBE_DELAY_MS} (or an interval, if shorter) later: the daemon calls this once it
   * may publish, and its first uploads take a few seconds.
   */
  async startDue(now: number, services: readonly FrontendService[]): Promise<void> {
    if (!this.#config.enabled) return;
    this.#forgetRemoved(services);
    const first = Math.min(FIRST_PROBE_DELAY_MS, this.#config.intervalSeconds * 1000);
    for (const s of services) {
      if (!this.#nextAt.has(s.address)) this.#nextAt.set(s.address, now + first);
    }
    // Asked every time (the health monitor keeps the answer): no probe is due without one.
    const proxy = await this.#deps.proxy();
    this.#haveProxy = proxy !== undefined;
    if (proxy === undefined) return;
    const due = services.filter((s) =>
      !this.#running.has(s.address) && this.#nextAt.get(s.address)! <= now
    );
    for (const service of due) {
      this.#running.add(service.address);
      void this.#probe(service.address, proxy).finally(() => {
        this.#running.delete(service.address);
        this.#deps.onDone();
      });
    }
  }

  /**
   * The earliest time (ms) a probe is due, if probes run: none before {@link startDue} has seen a
   * frontend, or while no SOCKS port is known (the daemon's next tick looks again).
   */
  nextDueAt(services: readonly FrontendService[]): number | undefined {
    if (!this.#config.enabled || !this.#haveProxy) return undefined;
    let due: number | undefined;
    for (const s of services) {
      const at = this.#nextAt.get(s.address);
      if (this.#running.has(s.address) || at === undefined) continue;
      due = Math.min(due ?? Infinity, at);
    }
    return due;
  }

  async #probe(address: string, proxy: SocksProxy): Promise<void> {
    const { clock, log, metrics } = this.#deps;
    const config = this.#config;
    const started = clock.now();
    this.#nextAt.set(address, started + config.intervalSeconds * 1000);
    const result = await (this.#deps.probe ?? socksProbe)({
      address,
      port: config.port,
      proxy,
      timeoutMs: config.timeoutSeconds * 1000,
      isolation: `onionbalance-probe-${Deno.pid}-${++this.#serial}`,
    }, clock).catch((error) => ({
      ok: false,
      error: errorMessage(error),
      durationMs: clock.now() - started,
      proxyDown: false,
    }));
    if (result.proxyDown) return;
    const before = this.#states.get(address);
    const state: ProbeState = {
      reachable: result.ok,
      at: clock.now(),
      durationMs: result.durationMs,
      failures: result.ok ? 0 : (before?.failures ?? 0) + 1,
      ...(result.ok ? {} : { error: result.error ?? "failed" }),
      ...(result.ok
        ? { lastOkAt: clock.now() }
        : before?.lastOkAt === undefined
        ? {}
        : { lastOkAt: before.lastOkAt }),
    };
    this.#states.set(address, state);
    metrics?.frontendProbe(address, result.ok, result.durationMs);
    const where = `${address}.onion:${config.port}`;
    const took = `${(result.durationMs / 1000).toFixed(1)} s`;
    if (result.ok && before?.reachable === false) {
      log.warning(`${where} is reachable again (the probe connected in ${took})`);
    } else if (!result.ok && before?.reachable !== false) {
      log.warning(`${where} is unreachable: the probe failed after ${took} (${state.error})`);
    } else {
      log.debug(`Probe of ${where}: ${result.ok ? "connected" : state.error} in ${took}`);
    }
  }

  /** Drops the state of frontends no longer configured (after a reload). */
  #forgetRemoved(services: readonly FrontendService[]): void {
    const live = new Set(services.map((s) => s.address));
    for (const map of [this.#states, this.#nextAt]) {
      for (const address of [...map.keys()]) if (!live.has(address)) map.delete(address);
    }
  }
}
