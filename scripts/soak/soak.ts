// deno-lint-ignore-file no-console -- a soak prints its progress and its figures
/**
 * A soak on a private Tor network of its own: N backends serving several frontend addresses,
 * one balancer per address (this build; with `--before`, an earlier build; with
 * `--onionbalance`, OnionBalance 0.2.2), a tor client probing every address on fresh circuits,
 * and a fault schedule (`schedule.ts`) applied to all of them at once. The network votes every
 * 20 s, so a time period lasts 8 minutes and the backends rotate their descriptors every 8.
 *
 * It records every probe, backend sample and served frontend descriptor in `events.jsonl`
 * and prints, per balancer: availability and latency (around each rotation too), intro points
 * published that were closed (30 s after each rotation, and over the whole run), how long each
 * killed backend stayed in the descriptors, memory, and exits. `summary.json` holds the same.
 *
 * Usage:
 *   deno task soak [--minutes 45] [--no-faults] [--backends 4] [--before PATH/main.ts]
 *                  [--onionbalance] [--probe-every 5]
 *
 * The network is stopped at the end; its folder (under /tmp, mode 0700, with the run's test
 * keys, logs, `soak/events.jsonl` and `soak/summary.json`) stays for reading and is the caller's
 * to delete.
 *
 * @module
 */

import { Command } from "commander";
import type { ControlClient } from "../../src/control/mod.ts";
import {
  makeOnionKey,
  restartNode,
  startBackends,
  startExtraFrontends,
  startNetwork,
  stopNetwork,
  stopNode,
} from "../testnet/mod.ts";
import { findFreeBasePort } from "../testnet/ports.ts";
import { probeLoop } from "../bench/follow_scenario.ts";
import { BalancerProcess, type BalancerSpec } from "./balancers.ts";
import { openControl, sampleBackend, sampleServed } from "./observe.ts";
import {
  type BackendSample,
  classifyClosed,
  closedOverTime,
  type KillRecord,
  leftOutTimes,
  type ProbeRecord,
  type RotationCheck,
  rotationTimes,
  type ServedSnapshot,
  summarizeProbes,
} from "./report.ts";
import { type Fault, faultSchedule } from "./schedule.ts";

const PERIOD_MINUTES = 8;
const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

interface Options {
  minutes: string;
  faults: boolean;
  backends: string;
  before?: string;
  onionbalance?: boolean;
  probeEvery: string;
}

/** Everything recorded during the run. */
interface Recording {
  probes: ProbeRecord[];
  samples: BackendSample[];
  served: ServedSnapshot[];
  checks: RotationCheck[];
  kills: KillRecord[];
  rss: { balancer: string; at: number; bytes: number }[];
}

async function main(o: Options): Promise<void> {
  const minutes = Number(o.minutes);
  const nBackends = Number(o.backends);
  const dir = await Deno.makeTempDir({ prefix: "ob-soak-" });
  const say = (line: string) => console.log(`[${new Date().toISOString()}] ${line}`);
  say(`soak in ${dir}: ${minutes} min, ${nBackends} backends, faults ${o.faults ? "on" : "off"}`);
  const net = await startNetwork(dir, {
    basePort: findFreeBasePort(Array.from({ length: 10 }, (_, i) => 17000 + 200 * i)),
    votingIntervalSeconds: 20,
    ownerPid: Deno.pid,
    timeoutMs: 180_000,
  });
  const labels = ["this", ...(o.before ? ["before"] : []), ...(o.onionbalance ? ["ob"] : [])];
  // One tor per balancer besides the network's own frontend, and one for the observer.
  const extra = await startExtraFrontends(net, labels.length, { timeoutMs: 90_000 });
  const observerTor = extra.at(-1)!;
  const keys = await Promise.all(labels.map((l) => makeOnionKey(net, `frontend-${l}`)));
  const backends = await startBackends(net, nBackends, {
    masterOnionAddress: keys.map((k) => k.onionAddress),
    timeoutMs: 90_000,
  });
  const runDir = `${dir}/soak`;
  await Deno.mkdir(runDir, { mode: 0o700 });
  const tors = [
    { name: "frontend", controlPort: net.frontend.controlPort },
    ...extra.slice(0, -1),
  ];
  const balancers = labels.map((label, i) => {
    const spec: BalancerSpec = {
      label,
      main: label === "this" ? MAIN : label === "before" ? o.before : undefined,
      keyPath: `${keys[i]!.hiddenServiceDir}/hs_ed25519_secret_key`,
      onionAddress: keys[i]!.onionAddress,
      controlPort: tors[i]!.controlPort,
    };
    return new BalancerProcess(spec, runDir, backends.map((b) => b.onionAddress), dir);
  });
  const observer = await openControl(observerTor.controlPort);
  const rec: Recording = { probes: [], samples: [], served: [], checks: [], kills: [], rss: [] };
  const events = await Deno.open(`${runDir}/events.jsonl`, { create: true, write: true });
  const log = (kind: string, value: unknown) =>
    void events.write(
      new TextEncoder().encode(JSON.stringify({ kind, ...value as object }) + "\n"),
    );
  try {
    for (const b of balancers) await b.start();
    say(`balancers ${balancers.map((b) => `${b.spec.label} ${b.spec.onionAddress}`).join(", ")}`);
    await waitForFirstPublish(balancers, observer, say);
    const stop = new AbortController();
    const t0 = Date.now();
    const loops = [
      ...balancers.map(async (b) => {
        const probes = await probeLoop(`http://${b.spec.onionAddress}/`, net.socks, stop.signal, {
          everyMs: Number(o.probeEvery) * 1000,
          timeoutMs: 30_000,
        });
        for (const p of probes) {
          const r = { balancer: b.spec.label, ...p, detail: p.detail };
          rec.probes.push(r);
          log("probe", r);
        }
      }),
      observeLoop(balancers, backends, observer, rec, log, stop.signal),
    ];
    const faults = o.faults ? faultSchedule({ minutes, backends: nBackends }) : [];
    for (const fault of faults) {
      await sleep(t0 + fault.atMs - Date.now());
      say(`fault: ${describeFault(fault)}`);
      log("fault", { at: Date.now(), fault: describeFault(fault) });
      await applyFault(fault, dir, balancers, rec);
    }
    await sleep(t0 + minutes * 60_000 - Date.now());
    stop.abort();
    await Promise.all(loops);
    const summary = report(balancers, rec, t0);
    await Deno.writeTextFile(`${runDir}/summary.json`, JSON.stringify(summary, null, 2));
    say(`done; events and logs in ${runDir}`);
  } finally {
    events.close();
    await observer.close().catch(() => {});
    for (const b of balancers) await b.stop();
    await stopNetwork(dir);
  }
}

