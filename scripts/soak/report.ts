/**
 * What a soak run recorded, and the figures computed from it: per balancer, the probes'
 * availability and latency, the intro points it published that were closed, how long a killed
 * backend stayed in its descriptors, its memory, its exits.
 *
 * Pure: `soak.ts` records, this module counts.
 *
 * @module
 */

import type { HsDirCopy } from "./hsdir_check.ts";

/** Everything a soak run records. */
export interface Recording {
  probes: ProbeRecord[];
  samples: BackendSample[];
  served: ServedSnapshot[];
  checks: RotationCheck[];
  /** Every responsible HSDir's copy, checked after each rotation. */
  copies: HsDirCopy[];
  kills: KillRecord[];
  /** The faults applied, with when. */
  faults: { at: number; label: string }[];
  /** HSDir relays the schedule restarted (fingerprints), with when. */
  hsDirRestarts: { hsDir: string; at: number }[];
  /** Each balancer's resident memory and CPU time used so far. */
  usage: UsageSample[];
}

/** A balancer process's resources at one moment. */
export interface UsageSample {
  balancer: string;
  at: number;
  /** Resident memory (bytes). */
  bytes: number;
  /** CPU time the process has used since it started (s). */
  cpuSeconds: number;
}

/** One request through a balancer's frontend address. */
export interface ProbeRecord {
  balancer: string;
  /** When it started (ms). */
  at: number;
  ms: number;
  ok: boolean;
  /** The backend that answered, or the error. */
  detail: string;
  /**
   * A failure that the probing tor made by itself at a time period boundary (`periodChangeRace`
   * in `scripts/bench/client_trace.ts`: any onion service loses such a request), at most one
   * per balancer and boundary.
   */
  raced?: boolean;
}

/** A balancer's frontend descriptor for the current period, as one HSDir served it. */
export interface ServedSnapshot {
  balancer: string;
  at: number;
  /** Its intro points' auth keys; undefined when it could not be fetched. */
  keys?: string[];
}

/** One look at a backend. */
export interface BackendSample {
  backend: number;
  at: number;
  /** Its tor answered on its control port. */
  alive: boolean;
  /** Intro points of the backend's current descriptor (`GETINFO hs/service/desc/id`). */
  current: string[];
  /** Intro points of its descriptor for the clients' period, as an HSDir served it. */
  uploaded: string[];
  /** Its current descriptor's blinded key (changes when it rotates). */
  blinded?: string;
}

/** Intro points published by one balancer, checked 30 s after the backends rotated. */
export interface RotationCheck {
  balancer: string;
  /** When the backends rotated (ms). */
  rotatedAt: number;
  total: number;
  /** Closed intro points of backends that are up (what following the backends is about). */
  closed: number;
  /** Intro points of backends that are down at the check (health checks' business). */
  ofDownBackends: number;
}

/** A backend killed by the schedule. */
export interface KillRecord {
  backend: number;
  at: number;
  restartedAt?: number;
}

/** Per-probe-set figures. */
export interface ProbeSummary {
  count: number;
  ok: number;
  /** Percentage of probes that succeeded. */
  availability: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  over2s: number;
  over5s: number;
  /** Probes that took over 30 s (succeeded or not). */
  over30s: number;
  /** Failures that were tor's own period-boundary race ({@link ProbeRecord.raced}). */
  raced: number;
  /** Failures by tor's extended SOCKS error (or the message). */
  failures: Record<string, number>;
  /** The longest span of consecutive failed probes (first failure's start to the next success's). */
  longestOutageMs: number;
  /** Probes answered per backend name. */
  answeredBy: Record<string, number>;
}

