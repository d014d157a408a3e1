/**
 * One health check, and its timing: the balancer connects to a backend's own
 * onion address through its tor's SOCKS port, on the backend's virtual port.
 * `health.ts` (`HealthMonitor`) decides when to check and what a result means.
 *
 * A check is a SOCKS5 CONNECT to `<backend>.onion:<port>` with fresh SOCKS
 * credentials (so tor builds a fresh circuit; `IsolateSOCKSAuth`): it passes
 * when tor reports the stream connected, which needs the backend's tor to
 * answer at an intro point, meet us at a rendezvous point and reach its local
 * service.
 *
 * The bound: a backend that dies is left out at most two intervals
 * after it died, whatever tor does with a check to a dead address (it may try
 * every intro point for many seconds before it gives up). The check after the
 * death starts at most one interval later; it may take half an interval; the
 * `failures - 1` confirming checks that follow get one slot each of the other
 * half ({@link checkDeadlineMs}), and start one slot apart even when they fail
 * at once ({@link nextCheckDelayMs}), so a fault of a few seconds (a lost
 * circuit, a descriptor tor is still fetching) is not confirmed by three fast
 * failures in a row; only a streak of 0xF2 replies (every intro point refused)
 * is confirmed faster (`health.ts`). A check that reaches its deadline counts
 * as failed. The publish follows at once.
 *
 * @module
 */

import { errorMessage, type Logger } from "../log/mod.ts";
import { socks5Connect, Socks5Error, type SocksProxy } from "../socks/mod.ts";
import type { Clock } from "../time/mod.ts";

/** Where a backend stands in its checks, for {@link nextCheckDelayMs} and {@link checkDeadlineMs}. */
export interface CheckState {
  /** Failed checks in a row. */
  failures: number;
  /** Milliseconds between checks of a healthy backend (config `interval`, in seconds there). */
  intervalMs: number;
  /** Failed checks in a row that leave a backend out (config `failures`). */
  threshold: number;
}

/** The outcome of one check. */
export interface HealthResult {
  ok: boolean;
  error?: string;
  durationMs: number;
  /**
   * The SOCKS port itself refused the connection (tor is down or
   * restarting): the check says nothing about the backend and is not counted.
   */
  proxyDown?: boolean;
  /**
   * tor answered with its extended error 0xF2 (`OnionIntroFailed`, socks-extensions.txt): every
   * intro point of the descriptor it holds refused the introduction (NACK: the backend has no
   * intro circuit there) or could not be reached (tor counts an intro point unreachable after
   * `MAX_INTRO_POINT_REACHABILITY_FAILURES`, 5, failed circuits). One lost circuit of ours does
   * not give it.
   */
  introFailed?: boolean;
}

/** What one check needs: where, through which proxy, for how long, on which circuit. */
export interface ProbeTarget {
  /** The backend's address, 56 characters without `.onion`. */
  address: string;
  /** The backend's virtual port (config `health-check.port`). */
  port: number;
  proxy: SocksProxy;
  /** Deadline of the check ({@link checkDeadlineMs}). */
  timeoutMs: number;
  /** SOCKS username: a fresh one per check gets a fresh circuit (`IsolateSOCKSAuth`). */
  isolation: string;
}

/** Runs one check, its deadline and duration on `clock`; never throws. */
export type Probe = (target: ProbeTarget, clock: Clock) => Promise<HealthResult>;

/** Connects once to the target's onion address through its proxy; never throws. */
export const socksProbe: Probe = async (target, clock) => {
  const started = clock.now();
  const deadline = new AbortController();
  const ended = new AbortController();
  clock.sleep(target.timeoutMs, ended.signal).then(
    () => deadline.abort(new DOMException("Signal timed out.", "TimeoutError")),
    () => {}, // the check ended first
  );
  try {
    const conn = await socks5Connect(
      { hostname: `${target.address}.onion`, port: target.port },
      {
        proxy: target.proxy,
        auth: { username: target.isolation, password: "onionbalance-health" },
        signal: deadline.signal,
      },
    );
    conn.close();
    return { ok: true, durationMs: clock.now() - started };
  } catch (error) {
    const message = error instanceof Socks5Error || error instanceof Error
      ? error.message
      : String(error);
    const durationMs = clock.now() - started;
    if (error instanceof Deno.errors.ConnectionRefused) {
      return {
        ok: false,
        error: `tor's SOCKS port refused: ${message}`,
        durationMs,
        proxyDown: true,
      };
    }
    const introFailed = error instanceof Socks5Error && error.kind === "OnionIntroFailed";
    return { ok: false, error: message, durationMs, ...(introFailed ? { introFailed } : {}) };
  } finally {
    ended.abort();
  }
};

