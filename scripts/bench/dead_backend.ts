// deno-lint-ignore-file no-console -- a benchmark prints its progress and its figures
/**
 * How long a dead backend stays in the frontend descriptors: on a private Tor network of its own,
 * N backends serving one frontend address per balancer (this build, and with `--before` an
 * earlier build beside it, on the same kills), backend tors are killed one after another at
 * seeded moments and started again once every balancer has left them out and published.
 *
 * Per kill and balancer it reads from the balancer's own log (info level, millisecond
 * timestamps):
 * - `firstFailMs`: kill → its first failed health check of that backend, and that check's error;
 * - `leftOutMs`: kill → "Backend … left out";
 * - `publishedMs`: kill → the first "Publishing the … descriptor" after that (the window clients
 *   can still be sent to the dead backend's intro points by a freshly fetched descriptor).
 *
 * At most half the backends are down at once. A backend comes back when every balancer logged
 * its return ("passes its health check again") and published after it, or 180 s after its
 * restart. Results: `dead_backend.json` in the run folder, and a table on stdout.
 *
 * Usage:
 *   deno task bench:dead-backend [--kills 24] [--backends 4] [--seed dead] [--before PATH/main.ts]
 *
 * The network is stopped at the end (and on SIGINT or SIGTERM); its folder stays under /tmp.
 *
 * @module
 */

import { Command } from "commander";
import { randomUnit, seededRng } from "../../src/crypto/mod.ts";
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
import { BalancerProcess, stopOnSignal } from "../soak/balancers.ts";
import { type LogEvent, LogTail, quantiles } from "../soak/balancer_log.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

interface Options {
  kills: string;
  backends: string;
  seed: string;
  before?: string;
}

/** One kill, as each balancer saw it (ms after the kill; undefined: not within the bound). */
interface KillResult {
  backend: number;
  at: number;
  byBalancer: Record<string, {
    firstFailMs?: number;
    firstError?: string;
    leftOutMs?: number;
    publishedMs?: number;
  }>;
}

