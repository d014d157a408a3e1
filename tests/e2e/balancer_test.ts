// deno-lint-ignore-file no-console -- reports measured times in the CI log
/**
 * End-to-end cases of the balancer on the shared private Tor network: a real
 * `onionbalance` process publishes the frontend descriptors through the
 * frontend tor, and a real Tor client reaches the backends through the
 * frontend address. The network runs with `hsdir_spread_store=3`.
 *
 * Every case borrows the balancer of `_balancer.ts` and first waits (bounded) for the state it
 * needs (backends usable and published, uploads accepted, all 12 backends up), so each one runs
 * alone with `--filter`. Run together, in file order, they share one network and one balancer
 * process, and the last case stops it.
 *
 * @module
 */

import assert from "node:assert/strict";
import { ControlTimeoutError, hsFetch } from "../../src/control/mod.ts";
import { loadNetworkView, relayOf } from "../../src/balancer/mod.ts";
import { blindPublicKey, parseOnionAddress } from "../../src/keys/mod.ts";
import { decodeHsDesc } from "../../src/netdoc/hsdesc/mod.ts";
import { TimePeriod } from "../../src/time/mod.ts";
import { type BackendTor, fetchOnion, restartNode, stopNode } from "../../scripts/testnet/mod.ts";
import { waitFor } from "../../scripts/testnet/wait.ts";
import { periodsAround } from "../../scripts/bench/follow_scenario.ts";
import {
  allBackends,
  newnym,
  reload,
  type SharedBalancer,
  sharedBalancer,
  stopBalancer,
} from "./_balancer.ts";
import type { StatusJson } from "./_daemon.ts";
import { within } from "./_network.ts";

/** A published descriptor slot, as the status reports it. */
type Slot = NonNullable<StatusJson["services"][number]["descriptors"]["first"]>;

/** The slot of the time period clients use now, when it is published. */
function currentSlot(status: StatusJson): Slot | undefined {
  const tp = status.consensus?.timePeriod;
  const { first, second } = status.services[0]!.descriptors;
  return [first, second].find((d): d is Slot => d !== null && d.timePeriod === tp);
}

/**
 * Waits until each of `backends` is usable and has intro points in the descriptors last
 * published, and every HSDir accepted both descriptors: where most cases start from.
 */
async function settled(
  balancer: SharedBalancer,
  backends: readonly { onionAddress: string }[],
): Promise<StatusJson> {
  const wanted = new Set(backends.map((b) => b.onionAddress));
  return await waitFor("the balancer to publish every backend", async () => {
    const status = await balancer.daemon.status();
    const service = status.services[0]!;
    const missing = service.instances
      .filter((x) => wanted.has(x.onionAddress) && (x.state !== "usable" || x.published === null))
      .map((x) => `${x.onionAddress.slice(0, 8)} ${x.state} ${x.reason ?? "not published"}`);
    const uploads = [service.descriptors.first, service.descriptors.second].flatMap((d) =>
      d === null || d.hsDirs.length === 0
        ? ["a slot not published"]
        : d.hsDirs.filter((h) => h.status !== "uploaded").map((h) => `${h.nickname} ${h.status}`)
    );
    if (missing.length === 0 && uploads.length === 0 && currentSlot(status) !== undefined) {
      return { done: true, value: status };
    }
    return {
      done: false,
      state: `backends: ${missing.join(", ")}; uploads: ${uploads.join(", ")}`,
    };
  }, { timeoutMs: 120_000, intervalMs: 1_000 });
}

/**
 * Waits until the client tor would fetch the frontend descriptor from exactly the HSDirs the
 * balancer uploaded its current descriptor to, all of them accepted. The balancer's tor fetches
 * each consensus early (FetchDirInfoEarly) and the client late, so near a time-period or SRV
 * change the two briefly compute different rings; a case that compares them waits this out.
 *
 * @returns The balancer's slot for the client's period, and the client's fetch HSDirs.
 */
