/**
 * What the soak looks at, besides its probes: each backend tor's current descriptor (its own
 * control port) and the descriptor clients of the period get for it, and each balancer's
 * frontend descriptor as an HSDir serves it.
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
import type { BackendSample, ServedSnapshot } from "./report.ts";

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
