// deno-lint-ignore-file no-console -- reports requests, HSDir copies and publish counts in the CI log
/**
 * Several managers of one frontend address, each with its own frontend tor, as operators run
 * them for redundancy (and as a migration from OnionBalance runs for a while): two balancers of
 * this project, then this project beside Debian's OnionBalance 0.2.2. Both publish the same
 * key with OnionBalance's revision counter (the same function of the time for the same key),
 * so every HSDir keeps whichever descriptor is newer.
 *
 * What each case shows, on a private network of its own (8-minute time periods):
 * - a client requesting the address every second (fresh circuits) never fails while either
 *   manager is SIGKILLed and restarted, or stopped for good (tor's own period-boundary race
 *   aside, as in `follow_test.ts`);
 * - every responsible HSDir's copy, fetched every 15 s, decrypts and verifies, and its
 *   revision counter never goes down (beside OnionBalance, from when this balancer has uploaded:
 *   OnionBalance 0.2.2 alone leaves some responsible HSDirs without a copy, printed);
 * - at the end every copy is the newest descriptor published for its period;
 * - neither manager reacts to the other: the publishes per manager, slot and period stay few,
 *   and the uploads an HSDir refuses (it holds the other's copy, as new or newer) are retried
 *   with backoff only (both printed).
 *
 * @module
 */

import assert from "node:assert/strict";
import { connectControl, type ControlClient } from "../../src/control/mod.ts";
import { Logger } from "../../src/log/mod.ts";
import { fetchOnion, type FrontendTor, startExtraFrontends } from "../../scripts/testnet/mod.ts";
import {
  ClientTrace,
  periodStartsMs,
  racedAtBoundaries,
} from "../../scripts/bench/client_trace.ts";
import { type Probe, probeLoop, summarize } from "../../scripts/bench/follow_scenario.ts";
import { BalancerProcess } from "../../scripts/soak/balancers.ts";
import { type LogEvent, LogTail } from "../../scripts/soak/balancer_log.ts";
import { fetchEveryCopy, type HsDirCopy, judgeCopies } from "../../scripts/soak/hsdir_check.ts";
import { bootNetwork, type SharedNetwork, within } from "./_network.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const PERIOD_MINUTES = 8;
/** Publishes of one slot for one period that one manager may make in a case (it makes 1–3). */
const MAX_PUBLISHES = 6;
/**
 * Refused uploads one manager may have in a case: an HSDir refuses a descriptor whose revision
 * counter is not above the copy it holds (the other manager's, published in the same second or
 * later), and the refused upload is retried after 15, 30, 60 … s: within a case's 3 minutes at
 * most 4 attempts for each of 2 descriptors on 8 HSDirs.
 */
const MAX_REFUSED = 4 * 2 * 8;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The case file's network: 2 backends of the generated deployment, 3 more tors. */
interface Fixture {
  shared: SharedNetwork;
  /** Two managers' frontend tors besides the network's own, then the observer's. */
  tors: FrontendTor[];
  /** A tor only the HSDir copy checks use (what it fetches lands in its own cache). */
  observer: ControlClient;
  trace: ClientTrace;
  /** The frontend key file `onionbalance config` generated. */
  keyPath: string;
  runDir: string;
}

let fixture: Promise<Fixture> | undefined;

function setUp(): Promise<Fixture> {
  fixture ??= (async () => {
    const shared = await within(
      180_000,
      "boot the network",
      bootNetwork({ consensusParams: {}, deployed: 2, started: 2 }),
    );
    const tors = await within(90_000, "3 more tors", startExtraFrontends(shared.net, 3));
    const observer = await connectControl({
      endpoint: { transport: "tcp", hostname: "127.0.0.1", port: tors[2]!.controlPort },
      log: new Logger({ level: "critical" }),
      reconnect: false,
    });
    const trace = await ClientTrace.open(shared.net.clientControlPort);
    const address = shared.master.onionAddress.replace(/\.onion$/, "");
    const runDir = `${shared.net.dir}/redundant`;
    await Deno.mkdir(runDir, { mode: 0o700 });
    return {
      shared,
      tors,
      observer,
      trace,
      keyPath: `${shared.deployDir}/${address}.key`,
      runDir,
    };
  })();
  return fixture;
}