async function main(o: Options): Promise<void> {
  const kills = Number(o.kills);
  const nBackends = Number(o.backends);
  const rng = seededRng(`dead-backend ${o.seed}`);
  const dir = await Deno.makeTempDir({ prefix: "ob-dead-" });
  const say = (line: string) => console.log(`[${new Date().toISOString()}] ${line}`);
  say(`dead-backend bench in ${dir}: ${kills} kills over ${nBackends} backends, seed "${o.seed}"`);
  const net = await startNetwork(dir, {
    basePort: findFreeBasePort(Array.from({ length: 10 }, (_, i) => 17000 + 200 * i)),
    ownerPid: Deno.pid,
    timeoutMs: 180_000,
  });
  const labels = ["this", ...(o.before ? ["before"] : [])];
  const extra = await startExtraFrontends(net, labels.length - 1, { timeoutMs: 90_000 });
  const keys = await Promise.all(labels.map((l) => makeOnionKey(net, `frontend-${l}`)));
  const backends = await startBackends(net, nBackends, {
    masterOnionAddress: keys.map((k) => k.onionAddress),
    timeoutMs: 90_000,
  });
  const runDir = `${dir}/bench`;
  await Deno.mkdir(runDir, { mode: 0o700 });
  const tors = [{ controlPort: net.frontend.controlPort }, ...extra];
  const balancers = labels.map((label, i) =>
    new BalancerProcess(
      {
        label,
        main: label === "this" ? MAIN : o.before,
        keyPath: `${keys[i]!.hiddenServiceDir}/hs_ed25519_secret_key`,
        onionAddress: keys[i]!.onionAddress,
        controlPort: tors[i]!.controlPort,
      },
      runDir,
      backends.map((b) => b.onionAddress),
      dir,
    )
  );
  const tails = new Map(
    balancers.map((b) => [b.spec.label, new LogTail(`${runDir}/${b.spec.label}.log`)]),
  );
  const pollAll = () => Promise.all([...tails.values()].map((t) => t.poll()));
  const suffix = (i: number) => backends[i]!.onionAddress.replace(/\.onion$/, "").slice(-3);
  const cleanup = async () => {
    for (const b of balancers) await b.stop();
    await stopNetwork(dir);
  };
  const removeSignals = stopOnSignal(cleanup);
  const results: KillResult[] = [];
  try {
    for (const b of balancers) await b.start();
    // Every balancer has published every backend once.
    await waitFor(300_000, "the first publish of every balancer", async () => {
      await pollAll();
      return [...tails.values()].every((t) => t.events.some((e) => e.kind === "publish"));
    });
    await sleep(30_000);
    say("every balancer published; the kills start");
    let down = 0;
    let started = 0;
    const cycle = async (index: number) => {
      while (started < kills) {
        await sleep(15_000 + randomUnit(rng) * 30_000);
        while (down >= Math.floor(nBackends / 2)) await sleep(500);
        if (started >= kills) return;
        started++;
        down++;
        const at = Date.now();
        await stopNode(dir, `backend${index}`, { graceMs: 0 });
        say(`killed backend${index} (${started}/${kills})`);
        const result: KillResult = { backend: index, at, byBalancer: {} };
        await waitFor(150_000, `every balancer leaves backend${index} out`, async () => {
          await pollAll();
          for (const [label, tail] of tails) {
            result.byBalancer[label] = measure(tail.events, suffix(index), at);
          }
          return Object.values(result.byBalancer).every((r) => r.publishedMs !== undefined);
        }).catch((error) => say(String(error)));
        results.push(result);
        say(
          `backend${index}: ` +
            Object.entries(result.byBalancer).map(([l, r]) =>
              `${l} left out after ${secs(r.leftOutMs)}, published ${secs(r.publishedMs)} ` +
              `(first failed check ${secs(r.firstFailMs)}: ${r.firstError ?? "-"})`
            ).join("; "),
        );
        await restartNode(dir, `backend${index}`);
        const restarted = Date.now();
        await waitFor(180_000, `every balancer takes backend${index} back`, async () => {
          await pollAll();
          return [...tails.values()].every((t) => returned(t.events, suffix(index), restarted));
        }).catch((error) => say(String(error)));
        down--;
      }
    };
    await Promise.all(backends.map((_, i) => cycle(i)));
    const summary = Object.fromEntries(labels.map((label) => {
      const of = (k: "firstFailMs" | "leftOutMs" | "publishedMs") =>
        quantiles(results.map((r) => r.byBalancer[label]?.[k]).filter((v) => v !== undefined));
      return [label, {
        firstFailMs: of("firstFailMs"),
        leftOutMs: of("leftOutMs"),
        publishedMs: of("publishedMs"),
        missing: results.filter((r) => r.byBalancer[label]?.publishedMs === undefined).length,
      }];
    }));
    await Deno.writeTextFile(
      `${runDir}/dead_backend.json`,
      JSON.stringify({ seed: o.seed, kills: results, summary }, null, 1),
    );
    console.log("\nms after the kill    n   min   p25   p50   p75   p90   max  (missing)");
    for (const [label, s] of Object.entries(summary)) {
      for (const k of ["firstFailMs", "leftOutMs", "publishedMs"] as const) {
        const q = s[k];
        console.log(
          `${`${label} ${k}`.padEnd(20)}${String(q.n).padStart(3)}` +
            [q.min, q.p25, q.p50, q.p75, q.p90, q.max].map((v) => String(v ?? "-").padStart(6))
              .join("") +
            (k === "publishedMs" ? `  (${s.missing})` : ""),
        );
      }
    }
    say(`results in ${runDir}/dead_backend.json`);
  } finally {
    removeSignals();
    await cleanup();
  }
}

/** What `events` say of the backend ending in `suffix` after a kill at `at`. */
function measure(events: readonly LogEvent[], suffix: string, at: number) {
  const after = events.filter((e) => e.at >= at);
  const fail = after.find((e) => e.kind === "check-failed" && e.backend === suffix);
  const out = after.find((e) => e.kind === "left-out" && e.backend === suffix);
  const pub = out && after.find((e) => e.kind === "publish" && e.at >= out.at);
  return {
    ...(fail ? { firstFailMs: fail.at - at, firstError: fail.detail } : {}),
    ...(out ? { leftOutMs: out.at - at } : {}),
    ...(pub ? { publishedMs: pub.at - at } : {}),
  };
}

/** Whether the backend ending in `suffix` passed a check after `since` and a publish followed. */
function returned(events: readonly LogEvent[], suffix: string, since: number): boolean {
  const back = events.find((e) => e.at >= since && e.kind === "returns" && e.backend === suffix);
  return back !== undefined && events.some((e) => e.kind === "publish" && e.at > back.at);
}

async function waitFor(ms: number, what: string, done: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await done()) return;
    await sleep(250);
  }
  throw new Error(`Timed out after ${ms} ms: ${what}`);
}

const secs = (ms: number | undefined) => (ms === undefined ? "-" : `${(ms / 1000).toFixed(1)} s`);

await new Command("dead-backend")
  .option("--kills <n>", "backend kills in all", "24")
  .option("--backends <n>", "backends (at most half of them down at once)", "4")
  .option("--seed <text>", "seed of the kill times", "dead")
  .option(
    "--before <main.ts>",
    "also run this build beside (e.g. a git worktree of an earlier commit)",
  )
  .action(main)
  .parseAsync(Deno.args, { from: "user" });