/** Pause between two checks while a failure streak is being confirmed. */
export const CONFIRM_GAP_MS = 250;

/**
 * Pause before the next confirming check after one that failed with `introFailed` (once the
 * descriptor fetch it asked for has ended): such a streak is confirmed this fast.
 */
export const INTRO_FAILED_GAP_MS = 1_000;

/** No check gets a shorter deadline than this, whatever the interval. */
export const MIN_DEADLINE_MS = 1_000;

/** The slot of one confirming check: half an interval shared by `threshold - 1` checks. */
function confirmSlotMs(intervalMs: number, threshold: number): number {
  return intervalMs / 2 / Math.max(1, threshold - 1);
}

/**
 * Delay, from the end of a check, before the next check of a backend: the
 * interval when it passed; while a failure streak is being confirmed, what
 * makes the next check start one confirmation slot after the last one
 * started (at least {@link CONFIRM_GAP_MS}); a third of the interval once the
 * backend is left out (to notice its return).
 *
 * `lastDurationMs` is how long the check that just ended took.
 */
export function nextCheckDelayMs(
  { failures, intervalMs, threshold, lastDurationMs = 0 }: CheckState & { lastDurationMs?: number },
): number {
  if (failures === 0) return intervalMs;
  if (failures < threshold) {
    const gap = Math.min(CONFIRM_GAP_MS, intervalMs);
    return Math.max(gap, Math.floor(confirmSlotMs(intervalMs, threshold) - lastDurationMs));
  }
  return Math.max(1_000, Math.round(intervalMs / 3));
}

/**
 * Deadline of the next check of a backend with `failures` failed checks in a
 * row: at most `timeoutMs` (config `timeout`), and short enough that a streak ends within two
 * intervals of the death. The first check of a streak gets half an interval;
 * the `threshold - 1` confirming checks share the other half with their
 * gaps. A backend already left out gets half an interval too. The bound holds
 * when no deadline is raised to {@link MIN_DEADLINE_MS}, that is for
 * `interval ≥ 2 × (threshold - 1) × (MIN_DEADLINE_MS + CONFIRM_GAP_MS)`
 * (5 s at the default 3 failures).
 */
export function checkDeadlineMs(
  { failures, intervalMs, threshold, timeoutMs }: CheckState & { timeoutMs: number },
): number {
  const half = intervalMs / 2;
  if (failures >= threshold) {
    return Math.floor(Math.min(timeoutMs, Math.max(MIN_DEADLINE_MS, half)));
  }
  const share = failures === 0 ? half : confirmSlotMs(intervalMs, threshold) - CONFIRM_GAP_MS;
  return Math.floor(Math.min(timeoutMs, Math.max(MIN_DEADLINE_MS, share)));
}

/** Parses `host:port` (or `[v6]:port`) as tor writes SOCKS listeners. */
export function parseSocksAddress(text: string): SocksProxy | undefined {
  const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(text.trim().replace(/^"|"$/g, ""));
  if (m === null) return undefined;
  const port = Number(m[2]);
  return port >= 1 && port <= 65535 ? { hostname: m[1]!, port } : undefined;
}

/**
 * The SOCKS port health checks and probes connect through: `socks` from the config (`host:port`),
 * or with `"auto"` the first of tor's listeners (`GETINFO net/listeners/socks`). Null means none
 * (checks and probes are off, and the reason is logged); undefined means tor could not be asked
 * now (ask again later).
 */
export async function findSocksProxy(
  socks: string,
  socksListeners: () => Promise<string[]>,
  log: Logger,
): Promise<SocksProxy | null | undefined> {
  if (socks !== "auto") {
    const proxy = parseSocksAddress(socks);
    if (proxy === undefined) {
      log.error(`Health checks and probes are off: bad SOCKS address "${socks}"`);
    }
    return proxy ?? null;
  }
  try {
    const proxy = (await socksListeners()).map(parseSocksAddress).find((p) => p !== undefined);
    if (proxy !== undefined) {
      log.info(`Health checks and probes through tor's SOCKS port ${proxy.hostname}:${proxy.port}`);
      return proxy;
    }
    log.warning(
      "Health checks and probes are off: tor has no SocksPort (add `SocksPort 127.0.0.1:9050` " +
        "to the frontend torrc, or set health-check.socks)",
    );
    return null;
  } catch (error) {
    log.warning(
      `Cannot ask tor for its SOCKS port (${errorMessage(error)}); health checks and probes wait`,
    );
    return undefined;
  }
}