/** One manager: its process and its log. */
interface Manager {
  proc: BalancerProcess;
  log: LogTail;
}

function manager(
  f: Fixture,
  label: string,
  tor: number,
  main: string | undefined,
  verbosity: "info" | "debug" = "info",
): Manager {
  const proc = new BalancerProcess(
    {
      label,
      main,
      verbosity,
      keyPath: f.keyPath,
      onionAddress: f.shared.master.onionAddress,
      controlPort: tor === 0 ? f.shared.net.frontend.controlPort : f.tors[tor - 1]!.controlPort,
    },
    f.runDir,
    f.shared.backends.map((b) => b.onionAddress),
    f.shared.net.dir,
  );
  return { proc, log: new LogTail(`${f.runDir}/${label}.log`) };
}

/** Waits until `m` has published both descriptors after `since` (ms). */
async function published(m: Manager, since: number, what: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    await m.log.poll();
    const slots = new Set(
      m.log.events.filter((e) => e.kind === "publish" && e.at >= since).map((e) => e.slot),
    );
    if (slots.has("first") && slots.has("second")) return;
    assert.ok(Date.now() < deadline, `${what}: no publish of both descriptors within 120 s`);
    await sleep(500);
  }
}

/** Requests the address every second and fetches every HSDir's copy every 15 s, until stopped. */
function watch(f: Fixture) {
  const stop = new AbortController();
  const url = `http://${f.shared.master.onionAddress}/`;
  const probing = probeLoop(url, f.shared.net.socks, stop.signal, {
    everyMs: 1_000,
    timeoutMs: 30_000,
  });
  const copies: HsDirCopy[] = [];
  const sampling = (async () => {
    while (!stop.signal.aborted) {
      copies.push(...await fetchEveryCopy({ label: "frontend", ...f.shared.master }, f.observer));
      await sleep(15_000);
    }
  })();
  return {
    copies,
    async end(): Promise<Probe[]> {
      stop.abort();
      await sampling;
      return await probing;
    },
  };
}

/**
 * The failed requests that tor's own period-boundary race does not explain (at most one per
 * boundary is), each printed with the client's events around it.
 */
function unexplainedFailures(f: Fixture, probes: readonly Probe[]): string[] {
  const starts = periodStartsMs(probes[0]!.at, Date.now(), PERIOD_MINUTES);
  const failed = probes.filter((p) => !p.ok);
  const around = (p: Probe) => f.trace.around(p);
  const raced = racedAtBoundaries(probes, around, f.shared.master.onionAddress, starts);
  for (const p of failed) {
    console.log(`failed request at ${new Date(p.at).toISOString()} after ${p.ms} ms: ${p.detail}`);
    console.log(f.trace.around(p).join("\n"));
  }
  return failed.filter((p) => !raced.has(p)).map((p) =>
    `${new Date(p.at).toISOString()} ${p.ms} ms ${p.detail}`
  );
}