async function clientAgrees(
  balancer: SharedBalancer,
): Promise<{ slot: Slot; fetchDirs: string[] }> {
  const identity = parseOnionAddress(balancer.shared.master.onionAddress);
  return await waitFor("the client's HSDir ring to match the balancer's uploads", async () => {
    const view = await loadNetworkView(balancer.client, { isTestingNetwork: true });
    const times = view.timeline.fetch();
    const fetchDirs = view.responsible(blindPublicKey(identity, times.period), times, "fetch")
      .map((r) => r.fingerprint).sort();
    const status = await settled(balancer, balancer.shared.backends);
    const { first, second } = status.services[0]!.descriptors;
    const slot = [first, second].find((d): d is Slot =>
      d !== null && d.timePeriod === times.period.number
    );
    const uploaded = slot?.hsDirs.map((h) => h.fingerprint).sort() ?? [];
    return slot !== undefined && uploaded.join() === fetchDirs.join()
      ? { done: true, value: { slot, fetchDirs } }
      : { done: false, state: `client ${times.period} [${fetchDirs}], uploaded [${uploaded}]` };
  }, { timeoutMs: 120_000, intervalMs: 2_000 });
}

/** Fetches the frontend address `fetches` times (fresh circuits); returns who answered how often. */
async function reachBackends(
  balancer: SharedBalancer,
  fetches: number,
): Promise<Map<string, number>> {
  const { shared } = balancer;
  const url = `http://${shared.master.onionAddress}/`;
  const seen = new Map<string, number>();
  for (let i = 0; i < fetches; i++) {
    const { response } = await fetchOnion(url, { proxy: shared.net.socks, timeoutMs: 60_000 });
    assert.equal(response.status, 200);
    const name = response.text().trim();
    seen.set(name, (seen.get(name) ?? 0) + 1);
  }
  return seen;
}

Deno.test({
  name:
    "e2e: the balancer publishes at start, a Tor client gets through, every backend becomes usable",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const balancer = await sharedBalancer();
    const { daemon, shared } = balancer;
    const uploaded = await within(
      60_000,
      "the first upload",
      daemon.waitForLine(/Uploaded /, 60_000),
    );
    const uploadedAfter = (daemon.lineTimes[daemon.lines.indexOf(uploaded)]! - daemon.startedAt) /
      1000;
    console.log(
      daemon.lines.filter((l) => /Connected|Consensus|Publishing|Uploaded/.test(l)).slice(0, 6)
        .join("\n"),
    );
    const url = `http://${shared.master.onionAddress}/`;
    const first = await within(
      120_000,
      "the first fetch through the frontend",
      fetchOnion(url, { proxy: shared.net.socks, timeoutMs: 110_000 }),
    );
    assert.equal(first.response.status, 200);
    const seconds = (Date.now() - daemon.startedAt) / 1000;
    console.log(
      `daemon start → first upload accepted by an HSDir: ${uploadedAfter.toFixed(1)} s, ` +
        `→ first successful client fetch through the frontend: ${seconds.toFixed(1)} s ` +
        `(${first.attempts} attempt(s))`,
    );
    // Every backend's descriptor is in hand and published soon after start.
    const started = new Set(shared.backends.map((b) => b.onionAddress));
    const states = async () =>
      (await daemon.status()).services[0]!.instances.filter((x) => started.has(x.onionAddress))
        .map((x) => x.state);
    const final = await waitFor("every started backend to become usable", async () => {
      const now = await states();
      return now.every((state) => state === "usable")
        ? { done: true, value: now }
        : { done: false, state: now.join(", ") };
    }, { timeoutMs: 60_000, intervalMs: 1_000 });
    assert.deepEqual(final, new Array(shared.backends.length).fill("usable"));
  },
});

