/**
 * The soak's fault schedule: what happens to the network and the balancers, and when. It is
 * seeded: the same seed gives the same schedule, so a run that found something can be repeated.
 *
 * With faults on, for a run of `minutes`:
 * - from minute 3, about every `backendEveryMs` (4 min, plus 0–25 % jitter) a backend tor other
 *   than the last one is SIGKILLed (with its HTTP server) and started again with its keys about
 *   `backendDownMs` (2 min, ±25 %) later: one is down at a time, so with two or more backends
 *   at least one always lives (with one backend, none is killed);
 * - with `relays`, at about 30 % and 85 % of the run an HSDir relay is SIGKILLed and started
 *   again 10 s later, its descriptor cache empty;
 * - at about 45 % every frontend tor is SIGKILLed and started again 20 s later;
 * - at about 60 %, every balancer gets SIGHUP;
 * - at about 75 %, every balancer is SIGKILLed and started again 5 s later.
 * "About" is up to 30 s later, by the seed.
 *
 * Pure: the runner carries it out.
 *
 * @module
 */

import { randomUnit, type Rng, seededRng } from "../../src/crypto/mod.ts";

/** One step of the schedule. */
export type Fault =
  | { atMs: number; kind: "kill-backend" | "restart-backend"; backend: number }
  | { atMs: number; kind: "kill-hsdir" | "restart-hsdir"; relay: number }
  | {
    atMs: number;
    kind:
      | "kill-frontend-tors"
      | "restart-frontend-tors"
      | "sighup-balancers"
      | "kill-balancers"
      | "restart-balancers";
  };

/** Options of {@link faultSchedule}. */
export interface ScheduleOptions {
  /** Length of the run. */
  minutes: number;
  /** Backends on the network. */
  backends: number;
  /** Relays (HSDirs) that may be restarted; 0: none is. Default 0. */
  relays?: number;
  /** The seed of every choice and jitter. Default "soak". */
  seed?: string;
  /** Time between two backend kills, before jitter. Default 240 000 ms. */
  backendEveryMs?: number;
  /** How long a killed backend stays down, before jitter. Default 120 000 ms. */
  backendDownMs?: number;
}

/** Whole seconds, so that schedules print and compare simply. */
const seconds = (ms: number) => Math.round(ms / 1000) * 1000;

/** A number in [0, n) from `rng`. */
const pick = (rng: Rng, n: number) => Math.min(n - 1, Math.floor(randomUnit(rng) * n));

/**
 * The faults of a run, sorted by time (ms from the start of the measurement).
 *
 * @throws {RangeError} When `minutes` or `backends` is not a positive integer, or `relays` is
 *   not a non-negative integer.
 */
export function faultSchedule(options: ScheduleOptions): Fault[] {
  const { minutes, backends, relays = 0 } = options;
  if (!Number.isInteger(minutes) || minutes < 1) {
    throw new RangeError(`Cannot plan a soak of "${minutes}" minutes`);
  }
  if (!Number.isInteger(backends) || backends < 1) {
    throw new RangeError(`Cannot plan a soak with "${backends}" backends`);
  }
  if (!Number.isInteger(relays) || relays < 0) {
    throw new RangeError(`Cannot plan a soak with "${relays}" relays`);
  }
  const rng = seededRng(`soak-schedule/${options.seed ?? "soak"}`);
  const end = minutes * 60_000;
  const faults: Fault[] = [
    ...backendFaults(rng, end, backends, options),
    ...hsDirFaults(rng, end, relays),
  ];
  const at = (fraction: number) => seconds(end * fraction + 30_000 * randomUnit(rng));
  const frontends = at(0.45);
  const sighup = at(0.6);
  const kill = at(0.75);
  faults.push(
    { atMs: frontends, kind: "kill-frontend-tors" },
    { atMs: frontends + 20_000, kind: "restart-frontend-tors" },
    { atMs: sighup, kind: "sighup-balancers" },
    { atMs: kill, kind: "kill-balancers" },
    { atMs: kill + 5_000, kind: "restart-balancers" },
  );
  return faults.filter((f) => f.atMs < end).sort((a, b) => a.atMs - b.atMs);
}

/**
 * Backend kills, one backend down at a time: a kill comes at least 3/4 of `every` after the
 * previous one, its restart at most 5/4 of `down` after it, and `down` ≤ `every` / 2.
 */
function backendFaults(rng: Rng, end: number, backends: number, o: ScheduleOptions): Fault[] {
  const every = o.backendEveryMs ?? 240_000;
  const down = Math.min(o.backendDownMs ?? 120_000, every / 2);
  const faults: Fault[] = [];
  if (backends < 2) return faults;
  let last = -1;
  for (let k = 0;; k++) {
    const killAt = seconds(180_000 + k * every + (every / 4) * randomUnit(rng));
    const restartAt = killAt + seconds(down * (0.75 + 0.5 * randomUnit(rng)));
    if (restartAt >= end) break;
    let backend = pick(rng, last < 0 ? backends : backends - 1);
    if (last >= 0 && backend >= last) backend++; // any but the last one killed
    last = backend;
    faults.push({ atMs: killAt, kind: "kill-backend", backend });
    faults.push({ atMs: restartAt, kind: "restart-backend", backend });
  }
  return faults;
}

/** An HSDir relay restarted (its cache empty) at about 30 % and 85 % of the run. */
function hsDirFaults(rng: Rng, end: number, relays: number): Fault[] {
  if (relays === 0) return [];
  return [0.3, 0.85].flatMap((fraction): Fault[] => {
    const atMs = seconds(end * fraction + 30_000 * randomUnit(rng));
    const relay = pick(rng, relays);
    return [
      { atMs, kind: "kill-hsdir", relay },
      { atMs: atMs + 10_000, kind: "restart-hsdir", relay },
    ];
  });
}
