// deno-lint-ignore-file no-console -- a command-line script reports on the console
/**
 * This project's benchmark stages, on a bench input folder (see
 * `scripts/bench/README.md`). The stage names match OnionBalance's in
 * `ob_harness.py`.
 *
 * Every stage calls the balancer's own code (`src/balancer`, `src/netdoc`,
 * `src/keys`), not a re-implementation:
 *
 * - `consensus`   `NetworkView.fromDocuments` (consensus, md/all, relay list)
 * - `rings`       `view.ring()` for the first and second descriptor, on a fresh view
 * - `blind`       `blindPublicKey` of the frontend key for one period
 * - `responsible` `view.responsible()` for one blinded key (ring already built)
 * - `decode:K`    `checkFetchedDescriptor` + `Backend.accept` for K fresh backends
 *                 (each descriptor decoded and verified), as `fetchBackend` does
 * - `build:K`     both descriptors of a publish: intro-point choice and plan
 *                 (`selection.ts`), `obRevisionCounter`, `buildHsDesc` per group
 * - `cycle:K`     what one publish does in the daemon: view from the documents,
 *                 decode K descriptors, `FrontendService.maintain()` with a poster
 *                 that answers at once, until every upload result is in
 * - `republish:K` after a cycle, one backend rotates its intro points: decode its
 *                 new descriptor and `maintain()` (both descriptors republished;
 *                 the view and its rings are kept, as the daemon keeps them)
 * - `next:K`      after a cycle, the next hour: the next consensus (view built
 *                 from the previous one), all K backends fetched again (backend 00
 *                 rotated, the others unchanged), `maintain()` republishes both
 * - `shared`      (`--shared`, its own process) 1,000 frontends × 3 backends:
 *                 view, decode the 60 shared backends, one `maintain()` per service
 *
 * Role: a tool. Timings are wall-clock (`performance.now()`; the code is
 * single-threaded except WebCrypto). The shared-hosting run also reads its
 * process's CPU time and peak RSS from `/proc/<pid>/stat` and `status` through
 * `cat` (Deno refuses to read `/proc/self` without `--allow-all`).
 *
 * @module
 */

import {
  Backend,
  checkFetchedDescriptor,
  FrontendService,
  NetworkView,
  type Poster,
} from "../../src/balancer/mod.ts";
import { chooseIntroPoints, planDescriptors } from "../../src/balancer/selection.ts";
import { systemRng } from "../../src/crypto/mod.ts";
import {
  blindPublicKey,
  decodePkcs8Pem,
  type HsIdKeypair,
  obRevisionCounter,
  parseOnionAddress,
} from "../../src/keys/mod.ts";
import { Logger } from "../../src/log/mod.ts";
import {
  buildHsDesc,
  commonFlowControl,
  decodeHsDesc,
  MAX_INTRO_POINTS,
  shuffleWithRng,
} from "../../src/netdoc/hsdesc/mod.ts";
import { FakeClock } from "../../src/time/mod.ts";
import { type InputClock, type InputManifest, readInputs } from "./generate.ts";
import { measureMetricsPage, type MetricsPageResult } from "./metrics_page.ts";

/** Wall-clock seconds of each repetition, per stage. */
export type StageTimes = Record<string, number[]>;

/** Options of {@link runOurStages}. */
export interface OurStagesOptions {
  /** Backend-set sizes K to run. */
  sets: readonly number[];
  /** Repetitions of each stage (after one unrecorded warm-up run). */
  reps: number;
}

/** What {@link runOurStages} measured, and facts to cross-check with OnionBalance's run. */
export interface OurStagesResult {
  stages: StageTimes;
  facts: Record<string, unknown>;
}

/** The folder's documents and keys, loaded once. */
interface Loaded {
  dir: string;
  manifest: InputManifest;
  clock: InputClock;
  consensus: string;
  microdescs: string;
  frontend: HsIdKeypair;
  /** The frontend key file, to load a fresh key object (with cold caches) for each cycle. */
  frontendPem: string;
  descriptors: Map<string, string>;
  /** The first backend's next descriptor (intro points rotated). */
  rotatedDescriptor: string;
  /** The next hour's consensus and md/all (the `next:K` stage). */
  nextConsensus: string;
  nextMicrodescs: string;
}