Deno.test({
  name: "e2e: every backend stays reachable over several descriptor revisions (SIGHUP reloads)",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const balancer = await sharedBalancer();
    const { daemon, shared } = balancer;
    await settled(balancer, shared.backends);
    // On a network of 8 relays, intro points of different backends often sit on the same relay,
    // and only one per relay is published (see `onePerRelay` in src/balancer/selection.ts): one
    // revision may not reach every backend, so the spread is judged over several.
    const revisions = new Set<string>();
    const seen = new Map<string, number>();
    const all = shared.backends.map((b) => b.name).sort();
    for (const perBackend of [1, 3, 2, 1, 3, 2]) {
      if (revisions.size >= 3 && seen.size === all.length) break;
      const mark = await reload(balancer, `intro-points-per-instance: ${perBackend}\n`);
      // Both slots are rebuilt one after the other, and the status shows each from its line on.
      const lines = await within(
        60_000,
        "both descriptors republished after the reload",
        Promise.all(
          (["first", "second"] as const).map((slot) =>
            daemon.waitForLine(
              new RegExp(`Publishing the ${slot} descriptor .*the intro points changed`),
              60_000,
              mark,
            )
          ),
        ),
      );
      revisions.add(/revision (\d+)/.exec(lines[0] ?? "")?.[1] ?? "");
      const status = await daemon.status();
      const published = status.services[0]!.descriptors;
      for (const slot of ["first", "second"] as const) {
        const { introPoints, introPointsSameRelay } = published[slot]!;
        assert.equal(introPoints.length, 1);
        assert.equal(
          introPoints[0]! + introPointsSameRelay[0]!,
          perBackend * all.length,
          JSON.stringify(status.services[0]!.instances.map((i) => [i.state, i.reason])) + "\n" +
            daemon.lines.slice(mark).join("\n"),
        );
      }
      await newnym(balancer);
      for (const [name, count] of await within(300_000, "fetches", reachBackends(balancer, 12))) {
        seen.set(name, (seen.get(name) ?? 0) + count);
      }
    }
    console.log(
      `${revisions.size} revisions; backends reached: ${
        [...seen].map(([n, c]) => `${n}×${c}`).join(", ")
      }`,
    );
    assert.ok(revisions.size >= 3);
    assert.deepEqual([...seen.keys()].sort(), all);
  },
});

Deno.test({
  name:
    "e2e: the balancer uploads to exactly the HSDirs tor's client fetches from (spread_store=3)",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const balancer = await sharedBalancer();
    const { slot } = await clientAgrees(balancer);
    const uploaded = new Set(slot.hsDirs.map((h) => h.fingerprint));
    // 2 replicas × hsdir_spread_store=3 (not tor's default of 4).
    assert.equal(uploaded.size, 6);
    assert.ok(slot.hsDirs.every((h) => h.status === "uploaded"), JSON.stringify(slot.hsDirs));
    // The client picks one HSDir of its fetch set per HSFETCH and avoids ones it asked lately,
    // so repeated fetches walk the whole set (2 × hsdir_spread_fetch = 6 here).
    const queried = new Set<string>();
    const address = balancer.shared.master.onionAddress;
    await within(
      180_000,
      "the client's fetches reach every HSDir of its fetch set",
      (async () => {
        for (let i = 0; i < 40 && queried.size < uploaded.size; i++) {
          const result = await hsFetch(balancer.client, address, { timeoutMs: 15_000 })
            .catch((error) => {
              // The client's circuit to an HSDir failed without a single event: ask again.
              if (error instanceof ControlTimeoutError) return undefined;
              throw error;
            });
          for (const outcome of result?.outcomes ?? []) {
            queried.add(outcome.hsDir.replace(/^\$/, "").slice(0, 40).toUpperCase());
            assert.ok(outcome.ok, `HSDir ${outcome.hsDir} served the descriptor`);
          }
        }
      })(),
    );
    assert.deepEqual([...queried].sort(), [...uploaded].sort());
  },
});

