/**
 * The soak's fault schedule: what happens to the network and the balancers, and when.
 *
 * With faults on, for a run of `minutes`:
 * - from minute 3, every `backendEveryMs` (4 min) one backend tor is SIGKILLed (round robin,
 *   with its HTTP server) and started again `backendDownMs` (2 min) later, with its keys;
 * - at 45 % of the run every frontend tor is SIGKILLed and started again 20 s later;
 * - at 60 %, every balancer gets SIGHUP;
 * - at 75 %, every balancer is SIGKILLed and started again 5 s later.
 *
 * Pure: the runner carries it out.
 *
 * @module
 */

/** One step of the schedule. */
export type Fault =
  | { atMs: number; kind: "kill-backend" | "restart-backend"; backend: number }
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
  /** Time between two backend kills. Default 240 000 ms. */
  backendEveryMs?: number;
  /** How long a killed backend stays down. Default 120 000 ms. */
  backendDownMs?: number;
}

/**
 * The faults of a run, sorted by time (ms from the start of the measurement).
 *
 * @throws {RangeError} When `minutes` or `backends` is not a positive integer.
 */
export function faultSchedule(options: ScheduleOptions): Fault[] {
  const { minutes, backends } = options;
  if (!Number.isInteger(minutes) || minutes < 1) {
    throw new RangeError(`Cannot plan a soak of "${minutes}" minutes`);
  }
  if (!Number.isInteger(backends) || backends < 1) {
    throw new RangeError(`Cannot plan a soak with "${backends}" backends`);
  }
  const end = minutes * 60_000;
  const every = options.backendEveryMs ?? 240_000;
  const down = options.backendDownMs ?? 120_000;
  const faults: Fault[] = [];
  let k = 0;
  for (let at = 180_000; at + down < end; at += every, k++) {
    faults.push({ atMs: at, kind: "kill-backend", backend: k % backends });
    faults.push({ atMs: at + down, kind: "restart-backend", backend: k % backends });
  }
  const at = (fraction: number) => Math.round((end * fraction) / 1000) * 1000;
  faults.push(
    { atMs: at(0.45), kind: "kill-frontend-tors" },
    { atMs: at(0.45) + 20_000, kind: "restart-frontend-tors" },
    { atMs: at(0.6), kind: "sighup-balancers" },
    { atMs: at(0.75), kind: "kill-balancers" },
    { atMs: at(0.75) + 5_000, kind: "restart-balancers" },
  );
  return faults.sort((a, b) => a.atMs - b.atMs);
}
