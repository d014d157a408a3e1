/**
 * Fetching the backends' descriptors: which backend is due (the follow
 * policy of `follow.ts`), at most {@link FETCH_CONCURRENCY} HSFETCHes at once,
 * what a result does to the backend and to its next fetch.
 *
 * Spec: control-spec HSFETCH, HS_DESC; rend-spec-v3 [TIME-PERIODS].
 *
 * @module
 */

import type { HsClient } from "../control/mod.ts";
import { signal as sendSignal } from "../control/mod.ts";
import { errorMessage, type Logger } from "../log/mod.ts";
import type { Clock } from "../time/mod.ts";
import type { Backend } from "./backend.ts";
import {
  awaitPeriod,
  type FetchSchedule,
  newSchedule,
  PERIOD_RETRY_MS,
  rotationTimes,
  routineInterval,
  stillAwaiting,
} from "./follow.ts";
import type { HealthMonitor } from "./health.ts";
import type { MetricsSink } from "./metrics_sink.ts";
import type { NetworkView } from "./network.ts";
import { fetchBackend, type FetchOutcome } from "./tor.ts";

/** HSFETCHes under way at most. */
export const FETCH_CONCURRENCY = 8;
const FETCH_RETRY_INITIAL_MS = 5_000;
/** How often tor is told we are active while we fetch (`SIGNAL ACTIVE`). */
const ACTIVE_SIGNAL_MS = 60_000;

/** What the fetcher works with. */
export interface FetcherDeps {
  client: HsClient;
  clock: Clock;
  log: Logger;
  health: HealthMonitor;
  /** The fetch timings in force (a reload may change them). */
  timings: () => {
    fetchIntervalMs: number;
    busyFetchIntervalMs: number;
    fetchTimeoutMs: number;
  };
  /** Called when a fetch ended (the daemon's loop wakes up). */
  onDone: () => void;
  /** Where each fetch's result goes. Default: nowhere. */
  metrics?: MetricsSink;
}

/** The backends' fetch schedules, and the fetches under way. */
export class BackendFetcher {
  readonly #deps: FetcherDeps;
  readonly #schedule = new Map<string, FetchSchedule>();
  #inFlight = 0;
  #lastActiveSignal = 0;
  /** When to re-fetch every backend before the services rotate their descriptors (ms). */
  #rotationFetchAt: number | undefined;

  constructor(deps: FetcherDeps) {
    this.#deps = deps;
  }