Deno.test({
  name: "e2e: python3-stem decrypts the frontend descriptor that is on the HSDirs",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const balancer = await sharedBalancer();
    const { shared } = balancer;
    const { slot } = await clientAgrees(balancer);
    const hsDir = slot.hsDirs[0]!.fingerprint;
    const result = await hsFetch(balancer.client, shared.master.onionAddress, {
      servers: [hsDir],
      timeoutMs: 30_000,
    });
    const outcome = result.outcomes[0]!;
    assert.ok(outcome.ok, `fetched from ${hsDir}`);
    const file = await Deno.makeTempFile({ dir: shared.net.dir, suffix: ".desc" });
    await Deno.writeTextFile(file, outcome.descriptor);
    const script = `
import json, sys
from stem.descriptor.hidden_service import HiddenServiceDescriptorV3
desc = HiddenServiceDescriptorV3.from_str(open(sys.argv[1]).read())
inner = desc.decrypt(sys.argv[2])
print(json.dumps({"revision": desc.revision_counter, "introPoints": len(inner.introduction_points),
                  "lifetime": desc.lifetime}))
`;
    const out = await new Deno.Command("/usr/bin/python3", {
      args: ["-c", script, file, shared.master.onionAddress],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    const decoded = JSON.parse(new TextDecoder().decode(out.stdout));
    assert.equal(String(decoded.revision), slot.revisionCounter);
    assert.equal(decoded.introPoints, slot.introPoints[slot.hsDirs[0]!.descriptor]);
    assert.equal(decoded.lifetime, 180);
  },
});

/** Failed reconnects the balancer must survive while its tor is down. */
const RECONNECTS_WHILE_DOWN = 3;

Deno.test({
  name:
    "e2e: the frontend tor killed and restarted: the balancer reconnects, republishes, clients get through",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const balancer = await sharedBalancer();
    const { daemon, shared } = balancer;
    await settled(balancer, shared.backends);
    const mark = daemon.lines.length;
    await stopNode(shared.net.dir, "frontend", { graceMs: 0 });
    await within(
      30_000,
      "the balancer notices",
      daemon.waitForLine(/Lost the connection to tor/, 30_000, mark),
    );
    // The client's backoff (250 ms doubling, with jitter) makes these in about 1-2 s.
    await waitFor(`${RECONNECTS_WHILE_DOWN} failed reconnects`, () => {
      const failed = daemon.lines.slice(mark).filter((l) =>
        /Reconnect attempt \d+ .*failed/.test(l)
      );
      return Promise.resolve(
        failed.length >= RECONNECTS_WHILE_DOWN || !daemon.running()
          ? { done: true, value: undefined }
          : { done: false, state: `${failed.length} so far` },
      );
    }, { timeoutMs: 30_000, intervalMs: 100 });
    assert.ok(daemon.running(), "the balancer did not exit while tor was down");
    await restartNode(shared.net.dir, "frontend");
    await within(
      120_000,
      "a republish after the reconnect",
      daemon.waitForLine(
        /Publishing the \w+ descriptor .*the connection to tor is back/,
        120_000,
        mark,
      ),
    );
    await within(
      60_000,
      "uploads after the restart",
      daemon.waitForLine(/Uploaded /, 60_000, mark),
    );
    await newnym(balancer);
    const seen = await within(120_000, "reach the backends again", reachBackends(balancer, 5));
    assert.equal([...seen.values()].reduce((a, b) => a + b, 0), 5);
  },
});

/** Health checks every 10 s (the generated config ends inside its `health-check` mapping). */
const HEALTH_INTERVAL_S = 10;
const FAST_HEALTH = `  interval: ${HEALTH_INTERVAL_S}\n  timeout: 15\n  failures: 3\n`;

/** What "one publish" may take on the loopback network: build, sign, upload to 6 HSDirs. */
const ONE_PUBLISH_S = 10;

/**
 * Waits for the daemon's log line `decision` (after line `from`), then for the results of the
 * uploads of the publish that follows it (the `Publishing the first/second descriptor` lines
 * and one `Uploaded`/`Upload … failed` line per HSDir). Times are seconds since `since`.
 */
