/**
 * A balancer daemon wired to a {@link FakeTor}, a {@link FakePoster} and a
 * {@link FakeClock}, with backends whose descriptors the fake tor serves on
 * HSFETCH (built with `buildHsDesc` for the fixture network's time period).
 *
 * @module
 */

import {
  Balancer,
  type BalancerTimings,
  FrontendService,
  type MetricsSink,
  type Probe,
  STARTUP_GRACE_MS,
} from "../../src/balancer/mod.ts";
import { toBase64NoPad } from "../../src/bytes/mod.ts";
import { DEFAULT_HEALTH_CHECK, type HealthCheckConfig } from "../../src/config/mod.ts";
import { seededRng } from "../../src/crypto/mod.ts";
import { blindPublicKey, onionAddressLabel } from "../../src/keys/mod.ts";
import { FakeClock, type TimePeriod } from "../../src/time/mod.ts";
import { captureLog, FakePoster, FakeTor, type FetchAnswer, until } from "./_fake_tor.ts";
import {
  backendDescriptor,
  expiryAfter,
  type FixtureBackend,
  fixtureBackend,
  frontendKey,
  introLabels,
  introPoint,
  networkDocuments,
  networkView,
  VALID_AFTER,
} from "./_fixtures.ts";

export const NOW = (VALID_AFTER + 300) * 1000;
export const TIMINGS: BalancerTimings = {
  fetchIntervalMs: 300_000,
  // The same as fetch-interval, so that cases about other things see one routine interval;
  // tests/balancer/follow_test.ts sets its own.
  busyFetchIntervalMs: 300_000,
  publishCheckIntervalMs: 60_000,
  fetchTimeoutMs: 60_000,
  startupGraceMs: STARTUP_GRACE_MS,
};
const PERIOD = networkView().timeline.fetch().period;
export const DOCS = networkDocuments();
const HSDIR = DOCS.relays[0]!;

export interface Daemon {
  tor: FakeTor;
  poster: FakePoster;
  clock: FakeClock;
  log: ReturnType<typeof captureLog>;
  service: FrontendService;
  balancer: Balancer;
  backends: FixtureBackend[];
  /** Moves the fake clock to `ms` and ticks. */
  at(ms: number): Promise<void>;
  /** How many HSFETCHes of backend `i` were sent. */
  fetches(i: number): number;
  /** How many fetch results the backends took (`accept()` and `fetchFailed()` calls). */
  results(): number;
}

const descriptorCache = new Map<string, string>();

/**
 * Backend `b`'s descriptor with revision `rev` (3 intro points per revision), as tor serves
 * it: for the fixture network's period, or for `at.period` built at `at.nowMs` (a later
 * period's descriptor has intro points of its own).
 */
export async function answer(
  b: FixtureBackend,
  rev: number,
  at?: { period: TimePeriod; nowMs: number },
): Promise<FetchAnswer> {
  const period = at?.period ?? PERIOD;
  const nowMs = at?.nowMs ?? NOW;
  const key = at === undefined ? `${b.address}/${rev}` : `${b.address}/${rev}/${period.number}`;
  let text = descriptorCache.get(key);
  if (text === undefined) {
    text = await backendDescriptor(b.identity, {
      period,
      revisionCounter: BigInt(rev),
      now: new Date(nowMs),
      introPoints: introLabels(key, 3).map((l) => introPoint(l, expiryAfter(nowMs / 1000))),
    });
    descriptorCache.set(key, text);
  }
  return {
    descriptor: text,
    descriptorId: toBase64NoPad(blindPublicKey(b.identity.public, period).toBytes()),
    hsDir: `$${HSDIR.fingerprint}~${HSDIR.nickname}`,
  };
}

/**
 * A daemon with `count` backends on the fixture network (`consensus` null: tor has none yet).
 * Health checks are off unless `options.health` turns them on; `options.probe` makes them.
 * `options.metrics` receives the balancer's and the frontend's events.
 */
export function daemon(
  count: number,
  consensus: string | null = DOCS.consensus,
  options: { health?: Partial<HealthCheckConfig>; probe?: Probe; metrics?: MetricsSink } = {},
): Daemon {
  const tor = new FakeTor();
  tor.consensus = consensus ?? undefined;
  tor.microdescs = DOCS.microdescs;
  const poster = new FakePoster();
  const clock = new FakeClock(NOW);
  const log = captureLog();
  const identity = frontendKey("daemon");
  const backends = Array.from({ length: count }, (_, i) => fixtureBackend(`daemon ${i}`));
  let results = 0;
  for (const { backend } of backends) {
    const accept = backend.accept.bind(backend);
    const fetchFailed = backend.fetchFailed.bind(backend);
    backend.accept = (descriptor, now, text) => (results++, accept(descriptor, now, text));
    backend.fetchFailed = (reason) => (results++, fetchFailed(reason));
  }
  const service = new FrontendService(
    {
      address: onionAddressLabel(identity.public),
      keys: { kind: "key", keypair: identity },
      backends: backends.map((b) => b.backend),
      options: {
        perBackend: 2,
        distinct: true,
        republishIntervalMs: 3600_000,
        staleAfterMs: 3600_000,
      },
    },
    {
      post: poster.post,
      rng: seededRng("daemon test"),
      log: log.log,
      clock,
      metrics: options.metrics,
    },
  );
  const balancer = new Balancer(
    {
      services: [service],
      timings: TIMINGS,
      health: { ...DEFAULT_HEALTH_CHECK, enabled: false, ...options.health },
    },
    { client: tor, clock, log: log.log, probe: options.probe, metrics: options.metrics },
  );
  return {
    tor,
    poster,
    clock,
    log,
    service,
    balancer,
    backends,
    at: async (ms) => {
      clock.set(ms);
      await balancer.tick(ms);
    },
    fetches: (i) => tor.fetched.filter((a) => a === backends[i]!.address).length,
    results: () => results,
  };
}

/** Waits until every HSFETCH sent so far has ended in `accept()` or `fetchFailed()`. */
export async function fetchesDone(d: Daemon): Promise<void> {
  await until(() => d.results() === d.tor.fetched.length, "the fetches to finish");
  // The rest of the fetch's bookkeeping (schedule, wake) runs synchronously right after.
  await new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * A SOCKS5 server on loopback that answers every CONNECT with tor's "introduction failed";
 * `connections` counts the clients it accepted.
 */
export function failingSocks(): { port: number; connections: () => number; close: () => void } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let accepted = 0;
  void (async () => {
    for await (const conn of listener) {
      accepted++;
      void (async () => {
        const buf = new Uint8Array(512);
        try {
          await conn.read(buf); // greeting: username/password (the isolation)
          await conn.write(new Uint8Array([5, 2]));
          await conn.read(buf); // the username and password
          await conn.write(new Uint8Array([1, 0]));
          await conn.read(buf); // CONNECT
          await conn.write(new Uint8Array([5, 0xf2, 0, 1, 0, 0, 0, 0, 0, 0]));
        } catch {
          // The client went away.
        } finally {
          conn.close();
        }
      })();
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    connections: () => accepted,
    close: () => listener.close(),
  };
}
