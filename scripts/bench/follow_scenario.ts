/**
 * What the intro-point-following cases observe on a private Tor network: each
 * backend tor's own current descriptor (its control port), the frontend
 * descriptors as each responsible HSDir serves them (through a client tor), and a
 * client's requests through the frontend address, timed. Used by
 * `tests/e2e/follow_test.ts` (the checks CI runs) and `scripts/bench/follow.ts`
 * (the before/after figures).
 *
 * Spec: rend-spec-v3 [HASHRING] (which HSDirs); control-spec HSFETCH; tor `hs_service.c:
 * rotate_service_descriptors()` (when a service swaps its descriptors) and
 * control-spec `GETINFO hs/service/desc/id/<addr>` (the service's current one).
 *
 * @module
 */

import { toBase64 } from "../../src/bytes/mod.ts";
import {
  connectControl,
  type ControlClient,
  getInfo,
  hsFetch,
  signal,
} from "../../src/control/mod.ts";
import { type HsIdKey, parseOnionAddress } from "../../src/keys/mod.ts";
import { Logger } from "../../src/log/mod.ts";
import { decodeHsDesc, type HsDesc } from "../../src/netdoc/hsdesc/mod.ts";
import { TimePeriod } from "../../src/time/mod.ts";
import { fetchOnion } from "../testnet/onion_fetch.ts";
import type { SocksProxy } from "../../src/socks/mod.ts";

/** A backend tor's current descriptor, as the backend itself holds it. */
export interface BackendCurrent {
  /** The blinded key (base64): it changes when the backend rotates its descriptors. */
  blinded: string;
  /** The time period it is for. */
  period: number;
  /** Its intro points' auth keys. */
  introKeys: Set<string>;
}

/** A control connection to a backend tor, reading its current descriptor. */
export class BackendWatch {
  readonly address: string;
  readonly #identity: HsIdKey;
  readonly #client: ControlClient;
  readonly #periodLengthMinutes: number;

  private constructor(address: string, client: ControlClient, periodLengthMinutes: number) {
    this.address = address;
    this.#identity = parseOnionAddress(address);
    this.#client = client;
    this.#periodLengthMinutes = periodLengthMinutes;
  }

  /** Connects (cookie authentication) to the backend tor on `controlPort`. */
  static async open(
    controlPort: number,
    onionAddress: string,
    periodLengthMinutes: number,
  ): Promise<BackendWatch> {
    const client = await connectControl({
      endpoint: { transport: "tcp", hostname: "127.0.0.1", port: controlPort },
      log: new Logger({ level: "critical" }),
      reconnect: false,
    });
    return new BackendWatch(onionAddress.replace(/\.onion$/, ""), client, periodLengthMinutes);
  }