async function publishedAfter(
  balancer: SharedBalancer,
  decision: RegExp,
  options: { from: number; since: number },
): Promise<{ decidedS: number; doneS: number; hsDirs: number }> {
  const { daemon } = balancer;
  const line = await daemon.waitForLine(decision, 90_000, options.from);
  const at = daemon.lines.indexOf(line, options.from);
  const decidedS = (daemon.lineTimes[at]! - options.since) / 1000;
  const frontend = balancer.shared.master.onionAddress.slice(0, 56);
  const publishing = new RegExp(
    `Publishing the (first|second) descriptor of ${frontend}.* to (\\d+) HSDirs`,
  );
  const result = new RegExp(`(Uploaded|Upload of) ${frontend}`);
  return await waitFor("the uploads of the publish after the decision", () => {
    const after = daemon.lines.slice(at);
    const slots = after.map((l) => publishing.exec(l)).filter((m) => m !== null).slice(0, 2);
    const expected = slots.reduce((sum, m) => sum + Number(m[2]), 0);
    const firstPublish = after.findIndex((l) => publishing.test(l));
    const results: number[] = [];
    if (slots.length === 2) {
      after.forEach((l, i) => {
        if (i > firstPublish && result.test(l)) results.push(at + i);
      });
    }
    return Promise.resolve(
      slots.length === 2 && results.length >= expected
        ? {
          done: true,
          value: {
            decidedS,
            doneS: (daemon.lineTimes[results[expected - 1]!]! - options.since) / 1000,
            hsDirs: expected,
          },
        }
        : { done: false, state: `${slots.length} slot(s), ${results.length}/${expected} results` },
    );
  }, { timeoutMs: 30_000, intervalMs: 100 });
}

/** The testing network's period length: 24 voting intervals of 20 s = 8 minutes. */
const PERIOD_MINUTES = 8;

/** Intro-point auth keys of the frontend descriptor served by each of `hsDirs`. */
async function frontendIntroKeys(
  balancer: SharedBalancer,
  hsDirs: readonly string[],
  period: number,
  relays?: Set<string>,
): Promise<Set<string> | undefined> {
  const address = balancer.shared.master.onionAddress;
  const identity = parseOnionAddress(address);
  const keys = new Set<string>();
  for (const hsDir of hsDirs) {
    const result = await hsFetch(balancer.client, address, {
      servers: [hsDir],
      timeoutMs: 15_000,
    }).catch((error) => {
      // The client's circuit to that HSDir failed without a single event: ask again.
      if (error instanceof ControlTimeoutError) return undefined;
      throw error;
    });
    const outcome = result?.outcomes[0];
    if (outcome === undefined || !outcome.ok) return undefined; // e.g. between two uploads
    const desc = await decodeHsDesc(outcome.descriptor, {
      identity,
      periods: [period, period - 1, period + 1].map((n) => new TimePeriod(n, PERIOD_MINUTES)),
      now: new Date(),
    });
    for (const ip of desc.inner.introPoints) {
      keys.add(ip.authKey.toString());
      const relay = relayOf(ip);
      if (relay !== undefined) relays?.add(relay);
    }
  }
  return keys;
}

/**
 * Per descriptor group of the slot clients use now, its intro points' keys and relays, from one
 * HSDir serving it; undefined when a fetch failed.
 */
async function groupDescriptors(
  balancer: SharedBalancer,
): Promise<Map<number, { keys: Set<string>; relays: Set<string> }> | undefined> {
  const { groups, hsDirs, period } = await hsDirPerGroup(balancer);
  if (hsDirs.length === 0) return undefined;
  const out = new Map<number, { keys: Set<string>; relays: Set<string> }>();
  for (const [i, hsDir] of hsDirs.entries()) {
    const relays = new Set<string>();
    const keys = await frontendIntroKeys(balancer, [hsDir], period, relays);
    if (keys === undefined) return undefined;
    out.set(groups[i]!, { keys, relays });
  }
  return out;
}

/**
 * The relays of a backend's intro points `keys`, from its descriptor on the HSDirs (fetched
 * through the balancer's tor); undefined when it could not be fetched or lacks one of them.
 */