async function waitForFirstPublish(
  balancers: readonly BalancerProcess[],
  observer: ControlClient,
  say: (line: string) => void,
): Promise<void> {
  const deadline = Date.now() + 300_000;
  const waiting = new Set(balancers);
  while (waiting.size > 0 && Date.now() < deadline) {
    for (const b of [...waiting]) {
      const s = await sampleServed(b.spec, observer, PERIOD_MINUTES);
      if (s.keys !== undefined && s.keys.length > 0) {
        say(`${b.spec.label}: first descriptor on the HSDirs`);
        waiting.delete(b);
      }
    }
    await sleep(5_000);
  }
  if (waiting.size > 0) {
    throw new Error(`No descriptor within 300 s from ${[...waiting].map((b) => b.spec.label)}`);
  }
}

/** Samples backends every 5 s, served descriptors and memory every 10 s, and checks rotations. */
async function observeLoop(
  balancers: readonly BalancerProcess[],
  backends: readonly { onionAddress: string; controlPort: number }[],
  observer: ControlClient,
  rec: Recording,
  log: (kind: string, value: unknown) => void,
  stop: AbortSignal,
): Promise<void> {
  let turn = 0;
  const checked = new Set<number>();
  while (!stop.aborted) {
    const started = Date.now();
    const samples = await Promise.all(
      backends.map((b, index) => sampleBackend({ index, ...b }, observer, PERIOD_MINUTES)),
    );
    for (const s of samples) (rec.samples.push(s), log("backend", s));
    if (turn++ % 2 === 0) {
      for (const b of balancers) {
        const s = await sampleServed(b.spec, observer, PERIOD_MINUTES);
        rec.served.push(s);
        log("served", s);
        const bytes = await b.rssBytes();
        if (bytes !== undefined) rec.rss.push({ balancer: b.spec.label, at: Date.now(), bytes });
      }
    }
    for (const rotatedAt of rotationTimes(rec.samples)) {
      if (checked.has(rotatedAt) || Date.now() < rotatedAt + 30_000) continue;
      checked.add(rotatedAt);
      for (const b of balancers) {
        // Three fetches, each from an HSDir tor picks: the worst of what clients may get.
        const got = new Set<string>();
        for (let i = 0; i < 3; i++) {
          const s = await sampleServed(b.spec, observer, PERIOD_MINUTES);
          for (const k of s.keys ?? []) got.add(k);
        }
        const check: RotationCheck = {
          balancer: b.spec.label,
          rotatedAt,
          total: got.size,
          ...classifyClosed(got, rec.samples, Date.now()),
        };
        rec.checks.push(check);
        log("rotation-check", check);
      }
    }
    await sleep(started + 5_000 - Date.now());
  }
}