/** Publishes per slot (and period, where the log says it), printed, and the largest count. */
function publishCounts(label: string, events: readonly LogEvent[], since: number): number {
  const counts = new Map<string, number>();
  for (const e of events.filter((e) => e.kind === "publish" && e.at >= since)) {
    const key = `${e.slot}${e.period === undefined ? "" : ` TP ${e.period}`}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  console.log(`${label} publishes: ${[...counts].map(([k, n]) => `${k}: ${n}`).join(", ")}`);
  return Math.max(0, ...counts.values());
}

/** One upload of OnionBalance's: its period, revision counter and HSDirs. */
interface ObUpload {
  period: number;
  revision: bigint;
  hsDirs: string[];
}

/**
 * OnionBalance's uploads, from its debug log: an "Uploading" line carries the counter of the
 * last "Rev counter" line of its slot, which belongs to the period of the last "For valid_after
 * … TP" line of that slot before it.
 */
function obUploads(events: readonly LogEvent[]): ObUpload[] {
  const built = new Map<string, { period?: number; revision?: bigint }>();
  const uploads: ObUpload[] = [];
  for (const e of events) {
    const slot = built.get(e.slot!) ?? {};
    built.set(e.slot!, slot);
    if (e.kind === "period") slot.period = e.period!;
    if (e.kind === "revision") slot.revision = BigInt(e.revision!);
    if (e.kind === "publish" && slot.period !== undefined && slot.revision !== undefined) {
      uploads.push({ period: slot.period, revision: slot.revision, hsDirs: e.hsDirs ?? [] });
    }
  }
  return uploads;
}

/** The uploads of `m` that failed, printed with their reasons; only tor's refusals may fail. */
function refusedUploads(m: Manager): number {
  const failed = m.log.events.filter((e) => e.kind === "upload-failed");
  const reasons = new Map<string, number>();
  for (const e of failed) reasons.set(e.detail!, (reasons.get(e.detail!) ?? 0) + 1);
  console.log(
    `${m.proc.spec.label} failed uploads: ${JSON.stringify(Object.fromEntries(reasons))}`,
  );
  assert.deepEqual([...reasons.keys()].filter((r) => r !== "UPLOAD_REJECTED"), []);
  return failed.length;
}

/** The highest revision counter `events` (this project's log) published for `period`. */
function latestRevision(events: readonly LogEvent[], period: number): bigint | undefined {
  const revisions = events.filter((e) => e.kind === "publish" && e.period === period)
    .map((e) => BigInt(e.revision!));
  return revisions.length === 0 ? undefined : revisions.reduce((a, b) => (a > b ? a : b));
}

/** Checks the copies seen during a case: all there and valid, no counter going down. */
function judge(copies: readonly HsDirCopy[]): void {
  // Which intro points a copy lists is the follow cases' subject, not this one's.
  const problems = judgeCopies(copies, () => new Set(copies.flatMap((c) => c.keys ?? [])));
  console.log(`${copies.length} HSDir copies checked`);
  assert.deepEqual(problems.missing, [], "every responsible HSDir holds a valid copy");
  assert.deepEqual(problems.revisionDown, [], "no HSDir's revision counter goes down");
}

Deno.test({
  name:
    "e2e: two balancers on one key: either SIGKILLed and restarted causes no failed request, HSDirs keep the newest descriptor, no upload fight",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const f = await setUp();
    const a = manager(f, "a", 0, MAIN);
    const b = manager(f, "b", 1, MAIN);
    const t0 = Date.now();
    try {
      await a.proc.start();
      await b.proc.start();
      await published(a, t0, "a");
      await published(b, t0, "b");
      const url = `http://${f.shared.master.onionAddress}/`;
      await within(90_000, "a first request", fetchOnion(url, { proxy: f.shared.net.socks }));
      const w = watch(f);
      for (const down of [a, b]) {
        await sleep(15_000);
        down.proc.signal("SIGKILL");
        await sleep(30_000);
        const restarted = Date.now();
        await down.proc.start();
        await published(down, restarted, `${down.proc.spec.label} after its restart`);
      }
      await sleep(10_000);
      const final = await fetchEveryCopy({ label: "frontend", ...f.shared.master }, f.observer);
      const probes = await w.end();
      console.log("requests:", summarize(probes));
      assert.deepEqual(unexplainedFailures(f, probes), [], "every request succeeds");
      judge([...w.copies, ...final]);
      await Promise.all([a.log.poll(), b.log.poll()]);
      for (const copy of final) {
        const newest = latestRevision([...a.log.events, ...b.log.events], copy.period);
        assert.equal(copy.revision, newest?.toString(), `HSDir ${copy.hsDir}: the newest copy`);
      }
      for (const m of [a, b]) {
        assert.ok(publishCounts(m.proc.spec.label, m.log.events, t0) <= MAX_PUBLISHES);
        assert.ok(refusedUploads(m) <= MAX_REFUSED);
      }
    } finally {
      await a.proc.stop();
      await b.proc.stop();
    }
  },
});