async function backendIntroRelays(
  balancer: SharedBalancer,
  backend: BackendTor,
  keys: readonly string[],
): Promise<string[] | undefined> {
  const address = backend.onionAddress.replace(/\.onion$/, "");
  const result = await hsFetch(balancer.client, address, { timeoutMs: 15_000 }).catch(
    () => undefined,
  );
  const got = result?.outcomes.find((o) => o.ok);
  if (got === undefined || !got.ok) return undefined;
  const now = new Date();
  const desc = await decodeHsDesc(got.descriptor, {
    identity: parseOnionAddress(address),
    periods: periodsAround(now, PERIOD_MINUTES),
    now,
  }).catch(() => undefined);
  const byKey = new Map(desc?.inner.introPoints.map((p) => [p.authKey.toString(), relayOf(p)]));
  const relays = keys.map((k) => byKey.get(k));
  return relays.every((r) => r !== undefined) ? relays as string[] : undefined;
}

/**
 * One HSDir per distinct descriptor of the slot clients use now, and per descriptor the intro
 * points chosen for it (published, or left out because their relay carries another one).
 */
async function hsDirPerGroup(
  balancer: SharedBalancer,
): Promise<{ groups: number[]; hsDirs: string[]; period: number; counts: number[] }> {
  const status = await balancer.daemon.status();
  const slot = currentSlot(status);
  if (slot === undefined) return { groups: [], hsDirs: [], period: 0, counts: [] };
  const byGroup = new Map<number, string>();
  for (const h of slot.hsDirs) {
    if (!byGroup.has(h.descriptor)) byGroup.set(h.descriptor, h.fingerprint);
  }
  const counts = slot.introPoints.map((n, i) => n + (slot.introPointsSameRelay[i] ?? 0));
  return {
    groups: [...byGroup.keys()],
    hsDirs: [...byGroup.values()],
    period: slot.timePeriod,
    counts,
  };
}

/** intro-points-per-instance in the 12-backend cases. */
const PER_INSTANCE = 2;
/** The config of the 12-backend cases: 2 intro points per backend, fast health checks. */
const TWELVE = `${FAST_HEALTH}intro-points-per-instance: ${PER_INSTANCE}\n`;

/**
 * All 12 backends of the deployment running, usable and published in two distinct
 * descriptors of 12 intro points chosen each (one per relay published), under the
 * {@link TWELVE} config.
 */
async function twelveBackendsPublished(balancer: SharedBalancer): Promise<BackendTor[]> {
  const all = await allBackends(balancer);
  if (balancer.configExtra !== TWELVE) await reload(balancer, TWELVE);
  // Each new backend passes a health check (failing ones are re-checked every 10/3 s), is
  // fetched at once, and the descriptors are republished: 24 intro points chosen, 2
  // descriptors (on 8 relays, each publishes at most 8 of its 12: one per relay).
  await waitFor("every backend to be usable", async () => {
    const instances = (await balancer.daemon.status()).services[0]!.instances;
    const unusable = instances.filter((x) => x.state !== "usable");
    return unusable.length === 0 && instances.length === all.length
      ? { done: true, value: undefined }
      : { done: false, state: JSON.stringify(unusable.map((x) => [x.state, x.reason])) };
  }, { timeoutMs: 180_000, intervalMs: 2_000 });
  await waitFor("two distinct descriptors of 12 intro points chosen", async () => {
    const { counts } = await hsDirPerGroup(balancer);
    return counts.join(",") === "12,12"
      ? { done: true, value: undefined }
      : { done: false, state: `intro points per descriptor: ${counts.join(",")}` };
  }, { timeoutMs: 60_000, intervalMs: 1_000 });
  return all;
}

