// deno-lint-ignore-file no-console -- a soak prints its progress and its figures
/**
 * A soak on a private Tor network of its own: N backends serving several frontend addresses,
 * one balancer per address (this build; with `--before`, an earlier build; with
 * `--onionbalance`, OnionBalance 0.2.2), a tor client probing every address on fresh circuits,
 * and a seeded fault schedule (`schedule.ts`) applied to all of them at once. The network votes
 * every 20 s (`--voting 10`: every 10 s), so a time period lasts 8 minutes (4) and the backends
 * rotate their descriptors as often.
 *
 * It records every probe, backend sample, served frontend descriptor, HSDir copy and memory
 * sample in `events.jsonl`, with the probing tor's circuit and stream events around each failed
 * or slow probe (`probe-trace`), prints per balancer its figures and its targets' verdicts
 * (`targets.ts`), and writes `summary.json` and `timeline.svg` (`summary.ts`). It exits 1 when
 * this build missed a target.
 *
 * Usage:
 *   deno task soak [--minutes 45] [--no-faults] [--backends 4] [--seed soak] [--voting 20]
 *                  [--before PATH/main.ts] [--onionbalance] [--probe-every 5] [--short]
 *                  [--busy [N]] [--trace-info] [--v8-flags FLAGS]
 *
 * `--busy` makes the backends busy services: the authorities vote hs_intro_min_introduce2=20 and
 * hs_intro_max_introduce2=40 (`--busy N`: N and 2N), and the first backend's own address is
 * requested as often as each frontend is probed, so introductions retire intro points every few
 * minutes, and an HSDir copy may hold one a live backend retired in the last 60 s. `--short` is for runs of a few minutes: backend faults every 2 minutes instead of 4, and
 * memory judged from a third of the run instead of 10 minutes. `--trace-info` keeps tor's
 * info-level logs (see the option's help); `--v8-flags` runs this build with V8 flags, beside
 * `--before` at the defaults, to compare memory.
 *
 * The network is stopped at the end; its folder (under /tmp, mode 0700, with the run's test
 * keys, logs and the `soak/` results) stays for reading and is the caller's to delete.
 *
 * @module
 */

import { Command } from "commander";
import type { ControlClient } from "../../src/control/mod.ts";
import { type SocksProxy, writeAll } from "../../src/socks/mod.ts";
import {
  makeOnionKey,
  restartNode,
  startBackends,
  startExtraFrontends,
  startNetwork,
  stopNetwork,
  stopNode,
} from "../testnet/mod.ts";
import { nodeDir } from "../testnet/nodes.ts";
import { findFreeBasePort } from "../testnet/ports.ts";
import { ClientTrace, periodStartsMs, racedAtBoundaries } from "../bench/client_trace.ts";
import { BUSY_INTRODUCE2, probeSchedule } from "../bench/follow_scenario.ts";
import { BalancerProcess, type BalancerSpec, stopOnSignal } from "./balancers.ts";
import { observeLoop, openControl, sampleServed } from "./observe.ts";
import type { ProbeRecord, Recording } from "./report.ts";
import { type Fault, faultSchedule } from "./schedule.ts";
import { summarize, writeResults } from "./summary.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

interface Options {
  minutes: string;
  faults: boolean;
  backends: string;
  seed: string;
  voting: string;
  before?: string;
  onionbalance?: boolean;
  probeEvery: string;
  probeTimeout: string;
  short?: boolean;
  busy?: boolean | string;
  relays: string;
  traceInfo?: boolean;
  relayDebug?: boolean;
  v8Flags?: string;
}

