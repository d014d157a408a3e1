// deno-lint-ignore-file no-console -- a benchmark prints its progress and its figures
/**
 * Shared hosting on a real tor: one balancer process publishing N frontend services (one
 * `config.yaml`) through one tor, on a private Tor network on loopback. Every frontend uses the
 * same B backends, whose tors list every frontend address in their `ob_config`.
 *
 * It measures, from the balancer's start:
 * 1. the time until every descriptor (first and second) of every service is accepted by all its
 *    responsible HSDirs: polled from the status JSON (`onionbalance status --json`, every HSDir
 *    `uploaded`), timed by the latest `lastResult` there (1 s resolution);
 * 2. accepted uploads per second through the one tor (accepted uploads in the metrics, over first
 *    descriptor built → last accepted), and failed and retried uploads (metrics
 *    `onionbalance_hsdir_uploads_total`);
 * 3. the balancer's CPU time (user + sys, `/proc/<pid>/stat`) and peak RSS (`VmHWM`) at that
 *    moment, of the PID that runs `main.ts` (`runtimePid` checks whether `deno` spawned another);
 * 4. the frontend tor's CPU time over the same span (its PID from the network state);
 * 5. control-port round trips, counted by a relay between the balancer and tor
 *    (`shared_tor_proxy.ts`): the balancer neither counts nor logs its commands;
 * 6. whether a tor client reaches a seeded sample of 20 frontends (`--sample`), and how fast.
 * It also reports the balancer's log volume, the warnings of the frontend tor and the HSDirs, and
 * the circuits the frontend tor holds (`shared_tor_tor.ts`; every upload builds one).
 *
 * Results: `shared_tor.json` and `balancer.log` in the run folder, a summary on stdout. Timings on
 * a small shared machine carry noise: run it twice before drawing conclusions.
 *
 * Usage:
 *   deno task bench:shared-tor [--services 500] [--backends 3] [--relays 5] [--sample 20]
 *     [--seed shared] [--limit-min 10] [--cpu-prof] [--verbosity info] [--main PATH/main.ts]
 *     [--tor-setconf KEY=VALUE,…]
 *
 * The network is stopped at the end (and on SIGINT or SIGTERM); its folder stays under /tmp.
 *
 * @module
 */

import { Command } from "commander";
import {
  fetchOnion,
  type Network,
  startBackends,
  startNetwork,
  stopNetwork,
} from "../testnet/mod.ts";
import { findFreeBasePort } from "../testnet/ports.ts";
import { readState } from "../testnet/state.ts";
import { stopOnSignal } from "../soak/balancers.ts";
import { ControlProxy } from "./shared_tor_proxy.ts";
import { circuitCounts, setConf } from "./shared_tor_tor.ts";
import {
  Balancer,
  freePort,
  type FrontendKeyFile,
  makeFrontendKeys,
  readStatus,
  writeConfig,
} from "./shared_tor_setup.ts";
import {
  type Completion,
  completion,
  cpuOf,
  fileSize,
  machineTicks,
  procUsage,
  reachSample,
  runtimePid,
  scrapeUploads,
  seededSample,
  torWarnings,
  type UploadCounts,
} from "./shared_tor_observe.ts";
import {
  controlSummary,
  logSummary,
  printResult,
  type SharedTorResult,
} from "./shared_tor_report.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
const say = (line: string) => console.log(`[${new Date().toISOString()}] ${line}`);

interface Options {
  services: string;
  backends: string;
  relays: string;
  sample: string;
  seed: string;
  limitMin: string;
  cpuProf?: boolean;
  verbosity: "info" | "debug";
  /** Another build's `main.ts` (e.g. a patched copy) in place of this one's. */
  main?: string;
  /** tor options for the frontend tor before the balancer starts, `KEY=VALUE,…`. */
  torSetconf?: string;
}