Deno.test({
  name:
    "e2e: a balancer beside OnionBalance 0.2.2 on one key (a migration): killing either causes no failed request, HSDirs keep the newest descriptor",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const f = await setUp();
    const ob = manager(f, "onionbalance", 1, undefined, "debug");
    const ours = manager(f, "ours", 0, MAIN);
    const t0 = Date.now();
    try {
      // The operator's starting point: OnionBalance alone; then this balancer beside it.
      await ob.proc.start();
      await published(ob, t0, "OnionBalance 0.2.2");
      const url = `http://${f.shared.master.onionAddress}/`;
      await within(90_000, "a first request", fetchOnion(url, { proxy: f.shared.net.socks }));
      // OnionBalance 0.2.2 alone: its ring walk can miss responsible HSDirs (it skips a relay
      // already chosen instead of walking on), which this balancer's uploads then fill.
      const alone = await fetchEveryCopy({ label: "frontend", ...f.shared.master }, f.observer);
      console.log(
        `OnionBalance 0.2.2 alone: ${alone.filter((c) => c.revision !== undefined).length} of ` +
          `${alone.length} responsible HSDirs hold its descriptor`,
      );
      const w = watch(f);
      await ours.proc.start();
      await published(ours, t0, "this balancer");
      const bothUp = Date.now() + 5_000; // our first uploads have landed
      await sleep(15_000);
      ours.proc.signal("SIGKILL");
      await sleep(30_000);
      const restarted = Date.now();
      await ours.proc.start();
      await published(ours, restarted, "this balancer after its restart");
      await sleep(15_000);
      // The migration's end: OnionBalance stopped for good.
      await ob.proc.stop();
      await sleep(30_000);
      const final = await fetchEveryCopy({ label: "frontend", ...f.shared.master }, f.observer);
      const probes = await w.end();
      console.log("requests:", summarize(probes));
      assert.deepEqual(unexplainedFailures(f, probes), [], "every request succeeds");
      judge([...w.copies.filter((c) => c.at >= bothUp), ...final]);
      await Promise.all([ours.log.poll(), ob.log.poll()]);
      // Every copy is the newest descriptor uploaded there for its period by either manager:
      // ours (we upload to every responsible HSDir), or OnionBalance's (its debug log says to
      // which HSDirs; its ring walk can leave one out).
      const theirUploads = obUploads(ob.log.events);
      for (const copy of final) {
        const ourLatest = latestRevision(ours.log.events, copy.period);
        assert.ok(ourLatest !== undefined, `we published for period ${copy.period}`);
        const theirs = theirUploads
          .filter((u) => u.period === copy.period && u.hsDirs.includes(copy.hsDir))
          .map((u) => u.revision);
        const newest = [ourLatest, ...theirs].reduce((x, y) => (x > y ? x : y));
        console.log(
          `HSDir ${copy.hsDir}: ${copy.revision}; ours up to ${ourLatest}, OnionBalance's ` +
            `uploads there: ${theirs.join(", ") || "none"}`,
        );
        assert.equal(copy.revision, newest.toString(), `HSDir ${copy.hsDir}: the newest copy`);
      }
      assert.ok(publishCounts("this balancer", ours.log.events, t0) <= MAX_PUBLISHES);
      publishCounts("OnionBalance 0.2.2", ob.log.events, t0);
      assert.ok(refusedUploads(ours) <= MAX_REFUSED);
    } finally {
      await ours.proc.stop();
      await ob.proc.stop();
    }
  },
});