/** The daemon's defaults (config keys of `src/config/schema.ts`). */
const FRONTEND_OPTIONS = {
  perBackend: 2,
  distinct: true,
  republishIntervalMs: 3600_000,
  staleAfterMs: 3600_000,
};

const quiet = new Logger({ level: "warning", sink: () => {} });

async function load(dir: string): Promise<Loaded> {
  const { manifest, clock } = await readInputs(dir);
  const descriptors = new Map<string, string>();
  for (const b of manifest.backends) {
    descriptors.set(b.address, await Deno.readTextFile(`${dir}/${b.descriptor}`));
  }
  const frontendPem = await Deno.readTextFile(`${dir}/${manifest.frontend.key}`);
  return {
    dir,
    manifest,
    clock,
    consensus: await Deno.readTextFile(`${dir}/consensus-microdesc.txt`),
    microdescs: await Deno.readTextFile(`${dir}/md-all.txt`),
    frontend: decodePkcs8Pem(frontendPem),
    frontendPem,
    descriptors,
    rotatedDescriptor: await Deno.readTextFile(`${dir}/${manifest.rotated.descriptor}`),
    nextConsensus: await Deno.readTextFile(`${dir}/${manifest.next.consensus}`),
    nextMicrodescs: await Deno.readTextFile(`${dir}/${manifest.next.microdescs}`),
  };
}

function viewOf(input: Loaded): NetworkView {
  return NetworkView.fromDocuments(input.consensus, input.microdescs, { isTestingNetwork: false });
}

/**
 * Checks and accepts each backend's descriptor, as `fetchBackend` + `Backend.accept` do
 * (`checkFetchedDescriptor`: a backend that already holds these exact bytes is not decoded
 * again; fresh backends always are).
 */
async function decodeBackends(
  input: Loaded,
  view: NetworkView,
  backends: readonly Backend[],
  options: { nowMs?: number; textOf?: (backend: Backend) => string | undefined } = {},
): Promise<void> {
  const nowMs = options.nowMs ?? input.clock.now * 1000;
  const now = new Date(nowMs);
  for (const backend of backends) {
    const text = options.textOf?.(backend) ?? input.descriptors.get(backend.address)!;
    const { descriptor } = await checkFetchedDescriptor(backend, text, view, now);
    backend.accept(descriptor, nowMs, text);
  }
}

function backendsOf(addresses: readonly string[]): Backend[] {
  return addresses.map((a) => new Backend(a, parseOnionAddress(a)));
}

/**
 * A poster that accepts every upload at once, and a promise for the last expected result. The
 * frontend records a result in the microtasks after its upload's promise resolves (it wakes the
 * daemon only on failures, and these never fail), so a result counts once the next macrotask runs.
 */
class InstantPoster {
  posts = 0;
  bytes = 0;
  #expected = Infinity;
  #done: () => void = () => {};

