// deno-lint-ignore-file no-console -- a benchmark prints its figures
/**
 * Measures how well a balancer build follows its backends' intro points, on a
 * private Tor network of its own, and prints the figures:
 *
 * - `rotation`: a 10 s voting interval (4-minute periods, a backend rotation
 *   every 4 minutes). For each of N rotations, the intro points of the frontend
 *   descriptor clients use, on every responsible HSDir, 10 s after every backend
 *   rotated, that are not in a backend's current descriptor; and the latency of
 *   a client's requests (one a second) within 60 s of each rotation.
 * - `busy`: backends retire an intro point after 20–40 introductions; two
 *   request loops of one a second (returning clients, which keep the descriptor
 *   they fetched) and a new client every 10 s (its own tor, cache dropped before
 *   each request) for the given time; how long a retired intro point stays in
 *   the frontend descriptor on the HSDirs, and each kind's success rate and
 *   latency.
 *
 * Usage:
 *   deno run -A scripts/bench/follow.ts rotation|busy [--main PATH] [--rotations N] [--seconds S]
 *
 * `--main` runs another checkout's `main.ts` (e.g. a `git worktree` of an earlier commit), so
 * the same scenario measures before and after a change.
 *
 * @module
 */

import { Command } from "commander";
import { connectControl, type ControlClient, hsFetch } from "../../src/control/mod.ts";
import { parseOnionAddress } from "../../src/keys/mod.ts";
import { Logger } from "../../src/log/mod.ts";
import { decodeHsDesc } from "../../src/netdoc/hsdesc/mod.ts";
import type { SocksProxy } from "../../src/socks/mod.ts";
import { TimePeriod } from "../../src/time/mod.ts";
import { type DaemonProcess, startDaemon } from "../../tests/e2e/_daemon.ts";
import { bootNetwork, type SharedNetwork } from "../../tests/e2e/_network.ts";
import { startExtraFrontends } from "../testnet/mod.ts";
import {
  BackendWatch,
  BUSY_INTRODUCE2,
  newClientLoop,
  type Probe,
  probeLoop,
  PublishLag,
  summarize,
  uploadedByAll,
  waitForRotation,
} from "./follow_scenario.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The current-period frontend descriptor's intro points, as HSDir `hsDir` serves it. */
async function servedKeys(
  client: ControlClient,
  shared: SharedNetwork,
  hsDir: string,
  period: TimePeriod,
): Promise<string[] | undefined> {
  const address = shared.master.onionAddress.replace(/\.onion$/, "");
  const result = await hsFetch(client, address, { servers: [hsDir], timeoutMs: 20_000 });
  const got = result.outcomes.find((o) => o.ok);
  if (got === undefined || !got.ok) return undefined;
  const desc = await decodeHsDesc(got.descriptor, {
    identity: parseOnionAddress(shared.master.onionAddress),
    periods: [period],
    now: new Date(),
  });
  return desc.inner.introPoints.map((p) => p.authKey.toString());
}

/** The HSDirs of the slot whose period is the consensus's, and that period. */
async function currentSlot(
  daemon: DaemonProcess,
  periodMinutes: number,
): Promise<{ hsDirs: string[]; period: TimePeriod } | undefined> {
  const status = await daemon.status();
  const tp = status.consensus?.timePeriod;
  const slot = Object.values(status.services[0]!.descriptors).find((d) => d?.timePeriod === tp);
  if (slot === undefined || slot === null || tp === undefined) return undefined;
  return {
    hsDirs: slot.hsDirs.map((h) => h.fingerprint),
    period: new TimePeriod(tp, periodMinutes),
  };
}