/** Figures of a set of probes (all of one balancer, or those in a window). */
export function summarizeProbes(probes: readonly ProbeRecord[]): ProbeSummary {
  const sorted = [...probes].sort((a, b) => a.at - b.at);
  const ms = sorted.map((p) => p.ms).sort((a, b) => a - b);
  const q = (f: number) =>
    ms.length === 0 ? 0 : ms[Math.min(ms.length - 1, Math.floor(f * ms.length))]!;
  const failures: Record<string, number> = {};
  const answeredBy: Record<string, number> = {};
  let longestOutageMs = 0;
  let outageStart: number | undefined;
  for (const p of sorted) {
    if (p.ok) {
      answeredBy[p.detail] = (answeredBy[p.detail] ?? 0) + 1;
      if (outageStart !== undefined) {
        longestOutageMs = Math.max(longestOutageMs, p.at - outageStart);
      }
      outageStart = undefined;
    } else {
      const kind = /\((\w+)\)$/.exec(p.detail)?.[1] ?? p.detail;
      failures[kind] = (failures[kind] ?? 0) + 1;
      outageStart ??= p.at;
    }
  }
  const last = sorted.at(-1);
  if (outageStart !== undefined && last !== undefined) {
    longestOutageMs = Math.max(longestOutageMs, last.at + last.ms - outageStart);
  }
  const ok = sorted.filter((p) => p.ok).length;
  return {
    count: sorted.length,
    ok,
    availability: sorted.length === 0 ? 0 : (100 * ok) / sorted.length,
    p50: q(0.5),
    p90: q(0.9),
    p99: q(0.99),
    max: ms.at(-1) ?? 0,
    over2s: ms.filter((m) => m > 2_000).length,
    over5s: ms.filter((m) => m > 5_000).length,
    over30s: ms.filter((m) => m > 30_000).length,
    raced: sorted.filter((p) => p.raced).length,
    failures,
    longestOutageMs,
    answeredBy,
  };
}

/** The newest sample of each backend at or before `at`. */
function latestSamples(samples: readonly BackendSample[], at: number): Map<number, BackendSample> {
  const latest = new Map<number, BackendSample>();
  for (const s of samples) {
    if (s.at > at) continue;
    const seen = latest.get(s.backend);
    if (seen === undefined || seen.at <= s.at) latest.set(s.backend, s);
  }
  return latest;
}

/** The intro points of `backend`'s last sample that found it alive, at or before `at`. */
function lastAliveKeys(samples: readonly BackendSample[], backend: number, at: number): string[] {
  const last = samples
    .filter((s) => s.backend === backend && s.alive && s.at <= at)
    .sort((a, b) => b.at - a.at)[0];
  return [...(last?.current ?? []), ...(last?.uploaded ?? [])];
}

/**
 * The intro points open at `at`: of every backend whose newest sample found it alive, those of
 * its current descriptor and of the one clients of the period get (a tor service keeps both
 * sets open).
 */
export function openAt(samples: readonly BackendSample[], at: number): Set<string> {
  const open = new Set<string>();
  for (const s of latestSamples(samples, at).values()) {
    if (!s.alive) continue;
    for (const k of [...s.current, ...s.uploaded]) open.add(k);
  }
  return open;
}

/**
 * How many intro points live backends retired over the run: listed in a backend's current
 * descriptor at one sample and gone at its next, both alive and for the same blinded key (a
 * rotation or a restart in between replaces intro points for other reasons).
 */
export function retiredIntroPoints(samples: readonly BackendSample[]): number {
  const last = new Map<number, BackendSample>();
  let retired = 0;
  for (const s of [...samples].sort((a, b) => a.at - b.at)) {
    const before = last.get(s.backend);
    last.set(s.backend, s);
    if (before === undefined || !before.alive || !s.alive || before.blinded !== s.blinded) continue;
    const now = new Set(s.current);
    retired += before.current.filter((k) => !now.has(k)).length;
  }
  return retired;
}

/**
 * Splits the intro points of `keys` that are not open at `at` into those of backends that are
 * down then (their last sample alive listed them) and the others: closed by a backend that is up.
 */