async function main(o: Options): Promise<void> {
  const n = Number(o.services);
  const nBackends = Number(o.backends);
  const dir = await Deno.makeTempDir({ prefix: `ob-shared-tor-${n}-` });
  const runDir = `${dir}/bench`;
  say(`shared-tor bench in ${dir}: ${n} services over ${nBackends} backends`);
  let balancer: Balancer | undefined;
  let proxy: ControlProxy | undefined;
  const cleanup = async () => {
    await balancer?.stop();
    proxy?.close();
    // A network that never got a state file has nothing to stop; keep the first error.
    await stopNetwork(dir).catch((error) => say(`stopping the network: ${error}`));
  };
  const removeSignals = stopOnSignal(cleanup);
  try {
    const net = await startNetwork(dir, {
      basePort: findFreeBasePort(Array.from({ length: 10 }, (_, i) => 17000 + 200 * i)),
      relays: Number(o.relays),
      ownerPid: Deno.pid,
      timeoutMs: 180_000,
    });
    say(`network up in ${((net.bootstrapMs ?? 0) / 1000).toFixed(1)} s`);
    await Deno.mkdir(runDir, { mode: 0o700 }); // After the boot: it wants an empty folder.
    const t0 = Date.now();
    const keys = await makeFrontendKeys(runDir, n);
    const keysMs = Date.now() - t0;
    say(`${n} frontend keys in ${keysMs} ms`);
    const backends = await startBackends(net, nBackends, {
      masterOnionAddress: keys.map((k) => `${k.address}.onion`),
      timeoutMs: 120_000,
    });
    await waitBackendsReachable(net, backends.map((b) => b.url));
    const metricsPort = freePort();
    const configPath = `${runDir}/config.yaml`;
    await writeConfig(configPath, keys, backends.map((b) => b.onionAddress), metricsPort);
    proxy = ControlProxy.start(net.frontend.controlPort);
    const result = await measure({ o, n, nBackends, dir, runDir, net, keys, keysMs, proxy }, {
      configPath,
      metricsPort,
      setBalancer: (b) => (balancer = b),
    });
    await Deno.writeTextFile(`${runDir}/shared_tor.json`, JSON.stringify(result, null, 1));
    printResult(result);
    say(`results in ${runDir}/shared_tor.json`);
  } finally {
    removeSignals();
    await cleanup();
  }
}

interface RunContext {
  o: Options;
  n: number;
  nBackends: number;
  dir: string;
  runDir: string;
  net: Network;
  keys: FrontendKeyFile[];
  keysMs: number;
  proxy: ControlProxy;
}