  /** Starts the fetches that are due at `now` (and the pre-rotation pass when it is time). */
  startDue(view: NetworkView, now: number, backends: readonly Backend[]): void {
    if (this.#rotationFetchAt !== undefined && now >= this.#rotationFetchAt) {
      this.#rotationFetchAt = undefined;
      this.#refetchAll(view, now, backends, "the services rotate their descriptors soon");
    }
    const due = backends.filter((b) => {
      const s = this.#scheduleOf(b);
      return !s.inFlight && s.nextAt <= now;
    });
    if (due.length > 0 && now - this.#lastActiveSignal > ACTIVE_SIGNAL_MS) {
      this.#lastActiveSignal = now;
      // Keep tor out of dormant mode: it fetches and uploads for us, not for a user.
      void sendSignal(this.#deps.client, "ACTIVE").catch(() => {});
    }
    for (const backend of due) {
      if (this.#inFlight >= FETCH_CONCURRENCY) break;
      void this.#fetch(backend, view);
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
  followPeriodChange(view: NetworkView, now: number, backends: readonly Backend[]): void {
    const t = view.timeline;
    const { rotationAt, fetchAt } = rotationTimes(t, now);
    this.#refetchAll(
      view,
      now,
      backends,
      `time period ${t.currentPeriod.number} began`,
      rotationAt,
    );
    if (fetchAt !== undefined) this.#rotationFetchAt = fetchAt;
  }

  /** Makes every backend due now (tor restarted). */
  refetchAll(): void {
    for (const s of this.#schedule.values()) s.nextAt = 0;
  }

  /** Makes `backend` due at `now` (a health check asked for it). */
  fetchSoon(backend: Backend, now: number): void {
    const s = this.#scheduleOf(backend);
    s.nextAt = Math.min(s.nextAt, now);
  }

  /** When `backend`'s last fetch started (ms), if it was ever fetched. */
  lastAttemptAt(backend: Backend): number | undefined {
    return this.#schedule.get(backend.address)?.lastAttemptAt;
  }

  /** Whether every one of `backends` had its first fetch end. */
  firstFetchesDone(backends: readonly Backend[]): boolean {
    return backends.every((b) => this.#scheduleOf(b).firstDone);
  }

  /**
   * When the next fetch of one of `backends` (or the pre-rotation pass) is due,
   * if any is scheduled (a backend a reload removed is not waited for).
   */
  nextDueAt(backends: readonly Backend[]): number | undefined {
    let due = this.#rotationFetchAt;
    for (const b of backends) {
      const s = this.#schedule.get(b.address);
      if (s !== undefined && !s.inFlight) due = Math.min(due ?? Infinity, s.nextAt);
    }
    return due;
  }

  /** Fetches every backend now, each until its descriptor for the current period is in. */
  #refetchAll(
    view: NetworkView,
    now: number,
    backends: readonly Backend[],
    why: string,
    until?: number,
  ): void {
    const period = view.timeline.currentPeriod.number;
    this.#deps.log.info(`Re-fetching every backend's descriptor: ${why}`);
    for (const backend of backends) {
      awaitPeriod(this.#scheduleOf(backend), backend.descriptor?.period.number, period, now, until);
    }
  }

  async #fetch(backend: Backend, view: NetworkView): Promise<void> {
    const { clock, client, health } = this.#deps;
    const s = this.#scheduleOf(backend);
    s.inFlight = true;
    this.#inFlight++;
    s.lastAttemptAt = clock.now();
    health.onFetchStarted(backend);
    let newIntroPoints = false;
    try {
      const outcome = await fetchBackend(client, backend, view, {
        now: new Date(clock.now()),
        timeoutMs: this.#deps.timings().fetchTimeoutMs,
        avoid: s.failedHsDir,
      }).catch((error): FetchOutcome => ({ ok: false, reason: errorMessage(error) }));
      s.failedHsDir = outcome.ok ? undefined : outcome.hsDir;
      if (outcome.ok) newIntroPoints = this.#fetched(backend, outcome, clock.now());
      else this.#failed(backend, outcome.reason, clock.now(), outcome.clientAuth);
    } finally {
      if (health.onFetchFinished(backend, { newIntroPoints }).fetchNow) {
        s.nextAt = Math.min(s.nextAt, clock.now());
      }
      s.inFlight = false;
      s.firstDone = true;
      this.#inFlight--;
      this.#deps.onDone();
    }
  }

  /** Takes a fetched descriptor and schedules the next fetch; true when it has new intro points. */
  #fetched(backend: Backend, outcome: FetchOutcome & { ok: true }, now: number): boolean {
    const { log, health } = this.#deps;
    const s = this.#scheduleOf(backend);
    const d = outcome.descriptor;
    const result = backend.accept(d, now, outcome.text);
    this.#deps.metrics?.descriptorFetch(backend, result);
    if (result === "rollback") {
      log.warning(
        `Refused a descriptor of backend ${backend.address}.onion from HSDir ${outcome.hsDir}: ` +
          `revision ${d.outer.revisionCounter} is lower than one already seen (an old copy)`,
      );
    } else if (result !== "same") {
      const what = result === "new" ? "new intro points" : "new revision";
      log.info(
        `Backend ${backend.address}.onion: ${what} (${d.inner.introPoints.length} intro points, ` +
          `revision ${d.outer.revisionCounter}, ${d.period})`,
      );
    }
    s.nextAt = now + routineInterval(backend, now, this.#deps.timings());
    if (s.wantPeriod !== undefined) {
      if (result !== "rollback" && d.period.number >= s.wantPeriod) {
        s.wantPeriod = s.wantUntil = undefined;
      } else if (stillAwaiting(s, now, health.isLeftOut(backend))) {
        s.nextAt = Math.min(s.nextAt, now + PERIOD_RETRY_MS);
      }
    }
    return result === "new";
  }

  /** Records a failed fetch; the next one follows with backoff (sooner while a period is awaited). */
  #failed(backend: Backend, reason: string, now: number, clientAuth?: string): void {
    const s = this.#scheduleOf(backend);
    backend.fetchFailed(reason, clientAuth);
    this.#deps.metrics?.descriptorFetch(backend, "failed");
    let delay = Math.min(
      this.#deps.timings().fetchIntervalMs,
      FETCH_RETRY_INITIAL_MS * 2 ** Math.min(10, backend.fetchFailures - 1),
    );
    if (stillAwaiting(s, now, this.#deps.health.isLeftOut(backend))) {
      delay = Math.min(delay, PERIOD_RETRY_MS);
    }
    s.nextAt = now + delay;
    this.#deps.log.warning(
      `Cannot fetch backend ${backend.address}.onion (failure ${backend.fetchFailures}): ` +
        `${reason}; retry in ${Math.round(delay / 1000)} s`,
    );
  }

  #scheduleOf(backend: Backend): FetchSchedule {
    let s = this.#schedule.get(backend.address);
    if (s === undefined) {
      s = newSchedule();
      this.#schedule.set(backend.address, s);
    }
    return s;
  }
}