  readonly post: Poster = (descriptor) => {
    this.posts++;
    this.bytes += descriptor.length;
    if (this.posts >= this.#expected) setTimeout(() => this.#done(), 0);
    return Promise.resolve({ status: "uploaded" });
  };

  /** Upload results recorded (every upload is accepted at once). */
  get results(): number {
    return this.posts;
  }

  /** Resolves once `expected` uploads have been answered and their results recorded. */
  settled(expected: number): Promise<void> {
    this.#expected = expected;
    return new Promise((resolve) => {
      this.#done = resolve;
      if (this.posts >= expected) setTimeout(resolve, 0);
    });
  }
}

function uploadsOf(service: FrontendService): number {
  let n = 0;
  for (const slot of service.published.values()) n += slot.uploads.length;
  return n;
}

/** One publish cycle of the daemon for `addresses`: view, decode, maintain, upload results. */
async function cycle(
  input: Loaded,
  identity: HsIdKeypair,
  addresses: readonly string[],
): Promise<{ service: FrontendService; poster: InstantPoster; view: NetworkView }> {
  const nowMs = input.clock.now * 1000;
  const poster = new InstantPoster();
  const view = viewOf(input);
  const backends = backendsOf(addresses);
  await decodeBackends(input, view, backends);
  const service = new FrontendService(
    {
      address: input.manifest.frontend.address,
      keys: { kind: "key", keypair: identity },
      backends,
      options: FRONTEND_OPTIONS,
    },
    {
      post: poster.post,
      rng: systemRng,
      log: quiet,
      clock: new FakeClock(nowMs),
    },
  );
  await service.maintain(view, nowMs);
  await poster.settled(uploadsOf(service));
  return { service, poster, view };
}

/**
 * What the daemon does when a backend rotated its intro points, a second
 * after the first publish: decode that backend's new descriptor, then
 * `maintain()` republishes both descriptors (view and rings kept).
 *
 * @returns The reasons the slots were republished for.
 */
async function republish(
  input: Loaded,
  published: { service: FrontendService; poster: InstantPoster; view: NetworkView },
): Promise<string[]> {
  const { service, poster, view } = published;
  const nowMs = input.clock.now * 1000 + 1000;
  const backend = service.backends.find((b) => b.address === input.manifest.rotated.address)!;
  const period = view.timeline.fetch().period;
  const descriptor = await decodeHsDesc(input.rotatedDescriptor, {
    identity: backend.identity,
    periods: [period, period.previous(), period.next()],
    now: new Date(nowMs),
  });
  backend.accept(descriptor, nowMs);
  const before = [...service.published.values()];
  const results = poster.results;
  await service.maintain(view, nowMs);
  const fresh = [...service.published.values()].filter((s) => !before.includes(s));
  await poster.settled(results + fresh.reduce((n, s) => n + s.uploads.length, 0));
  return fresh.map((s) => s.reason);
}

/**
 * The next hour, as the daemon lives it after a first publish: the next
 * consensus arrives and the view is built from the one before (`previous`:
 * unchanged microdescriptors and ring positions are reused); every backend is
 * fetched again (backend 00 brings its rotated descriptor, the others the
 * same bytes as an hour ago, which are not decoded again); `maintain()`
 * republishes both descriptors to the HSDirs of the new consensus.
 *
 * @returns The reasons the slots were republished for.
 */
async function nextHour(
  input: Loaded,
  published: { service: FrontendService; poster: InstantPoster; view: NetworkView },
): Promise<string[]> {
  const { service, poster } = published;
  const nowMs = input.manifest.next.now * 1000;
  const view = NetworkView.fromDocuments(input.nextConsensus, input.nextMicrodescs, {
    isTestingNetwork: false,
    previous: published.view,
  });
  const rotated = input.manifest.rotated.address;
  await decodeBackends(input, view, service.backends, {
    nowMs,
    textOf: (b) => (b.address === rotated ? input.rotatedDescriptor : undefined),
  });
  const before = [...service.published.values()];
  const results = poster.results;
  await service.maintain(view, nowMs);
  const fresh = [...service.published.values()].filter((s) => !before.includes(s));
  await poster.settled(results + fresh.reduce((n, s) => n + s.uploads.length, 0));
  return fresh.map((s) => s.reason);
}

/** Both descriptors of one publish, built as `FrontendService` builds them. */
async function buildBoth(input: Loaded, view: NetworkView, backends: Backend[]): Promise<number[]> {
  const nowMs = input.clock.now * 1000;
  const sizes: number[] = [];
  for (const slot of ["first", "second"] as const) {
    const times = view.timeline.descriptor(slot);
    const chosen = chooseIntroPoints(
      backends.map((b) => ({ backend: b.address, introPoints: b.introPoints })),
      { perBackend: FRONTEND_OPTIONS.perBackend, idOf: (p) => p.authKey.toString() },
    );
    const groups = planDescriptors(chosen, {
      maxPerDescriptor: MAX_INTRO_POINTS,
      fetchSlots: view.params.nReplicas * view.params.spreadFetch,
      distinct: FRONTEND_OPTIONS.distinct,
    });
    const counter = await obRevisionCounter(input.frontend, {
      now: input.clock.now,
      srvRunStart: times.srvRunStart,
    });
    const flowControl = commonFlowControl(backends.map((b) => b.descriptor?.inner.flowControl));
    for (const group of groups) {
      const built = await buildHsDesc({
        identity: input.frontend,
        period: times.period,
        revisionCounter: counter,
        now: new Date(nowMs),
        introPoints: shuffleWithRng(group, systemRng),
        flowControl,
      }, { rng: systemRng });
      sizes.push(built.text.length);
    }
  }
  return sizes;
}

async function repeat<T>(
  stages: StageTimes,
  name: string,
  reps: number,
  run: () => Promise<{ timed: () => Promise<T> }>,
): Promise<T> {
  let last!: T;
  for (let i = 0; i <= reps; i++) {
    const { timed } = await run();
    const start = performance.now();
    last = await timed();
    const seconds = (performance.now() - start) / 1000;
    if (i > 0) (stages[name] ??= []).push(seconds); // the first run warms the JIT up
  }
  return last;
}

/** Runs every single-service stage on the folder `dir`. */
export async function runOurStages(
  dir: string,
  options: OurStagesOptions,
): Promise<OurStagesResult> {
  const input = await load(dir);
  const stages: StageTimes = {};
  const facts: Record<string, unknown> = {};
  const { reps } = options;

  const view = await repeat(
    stages,
    "consensus",
    reps,
    () => Promise.resolve({ timed: () => Promise.resolve(viewOf(input)) }),
  );
  facts.relays = view.relays.length;
  facts.relaysWithoutMicrodesc = view.relaysWithoutMicrodesc;
  const rings = await repeat(stages, "rings", reps, () => {
    const fresh = viewOf(input);
    return Promise.resolve({
      timed: () =>
        Promise.resolve([
          fresh.ring(fresh.timeline.descriptor("first")),
          fresh.ring(fresh.timeline.descriptor("second")),
        ]),
    });
  });
  facts.ringSize = rings.map((r) => r.size);

  const first = view.timeline.descriptor("first");
  const blinded = await repeat(stages, "blind", reps, () => {
    const identity = decodePkcs8Pem(input.frontendPem).public; // nothing cached for it yet
    return Promise.resolve({
      timed: () => Promise.resolve(blindPublicKey(identity, first.period)),
    });
  });
  view.ring(first);
  const responsible = await repeat(
    stages,
    "responsible",
    reps,
    () => Promise.resolve({ timed: () => Promise.resolve(view.responsible(blinded, first)) }),
  );
  facts.responsibleFirst = responsible.map((r) => r.fingerprint);

  for (const k of options.sets) {
    const addresses = input.manifest.sets[String(k)]!;
    const backends = await repeat(stages, `decode:${k}`, reps, () => {
      const fresh = backendsOf(addresses);
      return Promise.resolve({
        timed: async () => {
          await decodeBackends(input, view, fresh);
          return fresh;
        },
      });
    });
    facts[`decodedIntroPoints:${k}`] = backends.reduce((n, b) => n + b.introPoints.length, 0);
    facts[`built:${k}`] = await repeat(
      stages,
      `build:${k}`,
      reps,
      () => Promise.resolve({ timed: () => buildBoth(input, view, backends) }),
    );
  }
  for (const k of options.sets) {
    const addresses = input.manifest.sets[String(k)]!;
    const republished = await repeat(stages, `republish:${k}`, reps, async () => {
      const identity = decodePkcs8Pem(input.frontendPem);
      const published = await cycle(input, identity, addresses);
      return { timed: () => republish(input, published) };
    });
    facts[`republished:${k}`] = republished;
  }
  for (const k of options.sets) {
    const addresses = input.manifest.sets[String(k)]!;
    facts[`next:${k}`] = await repeat(stages, `next:${k}`, reps, async () => {
      const identity = decodePkcs8Pem(input.frontendPem);
      const published = await cycle(input, identity, addresses);
      return { timed: () => nextHour(input, published) };
    });
  }
  for (const k of options.sets) {
    const addresses = input.manifest.sets[String(k)]!;
    const { service, poster } = await repeat(stages, `cycle:${k}`, reps, () => {
      // A new key object per run: no blinded key is cached from an earlier run.
      const identity = decodePkcs8Pem(input.frontendPem);
      return Promise.resolve({ timed: () => cycle(input, identity, addresses) });
    });
    facts[`posts:${k}`] = poster.posts;
    facts[`published:${k}`] = [...service.published.values()].map((s) => s.introPointCounts);
  }
  return { stages, facts };
}

/** CPU seconds (user + system, all threads) and peak RSS of this process, through `cat`. */
export async function processUsage(): Promise<{ cpuSeconds: number; peakRssKb: number }> {
  const { stdout } = await new Deno.Command("cat", {
    args: [`/proc/${Deno.pid}/stat`, `/proc/${Deno.pid}/status`],
    stdout: "piped",
  }).output();
  const text = new TextDecoder().decode(stdout);
  // /proc/<pid>/stat: fields after the ")" of the command name; utime and stime are 14 and 15.
  const fields = text.slice(text.indexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  const hwm = /VmHWM:\s+(\d+) kB/.exec(text);
  return { cpuSeconds: ticks / 100, peakRssKb: Number(hwm?.[1] ?? NaN) };
}

/** What the shared-hosting run measured. */
export interface SharedResult {
  frontends: number;
  backends: number;
  backendsPerFrontend: number;
  wallSeconds: number;
  cpuSeconds: number;
  peakRssKb: number;
  /** Of the cycle: the view, the backend decodes, all maintain() calls. */
  parts: { viewSeconds: number; decodeSeconds: number; maintainSeconds: number };
  descriptorsBuilt: number;
  posts: number;
  /** The Prometheus page of those frontends, measured after the cycle. */
  metrics: MetricsPageResult;
}

/**
 * Shared hosting: every frontend of the folder with its backends (frontend i
 * uses backends n·i … n·i+n−1 modulo the 60 backends, so each backend serves
 * many frontends and is decoded once), one `maintain()` per service on one
 * view, until every upload result is in. Run it in a fresh process.
 */
export async function runShared(dir: string): Promise<SharedResult> {
  const input = await load(dir);
  const nowMs = input.clock.now * 1000;
  const { shared } = input.manifest;
  const all = backendsOf(input.manifest.backends.map((b) => b.address));
  const keys: HsIdKeypair[] = [];
  for (const f of shared.frontends) {
    keys.push(decodePkcs8Pem(await Deno.readTextFile(`${dir}/${f.key}`)));
  }
  const poster = new InstantPoster();
  const deps = {
    post: poster.post,
    rng: systemRng,
    log: quiet,
    clock: new FakeClock(nowMs),
  };
  const services = shared.frontends.map((f, i) =>
    new FrontendService({
      address: f.address,
      keys: { kind: "key", keypair: keys[i]! },
      backends: Array.from(
        { length: shared.backendsPerFrontend },
        (_, j) => all[(shared.backendsPerFrontend * i + j) % all.length]!,
      ),
      options: FRONTEND_OPTIONS,
    }, deps)
  );
  const before = await processUsage();
  const start = performance.now();
  const view = viewOf(input);
  const viewDone = performance.now();
  await decodeBackends(input, view, all);
  const decodeDone = performance.now();
  for (const service of services) await service.maintain(view, nowMs);
  await poster.settled(services.reduce((n, s) => n + uploadsOf(s), 0));
  const end = performance.now();
  const after = await processUsage();
  const metrics = await measureMetricsPage(services, nowMs);
  return {
    frontends: services.length,
    backends: all.length,
    backendsPerFrontend: shared.backendsPerFrontend,
    wallSeconds: (end - start) / 1000,
    cpuSeconds: after.cpuSeconds - before.cpuSeconds,
    peakRssKb: after.peakRssKb,
    parts: {
      viewSeconds: (viewDone - start) / 1000,
      decodeSeconds: (decodeDone - viewDone) / 1000,
      maintainSeconds: (end - decodeDone) / 1000,
    },
    descriptorsBuilt: services.reduce(
      (n, s) => n + [...s.published.values()].reduce((m, p) => m + p.descriptors.length, 0),
      0,
    ),
    posts: poster.posts,
    metrics,
  };
}

if (import.meta.main) {
  // deno run … scripts/bench/ours.ts --shared DIR | --stages DIR [reps] [sets…]
  const [mode, dir, ...rest] = Deno.args;
  if (dir === undefined || (mode !== "--shared" && mode !== "--stages")) {
    throw new TypeError("Usage: ours.ts --shared DIR | --stages DIR [reps] [K…]");
  }
  const result = mode === "--shared" ? await runShared(dir) : await runOurStages(dir, {
    reps: Number(rest[0] ?? 5),
    sets: rest.length > 1 ? rest.slice(1).map(Number) : [1, 10, 60],
  });
  console.log(JSON.stringify(result));
}