/** Starts the balancer and follows it until every slot is accepted (or the limit), then reaches. */
async function measure(
  ctx: RunContext,
  b: { configPath: string; metricsPort: number; setBalancer: (b: Balancer) => void },
): Promise<SharedTorResult> {
  const { o, n, runDir, net, proxy } = ctx;
  const state = await readState(ctx.dir);
  const torPid = state.processes.find((p) => p.name === "frontend")!.pid;
  const torLogs = Object.fromEntries(
    state.nodes.filter((node) => node.role !== "client").map((node) =>
      [node.name, `${node.dataDir}/notice.log`] as const
    ),
  );
  const logStarts = Object.fromEntries(
    await Promise.all(Object.entries(torLogs).map(async ([k, p]) => [k, await fileSize(p)])),
  );
  const settings = o.torSetconf?.split(",").filter((x) => x !== "") ?? [];
  await setConf(net.frontend.controlPort, net.frontend.cookieFile, settings);
  if (settings.length > 0) say(`frontend tor: SETCONF ${settings.join(" ")}`);
  const torBefore = await procUsage(torPid);
  const [netCpu0, machine0] = await Promise.all([cpuOf(state.processes), machineTicks()]);
  const balancer = await Balancer.start({
    main: o.main ?? MAIN,
    runDir,
    configPath: b.configPath,
    controlPort: proxy.port,
    verbosity: o.verbosity,
    ...(o.cpuProf ? { cpuProfDir: `${runDir}/cpuprof` } : {}),
  });
  b.setBalancer(balancer);
  say(`balancer started, spawned PID ${balancer.pid}`);
  await sleep(1_000);
  const balancerPid = await runtimePid(balancer.pid);
  say(`balancer runtime PID: ${balancerPid.how}`);
  const follow = await followUntilComplete(ctx, balancer, balancerPid.pid, {
    torPid,
    torCpu0: torBefore?.cpuSeconds ?? 0,
    metricsPort: b.metricsPort,
    limitMs: Number(o.limitMin) * 60_000,
  });
  const torAfter = follow.torAtEnd;
  const frontendCircuits = await circuitCounts(net.frontend.controlPort, net.frontend.cookieFile)
    .catch((): Record<string, number> => ({}));
  const [netCpu1, machine1] = await Promise.all([cpuOf(state.processes), machineTicks()]);
  const networkCpuSeconds = Object.fromEntries(
    Object.entries(netCpu1).map(([k, v]) => [k, Math.round((v - (netCpu0[k] ?? 0)) * 10) / 10]),
  );
  const log = await logSummary(balancer.logPath);
  say("reaching a seeded sample of frontends through the client");
  const sample = seededSample(ctx.keys, Number(o.sample), o.seed);
  // Also when not every slot was accepted: older copies on the HSDirs may still serve clients.
  const reach = await reachSample(sample, net.socks, {
    parallel: 4,
    timeoutMs: follow.completion?.complete ? 60_000 : 30_000,
  });
  const okMs = reach.filter((r) => r.ok).map((r) => r.ms).sort((x, y) => x - y);
  const c = follow.completion;
  // Only a complete run has a span: the status of an unfinished one mixes publishes.
  const span = c?.complete && c.firstBuiltAt !== undefined && c.lastAcceptedAt !== undefined
    ? c.lastAcceptedAt - c.firstBuiltAt
    : undefined;
  const torWarn = Object.fromEntries(
    await Promise.all(
      Object.entries(torLogs).map(async ([k, p]) => [k, await torWarnings(p, logStarts[k]!)]),
    ),
  );
  return {
    services: n,
    backends: ctx.nBackends,
    seed: o.seed,
    runDir,
    main: o.main ?? MAIN,
    balancerPid,
    frontendTorPid: torPid,
    keysMs: ctx.keysMs,
    ...(follow.detectedAt ? { detectedMs: follow.detectedAt - balancer.startedAt } : {}),
    ...(c?.complete && c.lastAcceptedAt
      ? { allAcceptedMs: c.lastAcceptedAt - balancer.startedAt }
      : {}),
    ...(span !== undefined && follow.metrics
      ? { uploadSpanMs: span, uploadsPerSecond: follow.metrics.accepted / Math.max(1, span / 1000) }
      : {}),
    ...(c ? { completion: c } : {}),
    ...(follow.metrics ? { metrics: follow.metrics } : {}),
    ...(follow.balancerAtEnd ? { balancer: follow.balancerAtEnd } : {}),
    ...(torAfter ? { frontendTor: torAfter } : {}),
    ...(torAfter && torBefore
      ? { frontendTorCpuSeconds: torAfter.cpuSeconds - torBefore.cpuSeconds }
      : {}),
    control: controlSummary(follow.controlAtEnd, follow.commandsAtEnd),
    log,
    networkCpuSeconds,
    frontendCircuits,
    torSetconf: settings,
    ...(machine0 && machine1
      ? { machineBusy: (machine1.busy - machine0.busy) / (machine1.total - machine0.total) }
      : {}),
    reach: {
      ok: okMs.length,
      of: reach.length,
      ...(okMs.length > 0 ? { medianMs: okMs[Math.floor((okMs.length - 1) / 2)]! } : {}),
      results: reach,
    },
    torWarnings: torWarn,
    timeline: follow.timeline,
    ...(follow.problem ? { problem: follow.problem } : {}),
  };
}

/** What {@link followUntilComplete} saw, at the moment every slot was accepted (or it gave up). */
interface Followed {
  detectedAt?: number;
  completion?: Completion;
  metrics?: UploadCounts;
  balancerAtEnd?: Awaited<ReturnType<typeof procUsage>>;
  torAtEnd?: Awaited<ReturnType<typeof procUsage>>;
  controlAtEnd: ControlProxy["counts"];
  commandsAtEnd: number;
  timeline: SharedTorResult["timeline"];
  problem?: string;
}

/**
 * Polls every 2 s: the metrics page, the balancer's and the tor's CPU; the status JSON every 10 s
 * once the metrics count enough accepted uploads (at least 4 HSDirs per slot), else every 30 s.
 */
