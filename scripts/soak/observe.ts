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

import { toBase64 } from "../../src/bytes/mod.ts";
import { connectControl, type ControlClient, getInfo, hsFetch } from "../../src/control/mod.ts";
import { parseOnionAddress } from "../../src/keys/mod.ts";
import { Logger } from "../../src/log/mod.ts";
import { decodeHsDesc } from "../../src/netdoc/hsdesc/mod.ts";
import { periodsAround } from "../bench/follow_scenario.ts";
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

/** A descriptor of `onionAddress` fetched through `observer` and decoded: its intro points. */
export async function fetchIntroKeys(
  observer: ControlClient,
  onionAddress: string,
  periodMinutes: number,
): Promise<string[] | undefined> {
  const address = onionAddress.replace(/\.onion$/, "");
  const result = await hsFetch(observer, address, { timeoutMs: 20_000 }).catch(() => undefined);
  const got = result?.outcomes.find((o) => o.ok);
  if (got === undefined || !got.ok) return undefined;
  const now = new Date();
  const desc = await decodeHsDesc(got.descriptor, {
    identity: parseOnionAddress(address),
    periods: periodsAround(now, periodMinutes),
    now,
  }).catch(() => undefined);
  return desc?.inner.introPoints.map((p) => p.authKey.toString());
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
    const client = await openControl(backend.controlPort);
    try {
      const key = `hs/service/desc/id/${address}`;
      const text = (await getInfo(client, [key], { timeoutMs: 10_000 })).get(key)!;
      const now = new Date();
      const desc = await decodeHsDesc(text, {
        identity: parseOnionAddress(address),
        periods: periodsAround(now, periodMinutes),
        now,
      });
      alive = true;
      blinded = toBase64(desc.blindedKey.toBytes());
      current = desc.inner.introPoints.map((p) => p.authKey.toString());
    } finally {
      await client.close();
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