async function applyFault(
  fault: Fault,
  dir: string,
  balancers: readonly BalancerProcess[],
  rec: Recording,
): Promise<void> {
  const frontends = ["frontend", ...balancers.slice(1).map((_, i) => `frontend${i + 1}`)];
  switch (fault.kind) {
    case "kill-backend":
      rec.kills.push({ backend: fault.backend, at: Date.now() });
      await stopNode(dir, `backend${fault.backend}`, { graceMs: 0 });
      return;
    case "restart-backend": {
      const kill = rec.kills.findLast((k) => k.backend === fault.backend);
      if (kill !== undefined) kill.restartedAt = Date.now();
      await restartNode(dir, `backend${fault.backend}`);
      return;
    }
    case "kill-frontend-tors":
      for (const name of frontends) await stopNode(dir, name, { graceMs: 0 });
      return;
    case "restart-frontend-tors":
      for (const name of frontends) await restartNode(dir, name);
      return;
    case "sighup-balancers":
      for (const b of balancers) b.signal("SIGHUP");
      return;
    case "kill-balancers":
      for (const b of balancers) b.signal("SIGKILL");
      return;
    case "restart-balancers":
      for (const b of balancers) await b.start();
      return;
  }
}

function describeFault(fault: Fault): string {
  return "backend" in fault ? `${fault.kind} ${fault.backend}` : fault.kind;
}

function report(balancers: readonly BalancerProcess[], rec: Recording, t0: number): unknown {
  const rotations = rotationTimes(rec.samples);
  const out: Record<string, unknown> = {};
  for (const b of balancers) {
    const label = b.spec.label;
    const probes = rec.probes.filter((p) => p.balancer === label);
    const all = summarizeProbes(probes);
    const around = rotations.map((r) => ({
      rotation: new Date(r).toISOString(),
      ...summarizeProbes(probes.filter((p) => p.at >= r - 30_000 && p.at < r + 90_000)),
    }));
    const checks = rec.checks.filter((c) => c.balancer === label);
    const leftOut = leftOutTimes(rec.kills, rec.served, rec.samples, label);
    const rss = rec.rss.filter((r) => r.balancer === label).map((r) => r.bytes / 2 ** 20);
    const entry = {
      probes: all,
      aroundRotations: around,
      closedAfterRotation: checks.map((c) =>
        `${c.closed}/${c.total}` +
        (c.ofDownBackends > 0 ? ` (+${c.ofDownBackends} of down backends)` : "")
      ),
      closedOverTime: closedOverTime(rec.served.filter((s) => s.balancer === label), rec.samples),
      killedBackendLeftOutAfterS: leftOut.map((l) =>
        l.afterMs === undefined ? "not before restart" : Math.round(l.afterMs / 1000)
      ),
      rssMB: rss.length === 0 ? null : { first: rss[0]!, max: Math.max(...rss), last: rss.at(-1)! },
      starts: b.starts,
      unexpectedExits: b.unexpectedExits.map((e) => ({ atS: (e.at - t0) / 1000, code: e.code })),
    };
    out[label] = entry;
    const f = (n: number) => n.toFixed(1);
    console.log(`\n== ${label} (${b.spec.main ?? "/usr/sbin/onionbalance"})`);
    console.log(
      `probes ${all.count}, ${
        f(all.availability)
      } % ok; latency p50 ${all.p50} ms, p90 ${all.p90}` +
        ` ms, p99 ${all.p99} ms, max ${all.max} ms; over 2 s: ${all.over2s}, over 5 s: ` +
        `${all.over5s}; longest outage ${f(all.longestOutageMs / 1000)} s; failures ` +
        JSON.stringify(all.failures),
    );
    console.log(`answered by ${JSON.stringify(all.answeredBy)}`);
    for (const a of around) {
      console.log(
        `  rotation ${a.rotation} (-30 s … +90 s): ${a.count} probes, ${f(a.availability)} % ok,` +
          ` p90 ${a.p90} ms, max ${a.max} ms, over 5 s: ${a.over5s}`,
      );
    }
    console.log(
      `closed intro points of live backends 30 s after each rotation: ${entry.closedAfterRotation}`,
    );
    console.log(`closed intro points over the run: ${JSON.stringify(entry.closedOverTime)}`);
    console.log(
      `killed backend gone from the descriptor after (s): ${entry.killedBackendLeftOutAfterS}`,
    );
    console.log(
      `RSS MB: ${JSON.stringify(entry.rssMB)}; starts ${b.starts}; unexpected exits ` +
        JSON.stringify(entry.unexpectedExits),
    );
  }
  return out;
}

await new Command("soak")
  .option("--minutes <n>", "length of the measurement", "45")
  .option("--no-faults", "no fault schedule: the network and the balancers just run")
  .option("--backends <n>", "backends (each serves every frontend address)", "4")
  .option("--before <main.ts>", "also run this build (e.g. a git worktree of an earlier commit)")
  .option("--onionbalance", "also run OnionBalance 0.2.2 (/usr/sbin/onionbalance)")
  .option("--probe-every <s>", "seconds between two probes of one address", "5")
  .action(main)
  .parseAsync(Deno.args, { from: "user" });