Deno.test({
  name:
    "e2e: 12 backends (more intro points than one descriptor holds): a Tor client reaches all 12",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const balancer = await sharedBalancer();
    const { daemon } = balancer;
    const all = await twelveBackendsPublished(balancer);
    // Clients fetch the descriptor from one HSDir at random and take intro points at random
    // from it; NEWNYM makes the client forget the descriptor. Intro points of different
    // backends share relays on this 8-relay network, so republishes (new shuffles) help too.
    const seen = new Map<string, number>();
    const names = all.map((b) => b.name).sort();
    // Every other round a reload toggles 3 ↔ 2 intro points per backend (36 or 24 intro
    // points, always 2 descriptors), so the descriptors are republished and reshuffled. With 3
    // per backend, a backend is shadowed only when all three of its intro points are.
    try {
      for (let round = 0; round < 60 && seen.size < names.length; round++) {
        if (round % 2 === 0) {
          const perBackend = round % 4 === 0 ? 3 : 2;
          const m = await reload(
            balancer,
            `${FAST_HEALTH}intro-points-per-instance: ${perBackend}\n`,
          );
          await within(
            60_000,
            "a republish",
            daemon.waitForLine(/Publishing the \w+ descriptor/, 60_000, m),
          );
        }
        await newnym(balancer);
        for (const [name, count] of await within(300_000, "fetches", reachBackends(balancer, 8))) {
          seen.set(name, (seen.get(name) ?? 0) + count);
        }
      }
      console.log(`12 backends reached: ${[...seen].map(([n, c]) => `${n}×${c}`).join(", ")}`);
      assert.deepEqual([...seen.keys()].sort(), names);
    } finally {
      await reload(balancer, TWELVE);
    }
  },
});