async function rotation(
  shared: SharedNetwork,
  daemon: DaemonProcess,
  client: ControlClient,
  n: number,
) {
  const periodMinutes = 4;
  const watches = await Promise.all(
    shared.backends.map((b) => BackendWatch.open(b.controlPort, b.onionAddress, periodMinutes)),
  );
  const stop = new AbortController();
  const probing = probeLoop(
    `http://${shared.master.onionAddress}/`,
    shared.net.socks,
    stop.signal,
    {
      everyMs: 1_000,
      timeoutMs: 30_000,
    },
  );
  const rotations: number[] = [];
  let baseline = await Promise.all(watches.map((w) => w.current()));
  const deadline = Date.now() + (n + 1) * 240_000;
  while (rotations.length < n && Date.now() < deadline) {
    const at = await waitForRotation(watches, baseline, deadline);
    if (at === undefined) break;
    rotations.push(at);
    for (const after of [10_000, 60_000]) {
      await sleep(at + after - Date.now());
      const current = await Promise.all(watches.map((w) => w.current()));
      baseline = current;
      const open = new Set(current.flatMap((c) => [...c.introKeys]));
      const slot = await currentSlot(daemon, periodMinutes);
      let total = 0;
      let closed = 0;
      const revisions = new Set<string>();
      for (const hsDir of slot?.hsDirs ?? []) {
        const keys = await servedKeys(client, shared, hsDir, slot!.period).catch(() => undefined);
        total += keys?.length ?? 0;
        closed += keys?.filter((k) => !open.has(k)).length ?? 0;
      }
      const status = await daemon.status();
      for (const d of Object.values(status.services[0]!.descriptors)) {
        if (d !== null) revisions.add(`${d.timePeriod}:${d.revisionCounter}`);
      }
      console.log(
        `rotation ${rotations.length} (${new Date(at).toISOString()}): ${after / 1000} s later, ` +
          `${closed} of ${total} intro points on the ${slot?.hsDirs.length ?? 0} HSDirs clients ` +
          `use are closed (published: ${[...revisions].join(", ")})`,
      );
    }
  }
  await sleep(60_000);
  stop.abort();
  const probes = await probing;
  for (const [i, r] of rotations.entries()) {
    report(
      `requests within 60 s of rotation ${i + 1}`,
      probes.filter((p) => Math.abs(p.at - r) < 60_000),
    );
  }
  report("all requests", probes);
  const errors = new Map<string, number>();
  for (const p of probes.filter((p) => !p.ok)) {
    const kind = p.detail.replace(/^.*\((\w+)\)$/, "$1");
    errors.set(kind, (errors.get(kind) ?? 0) + 1);
  }
  if (errors.size > 0) console.log("failures:", Object.fromEntries(errors));
  for (const w of watches) await w.close();
}

async function busy(
  shared: SharedNetwork,
  daemon: DaemonProcess,
  client: ControlClient,
  fresh: { proxy: SocksProxy; control: ControlClient },
  seconds: number,
) {
  const periodMinutes = 8;
  const stop = new AbortController();
  const url = `http://${shared.master.onionAddress}/`;
  // Two returning clients (they keep the descriptor they fetched), one request a second each,
  // and a new client every 10 s on a tor of its own.
  const loads = [0, 1].map(() =>
    probeLoop(url, shared.net.socks, stop.signal, { everyMs: 1_000, timeoutMs: 30_000 })
  );
  const newClients = newClientLoop(url, fresh, stop.signal, { everyMs: 10_000, timeoutMs: 30_000 });
  const lag = new PublishLag();
  const seen = new Set<string>();
  const start = Date.now();
  let turn = 0;
  while (Date.now() - start < seconds * 1000) {
    // What each backend uploaded last for the period clients use.
    const backendKeys = await uploadedByAll(
      client,
      shared.backends.map((b) => b.onionAddress),
      periodMinutes,
    );
    if (backendKeys === undefined) {
      await sleep(1_000);
      continue;
    }
    for (const k of backendKeys) seen.add(k);
    const slot = await currentSlot(daemon, periodMinutes);
    if (slot !== undefined && slot.hsDirs.length > 0) {
      // The descriptor clients get, from one responsible HSDir in turn.
      const hsDir = slot.hsDirs[turn++ % slot.hsDirs.length]!;
      const keys = await servedKeys(client, shared, hsDir, slot.period).catch(() => undefined);
      if (keys !== undefined) lag.observe(Date.now(), backendKeys, new Set(keys));
    }
    await sleep(1_000);
  }
  stop.abort();
  const probes = (await Promise.all(loads)).flat();
  const lags = [...lag.lags].sort((a, b) => a - b);
  const pending = lag.pending(Date.now());
  console.log(
    `${seen.size} distinct backend intro points in ${seconds} s; ${lags.length} retired while ` +
      `published, gone from the HSDirs after p50 ${lags[Math.floor(lags.length / 2)] ?? 0} ms, ` +
      `p90 ${lags[Math.floor(lags.length * 0.9)] ?? 0} ms, max ${lags.at(-1) ?? 0} ms; ` +
      `${pending.length} still there at the end (${pending.join(", ")} ms)`,
  );
  report("returning clients' requests", probes);
  for (const p of probes.filter((p) => !p.ok)) {
    console.log(`  failed at ${new Date(p.at).toISOString()} after ${p.ms} ms: ${p.detail}`);
  }
  const newProbes = await newClients;
  report("new clients' requests", newProbes);
  for (const p of newProbes.filter((p) => !p.ok)) {
    console.log(`  failed at ${new Date(p.at).toISOString()} after ${p.ms} ms: ${p.detail}`);
  }
}