  /** The backend's current descriptor (`GETINFO hs/service/desc/id/…`), decoded. */
  async current(): Promise<BackendCurrent> {
    const key = `hs/service/desc/id/${this.address}`;
    const text = (await getInfo(this.#client, [key], { timeoutMs: 10_000 })).get(key)!;
    const now = new Date();
    const desc = await decodeHsDesc(text, {
      identity: this.#identity,
      periods: periodsAround(now, this.#periodLengthMinutes),
      now,
    });
    return {
      blinded: toBase64(desc.blindedKey.toBytes()),
      period: desc.period.number,
      introKeys: new Set(desc.inner.introPoints.map((p) => p.authKey.toString())),
    };
  }

  /** Closes the control connection. */
  async close(): Promise<void> {
    await this.#client.close();
  }
}

/**
 * A backend's descriptor for the current period as clients get it: fetched
 * through `client` (`HSFETCH`, tor picks the HSDir) and decoded; its intro
 * points' auth keys. `client` should not be the tor whose requests are measured:
 * a fetched descriptor lands in the fetching tor's cache. In the first half of a period this is the backend's "next"
 * descriptor, which `GETINFO hs/service/desc/id` does not show.
 */
export async function uploadedKeys(
  client: ControlClient,
  onionAddress: string,
  periodLengthMinutes: number,
): Promise<Set<string> | undefined> {
  const address = onionAddress.replace(/\.onion$/, "");
  const result = await hsFetch(client, address, { timeoutMs: 20_000 }).catch(() => undefined);
  const got = result?.outcomes.find((o) => o.ok);
  if (got === undefined || !got.ok) return undefined;
  const now = new Date();
  const desc = await decodeHsDesc(got.descriptor, {
    identity: parseOnionAddress(address),
    periods: periodsAround(now, periodLengthMinutes),
    now,
  });
  return new Set(desc.inner.introPoints.map((p) => p.authKey.toString()));
}

/** The period containing `now` and its two neighbours, on a network with this period length. */
export function periodsAround(now: Date, lengthMinutes: number): TimePeriod[] {
  const current = TimePeriod.containing(Math.floor(now.getTime() / 1000), {
    lengthMinutes,
    rotationOffsetSeconds: lengthMinutes * 30,
  });
  return [current, current.next(), current.previous()];
}

/** One frontend descriptor as one HSDir serves it (or as the balancer recorded it). */
export interface ServedDescriptor {
  slot: string;
  period: number;
  /** The HSDir it came from, or `"published"` for the balancer's own record. */
  hsDir: string;
  /** Its intro points' auth keys, or undefined when the HSDir had none (or it did not decode). */
  introKeys?: string[];
  error?: string;
}

/** The part of the balancer's status JSON this module reads. */
export interface SlotsStatus {
  consensus: { timePeriod: number } | null;
  services: {
    descriptors: Record<
      string,
      { timePeriod: number; introPointKeys?: string[]; hsDirs: { fingerprint: string }[] } | null
    >;
  }[];
}

/**
 * The frontend descriptors as clients get them now: the one for the current
 * period fetched through `client` (`HSFETCH … SERVER=`; not the tor whose
 * requests are measured, whose cache it would refresh) from each
 * responsible HSDir the balancer uploaded to, and decoded. HSDirs serve
 * descriptors only over anonymous connections, and `HSFETCH` only fetches the
 * current period's, so the other slot's intro points come from the balancer's
 * status (what it built and uploaded), marked `hsDir: "published"`.
 */
export async function servedDescriptors(
  client: ControlClient,
  frontendAddress: string,
  status: SlotsStatus,
  periodLengthMinutes: number,
): Promise<ServedDescriptor[]> {
  const out: ServedDescriptor[] = [];
  for (const [slot, d] of Object.entries(status.services[0]!.descriptors)) {
    if (d === null) continue;
    if (d.timePeriod !== status.consensus?.timePeriod) {
      out.push({ slot, period: d.timePeriod, hsDir: "published", introKeys: d.introPointKeys });
      continue;
    }
    const period = new TimePeriod(d.timePeriod, periodLengthMinutes);
    for (const { fingerprint } of d.hsDirs) {
      const copy = await fetchCopy(client, frontendAddress, fingerprint, period);
      out.push({
        slot,
        period: d.timePeriod,
        hsDir: fingerprint,
        ...("desc" in copy
          ? { introKeys: copy.desc.inner.introPoints.map((p) => p.authKey.toString()) }
          : { error: copy.error }),
      });
    }
  }
  return out;
}

/**
 * The descriptor of `onionAddress` for `period` as the HSDir `hsDir` (fingerprint) serves it,
 * fetched through `client` (`HSFETCH … SERVER=`), decrypted and verified; or why there is none
 * (the HSDir's answer, or the decoding error).
 */
export async function fetchCopy(
  client: ControlClient,
  onionAddress: string,
  hsDir: string,
  period: TimePeriod,
): Promise<{ desc: HsDesc } | { error: string }> {
  try {
    const address = onionAddress.replace(/\.onion$/, "");
    const result = await hsFetch(client, address, { servers: [hsDir], timeoutMs: 20_000 });
    const got = result.outcomes.find((o) => o.ok);
    if (got === undefined || !got.ok) {
      return {
        error: result.outcomes.map((o) => (o.ok ? "ok" : o.reason)).join("; ") || "no answer",
      };
    }
    const identity = parseOnionAddress(address);
    return {
      desc: await decodeHsDesc(got.descriptor, { identity, periods: [period], now: new Date() }),
    };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

/** One request through the frontend address. */
export interface Probe {
  /** When it started (ms). */
  at: number;
  /** How long it took (ms). */
  ms: number;
  ok: boolean;
  /** The backend that answered, or the error. */
  detail: string;
}

/** One request to `url` through `proxy` (new circuits, one attempt of at most `timeoutMs`). */
async function probeOnce(url: string, proxy: SocksProxy, timeoutMs: number): Promise<Probe> {
  const at = Date.now();
  try {
    const { response } = await fetchOnion(url, {
      proxy,
      timeoutMs,
      attemptTimeoutMs: timeoutMs,
      maxAttempts: 1,
    });
    return { at, ms: Date.now() - at, ok: response.status === 200, detail: response.text().trim() };
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
    const detail = cause instanceof Error ? cause.message : String(cause);
    return { at, ms: Date.now() - at, ok: false, detail };
  }
}

/**
 * Requests `url` through the client's SOCKS port (a new circuit each time, one
 * attempt of at most `timeoutMs`) every `everyMs` until `stop` aborts.
 */
export async function probeLoop(
  url: string,
  proxy: SocksProxy,
  stop: AbortSignal,
  options: { everyMs: number; timeoutMs: number },
): Promise<Probe[]> {
  const probes: Probe[] = [];
  while (!stop.aborted) {
    const probe = await probeOnce(url, proxy, options.timeoutMs);
    probes.push(probe);
    await sleepUnless(probe.at + options.everyMs - Date.now(), stop);
  }
  return probes;
}

/**
 * Requests `url` through the client's SOCKS port every `everyMs` on a fixed schedule until
 * `stop` aborts, each on a new circuit with one attempt of at most `timeoutMs`, without waiting
 * for the previous request (unlike {@link probeLoop}): a request that hangs does not thin out
 * the requests around it, so the share that succeed is not biased towards good moments. Resolves
 * once every request has ended, in the order they started.
 */
export async function probeSchedule(
  url: string,
  proxy: SocksProxy,
  stop: AbortSignal,
  options: { everyMs: number; timeoutMs: number },
): Promise<Probe[]> {
  const started: Promise<Probe>[] = [];
  const t0 = Date.now();
  while (!stop.aborted) {
    started.push(probeOnce(url, proxy, options.timeoutMs));
    await sleepUnless(t0 + started.length * options.everyMs - Date.now(), stop);
  }
  return await Promise.all(started);
}

/**
 * Requests `url` as a new client would, every `everyMs` until `stop` aborts: before each
 * request, `SIGNAL NEWNYM` on `control` makes the tor behind `proxy` drop its cached onion
 * service descriptors (and its intro-point failure records), so each request fetches the
 * frontend descriptor from an HSDir first. A returning client keeps the copy it fetched for
 * the whole time period, whatever the balancer publishes since (see {@link probeLoop}); a new
 * one gets what the balancer published last. tor delays a NEWNYM that comes within 10 s of
 * the previous one, so `everyMs` should be at least that.
 */
export async function newClientLoop(
  url: string,
  tor: { proxy: SocksProxy; control: ControlClient },
  stop: AbortSignal,
  options: { everyMs: number; timeoutMs: number },
): Promise<Probe[]> {
  const probes: Probe[] = [];
  while (!stop.aborted) {
    const at = Date.now();
    await signal(tor.control, "NEWNYM").catch(() => {});
    const probe = await probeOnce(url, tor.proxy, options.timeoutMs);
    probes.push({ ...probe, at }); // from before the NEWNYM
    await sleepUnless(at + options.everyMs - Date.now(), stop);
  }
  return probes;
}

function sleepUnless(ms: number, stop: AbortSignal): Promise<void> {
  if (ms <= 0 || stop.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    stop.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      resolve();
    }
  });
}

/** Count, failures and latency quantiles (ms) of `probes`. */
export function summarize(probes: readonly Probe[]): {
  count: number;
  failed: number;
  p50: number;
  p90: number;
  max: number;
} {
  const ms = probes.map((p) => p.ms).sort((a, b) => a - b);
  const q = (f: number) =>
    ms.length === 0 ? 0 : ms[Math.min(ms.length - 1, Math.floor(f * ms.length))]!;
  return {
    count: probes.length,
    failed: probes.filter((p) => !p.ok).length,
    p50: q(0.5),
    p90: q(0.9),
    max: ms.at(-1) ?? 0,
  };
}

/**
 * How long intro points stay published after their backend closed them: fed
 * the backends' current intro points and the balancer's published ones at each
 * observation, it records, per intro point that leaves a backend's descriptor
 * while published, the time until it leaves the published set.
 */
export class PublishLag {
  readonly #closedAt = new Map<string, number>();
  #backend = new Set<string>();
  /** Closed-to-unpublished times (ms). */
  readonly lags: number[] = [];

  /** One observation at `now` (ms). */
  observe(now: number, backendKeys: ReadonlySet<string>, publishedKeys: ReadonlySet<string>): void {
    for (const key of this.#backend) {
      if (!backendKeys.has(key) && publishedKeys.has(key)) this.#closedAt.set(key, now);
    }
    for (const [key, at] of this.#closedAt) {
      if (!publishedKeys.has(key)) {
        this.lags.push(now - at);
        this.#closedAt.delete(key);
      } else if (backendKeys.has(key)) {
        this.#closedAt.delete(key); // back in the descriptor: not closed after all
      }
    }
    this.#backend = new Set(backendKeys);
  }

  /** Intro points closed and still published at `now`, with how long (ms). */
  pending(now: number): number[] {
    return [...this.#closedAt.values()].map((at) => now - at);
  }
}

/** Consensus parameters of the busy-service scenario: an intro point retires after 20–40 introductions. */
export const BUSY_INTRODUCE2: Readonly<Record<string, number>> = {
  "hs_intro_min_introduce2": 20,
  "hs_intro_max_introduce2": 40,
};

/**
 * Waits until every watched backend's current descriptor is for another
 * blinded key than in `baseline` (each backend rotated), polling every 500 ms.
 *
 * @returns When the last backend was seen to rotate (ms), or undefined at `deadline`.
 */
export async function waitForRotation(
  watches: readonly BackendWatch[],
  baseline: readonly BackendCurrent[],
  deadline: number,
): Promise<number | undefined> {
  const rotatedAt = watches.map((): number | undefined => undefined);
  while (rotatedAt.some((t) => t === undefined)) {
    if (Date.now() >= deadline) return undefined;
    await new Promise((resolve) => setTimeout(resolve, 500));
    const now = await Promise.all(watches.map((w) => w.current()));
    now.forEach((c, i) => {
      if (rotatedAt[i] === undefined && c.blinded !== baseline[i]!.blinded) {
        rotatedAt[i] = Date.now();
      }
    });
  }
  return Math.max(...(rotatedAt as number[]));
}

/**
 * The intro points every backend uploaded last for the current period
 * ({@link uploadedKeys} of each), or undefined when one could not be fetched.
 */
export async function uploadedByAll(
  client: ControlClient,
  onionAddresses: readonly string[],
  periodLengthMinutes: number,
): Promise<Set<string> | undefined> {
  const sets = await Promise.all(
    onionAddresses.map((a) => uploadedKeys(client, a, periodLengthMinutes)),
  );
  if (sets.some((s) => s === undefined)) return undefined;
  return new Set(sets.flatMap((s) => [...s!]));
}