Deno.test({
  name: "e2e: a killed backend leaves the descriptors on the HSDirs, and returns when restarted",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const balancer = await sharedBalancer();
    const { daemon, shared } = balancer;
    await twelveBackendsPublished(balancer);
    const victim = shared.backends[1]!;
    const held = async () =>
      new Set(
        (await daemon.status()).services[0]!.instances
          .find((x) => x.onionAddress === victim.onionAddress)?.introPointKeys ?? [],
      );
    const published = async () => {
      const { hsDirs, period } = await hsDirPerGroup(balancer);
      return await frontendIntroKeys(balancer, hsDirs, period);
    };
    const before = await held();
    const publishedBefore = await waitFor("the descriptors on the HSDirs", async () => {
      const keys = await published();
      return keys !== undefined && [...before].some((k) => keys.has(k))
        ? { done: true, value: keys }
        : { done: false, state: keys === undefined ? "a fetch failed" : "the victim not in them" };
    }, { timeoutMs: 60_000, intervalMs: 1_000 });
    assert.ok([...before].some((k) => publishedBefore.has(k)), "the victim is in the descriptors");
    // Which of the distinct descriptors carries the victim (its group stays the same when it
    // returns with as many intro points).
    const victimGroup = await waitFor("the victim's descriptor group on the HSDirs", async () => {
      const groups = await groupDescriptors(balancer);
      const group = [...groups?.entries() ?? []]
        .find(([, g]) => [...before].some((k) => g.keys.has(k)))?.[0];
      return group !== undefined
        ? { done: true, value: group }
        : { done: false, state: groups === undefined ? "a fetch failed" : "not found" };
    }, { timeoutMs: 60_000, intervalMs: 1_000 });
    // Killed like a crash. The bound: two check intervals plus one publish.
    const victimTag = victim.onionAddress.slice(0, 56);
    let from = daemon.lines.length;
    const killedAt = Date.now();
    await stopNode(shared.net.dir, victim.name, { graceMs: 0 });
    const out = await publishedAfter(balancer, new RegExp(`${victimTag}.*left out`), {
      from,
      since: killedAt,
    });
    const goneAfter = await waitFor(
      "the HSDirs to serve descriptors without the killed backend",
      async () => {
        const now = await published();
        return now !== undefined && now.size > 0 && ![...before].some((k) => now.has(k))
          ? { done: true, value: (Date.now() - killedAt) / 1000 }
          : { done: false, state: now === undefined ? "a fetch failed" : "still served" };
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    console.log(
      `killed backend: left out after ${out.decidedS.toFixed(1)} s, all ` +
        `${out.hsDirs} uploads accepted after ${
          out.doneS.toFixed(1)
        } s, seen gone by an HSDir fetch after ` +
        `${goneAfter.toFixed(1)} s (bound: 2 × ${HEALTH_INTERVAL_S} s + one publish)`,
    );
    for (const line of daemon.lines.slice(from).filter((l) => l.includes(victimTag))) {
      if (/health check/i.test(line)) console.log(`  ${line}`);
    }
    assert.ok(out.decidedS <= 2 * HEALTH_INTERVAL_S + 1, `left out after ${out.decidedS} s`);
    assert.ok(
      out.doneS - out.decidedS <= ONE_PUBLISH_S,
      `publish took ${out.doneS - out.decidedS} s`,
    );
    // Restarted: its tor publishes a new descriptor with new intro points; a health check
    // passes, the balancer fetches it at once and republishes.
    from = daemon.lines.length;
    const restartedAt = Date.now();
    await restartNode(shared.net.dir, victim.name);
    const back = await publishedAfter(balancer, new RegExp(`${victimTag}.*back in the`), {
      from,
      since: restartedAt,
    });
    // Served: one of its new intro points is in a descriptor on the HSDirs. On this network of 8
    // relays its new intro points may all be on relays that other backends' intro points already
    // have in its group's descriptor; one intro point per relay (onePerRelay) then leaves it out,
    // and no tor client could have introduced through it anyway (a client uses the first intro
    // point listed on the relay it reached).
    const backAfter = await waitFor(
      "the HSDirs to serve the restarted backend's new intro points",
      async () => {
        const heldNow = [...await held()];
        const fresh = heldNow.filter((k) => !before.has(k));
        const groups = await groupDescriptors(balancer);
        const at = (Date.now() - restartedAt) / 1000;
        if (groups === undefined) return { done: false, state: "a fetch failed" };
        if (fresh.some((k) => [...groups.values()].some((g) => g.keys.has(k)))) {
          return { done: true, value: { at, served: true } };
        }
        // Its candidates: the first intro-points-per-instance of its descriptor (none of them
        // was published before: chooseIntroPoints).
        const candidates = heldNow.slice(0, PER_INSTANCE).filter((k) => !before.has(k));
        const taken = groups.get(victimGroup)?.relays;
        const own = candidates.length > 0
          ? await backendIntroRelays(balancer, victim, candidates)
          : [];
        if (taken === undefined || own === undefined || own.length === 0) {
          return { done: false, state: "not served; its own descriptor not read yet" };
        }
        const busy = own.filter((r) => taken.has(r)).length;
        return busy === own.length ? { done: true, value: { at, served: false } } : {
          done: false,
          state: `not served, though ${own.length - busy} of its ${own.length} candidate ` +
            `intro points' relays are free in its descriptor (group ${victimGroup})`,
        };
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    console.log(
      `restarted backend: back after ${back.decidedS.toFixed(1)} s, all ` +
        `${back.hsDirs} uploads accepted after ${back.doneS.toFixed(1)} s, ` +
        (backAfter.served
          ? `seen by an HSDir fetch after ${backAfter.at.toFixed(1)} s`
          : `left out of the descriptors on the HSDirs at ${backAfter.at.toFixed(1)} s: each ` +
            `of its new intro points is on a relay that carries another one there`),
    );
    for (const line of daemon.lines.slice(from).filter((l) => l.includes(victimTag))) {
      if (/health check|intro points/i.test(line)) console.log(`  ${line}`);
    }
    assert.ok(back.decidedS <= 2 * HEALTH_INTERVAL_S + 1, `back after ${back.decidedS} s`);
    assert.ok(
      back.doneS - back.decidedS <= ONE_PUBLISH_S,
      `publish took ${back.doneS - back.decidedS} s`,
    );
  },
});

Deno.test({
  name: "e2e: SIGTERM stops the balancer cleanly with exit code 0",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const { daemon } = await sharedBalancer();
    // Stopped while at work: after its first upload, at the latest.
    await within(90_000, "the first upload", daemon.waitForLine(/Uploaded /, 90_000));
    assert.equal(await stopBalancer(), 0);
    assert.ok(daemon.lines.some((l) => /Stopped/.test(l)));
  },
});