function report(what: string, probes: Probe[]): void {
  const s = summarize(probes);
  const ok = s.count === 0 ? 0 : (100 * (s.count - s.failed)) / s.count;
  console.log(
    `${what}: ${s.count}, ${
      ok.toFixed(1)
    } % succeeded; latency p50 ${s.p50} ms, p90 ${s.p90} ms, ` +
      `max ${s.max} ms; over 5 s: ${probes.filter((p) => p.ms > 5_000).length}`,
  );
}

const program = new Command("follow")
  .argument("<scenario>", "rotation or busy")
  .option("--main <path>", "main.ts of the build to measure (default: this checkout)")
  .option("--rotations <n>", "rotations to observe (rotation)", "2")
  .option("--seconds <s>", "how long to load the service (busy)", "180")
  .action(async (scenario: string, o: { main?: string; rotations: string; seconds: string }) => {
    if (scenario !== "rotation" && scenario !== "busy") {
      throw new Error(`unknown scenario ${scenario}`);
    }
    const shared = await bootNetwork(
      scenario === "rotation"
        ? { consensusParams: {}, votingIntervalSeconds: 10, deployed: 3, started: 3 }
        : {
          consensusParams: BUSY_INTRODUCE2,
          deployed: 3,
          started: 3,
        },
    );
    const daemon = startDaemon(shared, { main: o.main });
    // Every HSFETCH of the measurement goes through a tor of its own: a fetched descriptor
    // lands in the fetching tor's cache, and the probing client must find only its own.
    const [observer, newClient] = await startExtraFrontends(shared.net, 2);
    const client = await connectControl({
      endpoint: { transport: "tcp", hostname: "127.0.0.1", port: observer!.controlPort },
      log: new Logger({ level: "critical" }),
      reconnect: false,
    });
    try {
      await daemon.waitForLine(/Uploaded|[Uu]pload/, 120_000);
      console.log(`${scenario} with ${o.main ?? "this checkout"}`);
      if (scenario === "rotation") await rotation(shared, daemon, client, Number(o.rotations));
      else {
        const control = await connectControl({
          endpoint: { transport: "tcp", hostname: "127.0.0.1", port: newClient!.controlPort },
          log: new Logger({ level: "critical" }),
          reconnect: false,
        });
        const proxy = { hostname: "127.0.0.1", port: newClient!.socksPort };
        try {
          await busy(shared, daemon, client, { proxy, control }, Number(o.seconds));
        } finally {
          await control.close();
        }
      }
    } finally {
      await client.close();
      await daemon.stop();
    }
  });

await program.parseAsync(Deno.args, { from: "user" });