async function main(o: Options): Promise<void> {
  const minutes = Number(o.minutes);
  const nBackends = Number(o.backends);
  const nRelays = Number(o.relays);
  const voting = Number(o.voting);
  const periodMinutes = (24 * voting) / 60;
  const dir = await Deno.makeTempDir({ prefix: "ob-soak-" });
  const say = (line: string) => console.log(`[${new Date().toISOString()}] ${line}`);
  const busy = busyParams(o.busy);
  say(
    `soak in ${dir}: ${minutes} min, ${nBackends} backends, ${nRelays} relays, ` +
      `${periodMinutes}-minute periods, faults ${o.faults ? `on (seed "${o.seed}")` : "off"}` +
      (busy ? `, busy: ${JSON.stringify(busy)}` : ""),
  );
  const net = await startNetwork(dir, {
    ...(busy ? { consensusParams: busy } : {}),
    relays: nRelays,
    basePort: findFreeBasePort(Array.from({ length: 10 }, (_, i) => 17000 + 200 * i)),
    votingIntervalSeconds: voting,
    ownerPid: Deno.pid,
    timeoutMs: 180_000,
    ...(o.traceInfo ? { extraLogs: o.relayDebug ? "debug" as const : "info" as const } : {}),
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
  const tors = [{ controlPort: net.frontend.controlPort }, ...extra.slice(0, -1)];
  const balancers = labels.map((label, i) => {
    const spec: BalancerSpec = {
      label,
      main: label === "this" ? MAIN : label === "before" ? o.before : undefined,
      keyPath: `${keys[i]!.hiddenServiceDir}/hs_ed25519_secret_key`,
      onionAddress: keys[i]!.onionAddress,
      controlPort: tors[i]!.controlPort,
      ...(label === "this" && o.v8Flags ? { v8Flags: o.v8Flags } : {}),
    };
    return new BalancerProcess(spec, runDir, backends.map((b) => b.onionAddress), dir);
  });
  const observer = await openControl(observerTor.controlPort);
  // The probing client's own account of each request, kept for the failed and slow ones.
  const trace = await ClientTrace.open(net.clientControlPort, { info: o.traceInfo });
  if (o.traceInfo) await backendInfoLogs(backends);
  const rec: Recording = {
    probes: [],
    samples: [],
    served: [],
    checks: [],
    copies: [],
    kills: [],
    faults: [],
    hsDirRestarts: [],
    usage: [],
  };
  const events = await Deno.open(`${runDir}/events.jsonl`, { create: true, write: true });
  // One write after another, awaited before the file is closed: a write left pending at the end
  // was lost, and with it the last lines of the file.
  let writing = Promise.resolve();
  const log = (kind: string, value: unknown) => {
    const bytes = new TextEncoder().encode(JSON.stringify({ kind, ...value as object }) + "\n");
    writing = writing.then(() => writeAll(events, bytes));
  };
  let missed = false;
  const removeSignals = stopOnSignal(async () => {
    for (const b of balancers) await b.stop();
    await stopNetwork(dir);
  });
  try {
    for (const b of balancers) await b.start();
    say(`balancers ${balancers.map((b) => `${b.spec.label} ${b.spec.onionAddress}`).join(", ")}`);
    await waitForFirstPublish(balancers, observer, periodMinutes, say);
    const stop = new AbortController();
    const t0 = Date.now();
    const loops = [
      ...balancers.map(async (b) => {
        const url = `http://${b.spec.onionAddress}/`;
        const probes = await probeSchedule(url, net.socks, stop.signal, {
          everyMs: Number(o.probeEvery) * 1000,
          timeoutMs: Number(o.probeTimeout) * 1000,
        });
        rec.probes.push(...probes.map((p) => ({ balancer: b.spec.label, ...p })));
      }),
      observeLoop({ balancers, backends, observer, periodMinutes, rec, log }, stop.signal),
      ...(busy ? [busyLoad(backends[0]!.onionAddress, net.socks, stop.signal, o, say, log)] : []),
    ];
    const faults = o.faults
      ? faultSchedule({
        minutes,
        backends: nBackends,
        relays: net.relays.length,
        seed: o.seed,
        ...(o.short ? { backendEveryMs: 120_000, backendDownMs: 60_000 } : {}),
      })
      : [];
    for (const fault of faults) {
      await sleep(t0 + fault.atMs - Date.now());
      const label = describeFault(fault);
      say(`fault: ${label}`);
      rec.faults.push({ at: Date.now(), label });
      log("fault", { at: Date.now(), fault: label });
      await applyFault(fault, { dir, relays: net.relays, balancers, rec });
    }
    await sleep(t0 + minutes * 60_000 - Date.now());
    stop.abort();
    await Promise.all(loops);
    markRaced(rec.probes, balancers, trace, periodMinutes);
    for (const p of rec.probes) log("probe", p);
    for (const p of rec.probes.filter((p) => !p.ok || p.ms > 5_000)) {
      log("probe-trace", { ...p, events: trace.around(p) });
    }
    const times = {
      t0,
      end: Date.now(),
      memoryAfterMs: o.short ? (minutes * 60_000) / 3 : 600_000,
      ...(busy ? { busy: { retiredGraceMs: RETIRED_GRACE_MS } } : {}),
    };
    const summary = summarize(balancers, rec, times);
    await writeResults(runDir, summary, rec, times);
    missed = summary["this"]!.targets.some((v) => !v.ok);
    say(
      `done; ${missed ? "this build MISSED a target" : "every target met"}; results in ${runDir}`,
    );
  } finally {
    removeSignals();
    await writing.catch((e) => console.error(`events.jsonl: ${e}`));
    events.close();
    await trace.close().catch(() => {});
    await observer.close().catch(() => {});
    for (const b of balancers) await b.stop();
    await stopNetwork(dir);
  }
  if (missed) Deno.exit(1);
}

/**
 * How long an intro point a busy backend retired may stay published: busy-fetch-interval (30 s)
 * plus a fetch and an upload, the bound the README states.
 */
const RETIRED_GRACE_MS = 60_000;

/**
 * The busy load besides the probes: the first backend's own address is requested as often as a
 * frontend is probed. Its intro points are the ones the frontend descriptor lists for it, so they
 * take about three times the introductions of the others and retire within a few minutes, even
 * though backend restarts and period rotations replace intro points before the probes alone would
 * wear them out (a CI soak with `--busy 20` and only the probes once retired none). These requests
 * are load, not probes: they are counted apart and judged by no target.
 */
async function busyLoad(
  address: string,
  socks: SocksProxy,
  stop: AbortSignal,
  o: Options,
  say: (line: string) => void,
  log: (kind: string, value: unknown) => void,
): Promise<void> {
  const requests = await probeSchedule(`http://${address}/`, socks, stop, {
    everyMs: Number(o.probeEvery) * 1000,
    timeoutMs: Number(o.probeTimeout) * 1000,
  });
  const ok = requests.filter((r) => r.ok).length;
  log("busy-load", { address, requests: requests.length, ok });
  say(`busy load on backend0's own address: ${requests.length} requests, ${ok} answered`);
}

/**
 * The consensus parameters of `--busy`: an intro point retires after 20–40 introductions
 * (`--busy N`: N to 2N) instead of tor's 16 384–32 768, which a soak never reaches.
 */
function busyParams(busy: boolean | string | undefined): Record<string, number> | undefined {
  if (busy === undefined || busy === false) return undefined;
  if (busy === true) return { ...BUSY_INTRODUCE2 };
  const n = Number(busy);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--busy wants a whole number ≥ 1: ${busy}`);
  return { hs_intro_min_introduce2: n, hs_intro_max_introduce2: 2 * n };
}

async function waitForFirstPublish(
  balancers: readonly BalancerProcess[],
  observer: ControlClient,
  periodMinutes: number,
  say: (line: string) => void,
): Promise<void> {
  const deadline = Date.now() + 300_000;
  const waiting = new Set(balancers);
  while (waiting.size > 0 && Date.now() < deadline) {
    for (const b of [...waiting]) {
      const s = await sampleServed(b.spec, observer, periodMinutes);
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

/**
 * Marks each failed probe that tor's client lost by itself at a time period boundary
 * (`periodChangeRace`, from the probing tor's events around it), at most one per balancer and
 * boundary: any onion service loses such a request, so the targets count it apart.
 */
function markRaced(
  probes: ProbeRecord[],
  balancers: readonly BalancerProcess[],
  trace: ClientTrace,
  periodMinutes: number,
): void {
  if (probes.length === 0) return;
  const from = Math.min(...probes.map((p) => p.at));
  const starts = periodStartsMs(from, Date.now(), periodMinutes);
  for (const b of balancers) {
    const mine = probes.filter((p) => p.balancer === b.spec.label);
    const around = (p: ProbeRecord) => trace.around(p);
    for (const p of racedAtBoundaries(mine, around, b.spec.onionAddress, starts)) p.raced = true;
  }
}

/** What a fault acts on. */
interface FaultTargets {
  /** The network folder. */
  dir: string;
  /** The relays' nicknames. */
  relays: readonly string[];
  balancers: readonly BalancerProcess[];
  rec: Recording;
}

async function applyFault(fault: Fault, t: FaultTargets): Promise<void> {
  const frontends = ["frontend", ...t.balancers.slice(1).map((_, i) => `frontend${i + 1}`)];
  switch (fault.kind) {
    case "kill-backend":
      t.rec.kills.push({ backend: fault.backend, at: Date.now() });
      await stopNode(t.dir, `backend${fault.backend}`, { graceMs: 0 });
      return;
    case "restart-backend": {
      const kill = t.rec.kills.findLast((k) => k.backend === fault.backend);
      if (kill !== undefined) kill.restartedAt = Date.now();
      await restartNode(t.dir, `backend${fault.backend}`);
      return;
    }
    case "kill-hsdir": {
      const name = t.relays[fault.relay]!;
      t.rec.hsDirRestarts.push({ hsDir: await fingerprintOf(t.dir, name), at: Date.now() });
      await stopNode(t.dir, name, { graceMs: 0 });
      return;
    }
    case "restart-hsdir":
      await restartNode(t.dir, t.relays[fault.relay]!);
      return;
    case "kill-frontend-tors":
      for (const name of frontends) await stopNode(t.dir, name, { graceMs: 0 });
      return;
    case "restart-frontend-tors":
      for (const name of frontends) await restartNode(t.dir, name);
      return;
    case "sighup-balancers":
      for (const b of t.balancers) b.signal("SIGHUP");
      return;
    case "kill-balancers":
      for (const b of t.balancers) b.signal("SIGKILL");
      return;
    case "restart-balancers":
      for (const b of t.balancers) await b.start();
      return;
  }
}

/** Has each backend tor log at info level to `info.log` beside its `notice.log`. */
async function backendInfoLogs(
  backends: readonly { controlPort: number; dataDir: string }[],
): Promise<void> {
  for (const b of backends) {
    const control = await openControl(b.controlPort);
    try {
      await control.request(
        `SETCONF Log="notice file ${b.dataDir}/notice.log" Log="info file ${b.dataDir}/info.log"`,
      );
    } finally {
      await control.close();
    }
  }
}

/** A relay's fingerprint, from the `fingerprint` file tor writes in its data directory. */
async function fingerprintOf(dir: string, name: string): Promise<string> {
  const text = await Deno.readTextFile(`${nodeDir(dir, name)}/fingerprint`);
  return text.trim().split(/\s+/)[1] ?? "";
}

function describeFault(fault: Fault): string {
  if ("backend" in fault) return `${fault.kind} ${fault.backend}`;
  if ("relay" in fault) return `${fault.kind} ${fault.relay}`;
  return fault.kind;
}

await new Command("soak")
  .option("--minutes <n>", "length of the measurement", "45")
  .option("--no-faults", "no fault schedule: the network and the balancers just run")
  .option("--backends <n>", "backends (each serves every frontend address)", "4")
  .option("--relays <n>", "relays besides the 3 authorities (1-40)", "5")
  .option("--seed <text>", "the fault schedule's seed (the same seed, the same schedule)", "soak")
  .option("--voting <s>", "the network's voting interval: 20 (8-minute periods) or 10 (4)", "20")
  .option("--before <main.ts>", "also run this build (e.g. a git worktree of an earlier commit)")
  .option("--onionbalance", "also run OnionBalance 0.2.2 (/usr/sbin/onionbalance)")
  .option("--probe-every <s>", "seconds between two probes of one address", "5")
  .option(
    "--probe-timeout <s>",
    "how long one probe waits: by default as long as tor holds a SOCKS request (SocksTimeout), " +
      "as a browser through tor does",
    "120",
  )
  .option(
    "--relay-debug",
    "with --trace-info: the network's own tors log at debug level instead (debug.log; large)",
  )
  .option("--v8-flags <flags>", "V8 flags for this build (beside --before, to compare)")
  .option(
    "--busy [introductions]",
    "a busy-service load: the network's intro points retire after 20–40 introductions (N–2N)",
  )
  .option(
    "--short",
    "the CI's short soak: denser backend faults, memory judged from 1/3 of the run",
  )
  .option(
    "--trace-info",
    "keep the probing tor's info-level log around failed or slow requests, and have every tor " +
      "write info.log in its data directory (a backend: until it is restarted)",
  )
  .action(main)
  .parseAsync(Deno.args, { from: "user" });
