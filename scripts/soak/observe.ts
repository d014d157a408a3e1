/**
 * What the soak looks at, besides its probes: each backend tor's current descriptor (its own
 * control port) and the descriptor clients of the period get for it, and each balancer's
 * frontend descriptor as an HSDir serves it; each balancer's memory and CPU time; and after
 * each rotation of the backends, every responsible HSDir's copy (`hsdir_check.ts`).
 * {@link observeLoop} does all of it on a schedule.
 *
 * Every `HSFETCH` goes through an observer tor that nobody else uses: a fetched descriptor
 * lands in the fetching tor's client cache, and the probing client must find only what it
 * fetched itself.
 *
 * @module
 */

import { connectControl, type ControlClient } from "../../src/control/mod.ts";
import { Logger } from "../../src/log/mod.ts";
import { BackendWatch, uploadedKeys } from "../bench/follow_scenario.ts";
import type { BalancerProcess } from "./balancers.ts";
import { fetchEveryCopy } from "./hsdir_check.ts";
import {
  type BackendSample,
  classifyClosed,
  type Recording,
  type RotationCheck,
  rotationTimes,
  type ServedSnapshot,
} from "./report.ts";

const QUIET = new Logger({ level: "critical" });

/** Opens a control connection to a tor of the network (cookie authentication). */
export function openControl(port: number): Promise<ControlClient> {
  return connectControl({
    endpoint: { transport: "tcp", hostname: "127.0.0.1", port },
    log: QUIET,
    reconnect: false,
  });
}

/**
 * The intro points of the descriptor of `onionAddress` that clients of the period get, fetched
 * through `observer` ({@link uploadedKeys}); undefined when it could not be fetched or decoded.
 */
export async function fetchIntroKeys(
  observer: ControlClient,
  onionAddress: string,
  periodMinutes: number,
): Promise<string[] | undefined> {
  const keys = await uploadedKeys(observer, onionAddress, periodMinutes).catch(() => undefined);
  return keys === undefined ? undefined : [...keys];
}

/**
 * One sample of a backend: its tor's current descriptor over a fresh control connection (none:
 * it is down), and its descriptor for the clients' period through `observer`.
 */
export async function sampleBackend(
  backend: { index: number; onionAddress: string; controlPort: number },
  observer: ControlClient,
  periodMinutes: number,
): Promise<BackendSample> {
  const at = Date.now();
  const address = backend.onionAddress.replace(/\.onion$/, "");
  let current: string[] = [];
  let blinded: string | undefined;
  let alive = false;
  try {
    const watch = await BackendWatch.open(backend.controlPort, address, periodMinutes);
    try {
      const now = await watch.current();
      alive = true;
      blinded = now.blinded;
      current = [...now.introKeys];
    } finally {
      await watch.close();
    }
  } catch {
    // Down, or no descriptor yet.
  }
  const uploaded = alive ? await fetchIntroKeys(observer, address, periodMinutes) ?? [] : [];
  return { backend: backend.index, at, alive, current, uploaded, blinded };
}

/** One balancer's frontend descriptor for the current period, from one HSDir tor picks. */
export async function sampleServed(
  balancer: { label: string; onionAddress: string },
  observer: ControlClient,
  periodMinutes: number,
): Promise<ServedSnapshot> {
  const at = Date.now();
  const keys = await fetchIntroKeys(observer, balancer.onionAddress, periodMinutes);
  return { balancer: balancer.label, at, keys };
}

/** What {@link observeLoop} looks at and where it writes. */
export interface Observed {
  balancers: readonly BalancerProcess[];
  backends: readonly { onionAddress: string; controlPort: number }[];
  /** A tor that only the soak's fetches use. */
  observer: ControlClient;
  periodMinutes: number;
  rec: Recording;
  log: (kind: string, value: unknown) => void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/**
 * Until `stop`: samples the backends every 5 s, each balancer's served descriptor and its
 * memory and CPU every 10 s, and 30 s after each rotation of the backends checks every
 * balancer's descriptor on every responsible HSDir.
 */
export async function observeLoop(o: Observed, stop: AbortSignal): Promise<void> {
  let turn = 0;
  const checked = new Set<number>();
  while (!stop.aborted) {
    const started = Date.now();
    const samples = await Promise.all(
      o.backends.map((b, index) => sampleBackend({ index, ...b }, o.observer, o.periodMinutes)),
    );
    for (const s of samples) (o.rec.samples.push(s), o.log("backend", s));
    if (turn++ % 2 === 0) await sampleBalancers(o);
    for (const rotatedAt of rotationTimes(o.rec.samples)) {
      if (checked.has(rotatedAt) || Date.now() < rotatedAt + 30_000) continue;
      checked.add(rotatedAt);
      for (const b of o.balancers) await checkAfterRotation(o, b, rotatedAt);
    }
    await sleep(started + 5_000 - Date.now());
  }
}

async function sampleBalancers(o: Observed): Promise<void> {
  for (const b of o.balancers) {
    const s = await sampleServed(b.spec, o.observer, o.periodMinutes);
    o.rec.served.push(s);
    o.log("served", s);
    const usage = await b.usage();
    if (usage !== undefined) {
      const u = { balancer: b.spec.label, at: Date.now(), ...usage };
      o.rec.usage.push(u);
      o.log("usage", u);
    }
  }
}

/** Every responsible HSDir's copy of `b`'s descriptor, and its closed intro points. */
async function checkAfterRotation(
  o: Observed,
  b: BalancerProcess,
  rotatedAt: number,
): Promise<void> {
  const copies = await fetchEveryCopy(b.spec, o.observer).catch((error) => {
    o.log("copies-failed", { balancer: b.spec.label, at: Date.now(), error: String(error) });
    return [];
  });
  for (const c of copies) (o.rec.copies.push(c), o.log("copy", c));
  const got = new Set(copies.flatMap((c) => c.keys ?? []));
  const check: RotationCheck = {
    balancer: b.spec.label,
    rotatedAt,
    total: got.size,
    ...classifyClosed(got, o.rec.samples, Date.now()),
  };
  o.rec.checks.push(check);
  o.log("rotation-check", check);
}