export function classifyClosed(
  keys: Iterable<string>,
  samples: readonly BackendSample[],
  at: number,
): { closed: number; ofDownBackends: number } {
  const open = openAt(samples, at);
  const down = new Set<string>();
  for (const s of latestSamples(samples, at).values()) {
    if (s.alive) continue;
    for (const k of lastAliveKeys(samples, s.backend, at)) down.add(k);
  }
  let closed = 0;
  let ofDownBackends = 0;
  for (const k of keys) {
    if (open.has(k)) continue;
    if (down.has(k)) ofDownBackends++;
    else closed++;
  }
  return { closed, ofDownBackends };
}

/** How often a balancer's served descriptor held closed intro points. */
export interface ClosedSummary {
  snapshots: number;
  /** Snapshots holding at least one closed intro point. */
  withClosed: number;
  /** Closed intro points over all snapshots / intro points over all snapshots (%). */
  closedShare: number;
  maxClosed: number;
}

/** Counts closed intro points in each of `snapshots` against the backends' samples. */
export function closedOverTime(
  snapshots: readonly ServedSnapshot[],
  samples: readonly BackendSample[],
): ClosedSummary {
  let withClosed = 0;
  let closed = 0;
  let total = 0;
  let maxClosed = 0;
  let counted = 0;
  for (const s of snapshots) {
    if (s.keys === undefined) continue;
    counted++;
    const open = openAt(samples, s.at);
    const n = s.keys.filter((k) => !open.has(k)).length;
    if (n > 0) withClosed++;
    closed += n;
    total += s.keys.length;
    maxClosed = Math.max(maxClosed, n);
  }
  return {
    snapshots: counted,
    withClosed,
    closedShare: total === 0 ? 0 : (100 * closed) / total,
    maxClosed,
  };
}

/** How long a killed backend's intro points stayed in one balancer's served descriptor. */
export interface LeftOut {
  backend: number;
  killedAt: number;
  /** ms from the kill to the first served descriptor without them; undefined: not before restart. */
  afterMs?: number;
}

/**
 * For each kill, per balancer, the time until the killed backend's intro points (those of its
 * last sample alive) were gone from the served descriptor; snapshots after its restart do not
 * count.
 */
export function leftOutTimes(
  kills: readonly KillRecord[],
  snapshots: readonly ServedSnapshot[],
  samples: readonly BackendSample[],
  balancer: string,
): LeftOut[] {
  return kills.map((kill) => {
    const keys = new Set(lastAliveKeys(samples, kill.backend, kill.at));
    const end = kill.restartedAt ?? Infinity;
    const gone = snapshots
      .filter((s) => s.balancer === balancer && s.keys !== undefined)
      .filter((s) => s.at > kill.at && s.at < end)
      .sort((a, b) => a.at - b.at)
      .find((s) => !s.keys!.some((k) => keys.has(k)));
    return {
      backend: kill.backend,
      killedAt: kill.at,
      afterMs: gone === undefined ? undefined : gone.at - kill.at,
    };
  });
}

/**
 * When the backends rotated their descriptors: a backend rotates when its current descriptor's
 * blinded key changes between two consecutive samples that both found it alive (a restart does
 * not count); rotations of different backends within 90 s of the first form one, dated at its
 * last backend.
 */
export function rotationTimes(samples: readonly BackendSample[]): number[] {
  const sorted = [...samples].sort((a, b) => a.at - b.at);
  const previous = new Map<number, BackendSample>();
  const moves: number[] = [];
  for (const s of sorted) {
    const before = previous.get(s.backend);
    previous.set(s.backend, s);
    if (before === undefined || !before.alive || !s.alive) continue;
    if (before.blinded === undefined || s.blinded === undefined) continue;
    if (before.blinded !== s.blinded) moves.push(s.at);
  }
  const times: number[] = [];
  let first: number | undefined;
  for (const at of moves) {
    if (first === undefined || at - first > 90_000) {
      first = at;
      times.push(at);
    } else {
      times[times.length - 1] = at;
    }
  }
  return times;
}