async function followUntilComplete(
  ctx: RunContext,
  balancer: Balancer,
  pid: number,
  o: { torPid: number; torCpu0: number; metricsPort: number; limitMs: number },
): Promise<Followed> {
  const timeline: SharedTorResult["timeline"] = [];
  const deadline = balancer.startedAt + o.limitMs;
  let exited = false;
  void balancer.exited.then(() => (exited = true));
  let lastStatusAt = 0;
  let last: Completion | undefined;
  let metrics: UploadCounts | undefined;
  while (Date.now() < deadline && !exited) {
    await sleep(2_000);
    const [m, use, tor] = await Promise.all([
      scrapeUploads(o.metricsPort),
      procUsage(pid),
      procUsage(o.torPid),
    ]);
    metrics = m ?? metrics;
    const s = Math.round((Date.now() - balancer.startedAt) / 1000);
    timeline.push({
      s,
      accepted: metrics?.accepted ?? 0,
      failed: metrics?.failed ?? 0,
      cpu: use?.cpuSeconds ?? 0,
      rssMB: Math.round(use?.rssMB ?? 0),
      torCpu: (tor?.cpuSeconds ?? 0) - o.torCpu0,
      commands: ctx.proxy.totalCommands,
    });
    if (s % 20 === 0 || s % 20 === 1) {
      const circuits = await circuitCounts(
        ctx.net.frontend.controlPort,
        ctx.net.frontend.cookieFile,
      )
        .catch((): Record<string, number> => ({}));
      timeline.at(-1)!.hsdirCircuits = circuits["BUILT HS_SERVICE_HSDIR"] ?? 0;
      say(`${s} s: ${JSON.stringify(timeline.at(-1))} scrape ${metrics?.scrapeMs ?? "-"} ms`);
    }
    // The status costs the balancer a report of every service: not more often than every 10 s.
    const enough = (metrics?.accepted ?? 0) >= ctx.n * 2 * 4;
    if (Date.now() - lastStatusAt < (enough ? 10_000 : 30_000)) continue;
    lastStatusAt = Date.now();
    const status = await readStatus(MAIN, balancer.statusSocket);
    if (status === undefined) continue;
    last = completion(status);
    say(`status: ${last.slotsDone}/${last.slotsTotal} slots, ${JSON.stringify(last.uploads)}`);
    if (!last.complete) continue;
    const detectedAt = Date.now();
    const [balancerAtEnd, torAtEnd, finalMetrics] = await Promise.all([
      procUsage(pid),
      procUsage(o.torPid),
      scrapeUploads(o.metricsPort),
    ]);
    return {
      detectedAt,
      completion: last,
      metrics: finalMetrics ?? metrics,
      balancerAtEnd,
      torAtEnd,
      controlAtEnd: structuredClone(ctx.proxy.counts),
      commandsAtEnd: ctx.proxy.totalCommands,
      timeline,
    };
  }
  return {
    ...(last ? { completion: last } : {}),
    ...(metrics ? { metrics } : {}),
    balancerAtEnd: await procUsage(pid),
    torAtEnd: await procUsage(o.torPid),
    controlAtEnd: structuredClone(ctx.proxy.counts),
    commandsAtEnd: ctx.proxy.totalCommands,
    timeline,
    problem: exited
      ? "the balancer exited (see balancer.log)"
      : `not every slot accepted within ${o.limitMs / 60_000} min`,
  };
}

/** Waits (bounded, 180 s) until the client reaches every backend: their descriptors are out. */
async function waitBackendsReachable(net: Network, urls: readonly string[]): Promise<void> {
  const t0 = Date.now();
  await Promise.all(urls.map((url) => fetchOnion(url, { proxy: net.socks, timeoutMs: 180_000 })));
  say(`every backend reachable after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

await new Command("shared-tor")
  .option("--services <n>", "frontend services in the one config.yaml", "500")
  .option("--backends <n>", "backends shared by every service", "3")
  .option("--relays <n>", "relays of the private network (all HSDirs), 1-40", "5")
  .option("--sample <n>", "frontends a client fetches at the end", "20")
  .option("--seed <text>", "seed of the sample", "shared")
  .option("--limit-min <n>", "give up when not every slot is accepted after this long", "10")
  .option("--cpu-prof", "write a V8 CPU profile of the balancer into <run>/cpuprof")
  .option("--verbosity <level>", "the balancer's log level (info or debug)", "info")
  .option("--main <main.ts>", "run this build's main.ts instead (e.g. a patched copy)")
  .option("--tor-setconf <KEY=VALUE,...>", "SETCONF on the frontend tor before the balancer starts")
  .action(main)
  .parseAsync(Deno.args, { from: "user" });
