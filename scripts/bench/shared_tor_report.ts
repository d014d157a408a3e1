// deno-lint-ignore-file no-console -- a benchmark prints its figures
/**
 * The result of one `shared_tor.ts` run: its shape (what is written to `shared_tor.json` in the
 * run folder) and the lines printed at the end.
 *
 * @module
 */

import type { ControlCounts } from "./shared_tor_proxy.ts";
import type { Completion, ProcUsage, ReachResult, UploadCounts } from "./shared_tor_observe.ts";
import { quantiles } from "../soak/balancer_log.ts";

/** Everything one run measured. */
export interface SharedTorResult {
  services: number;
  backends: number;
  seed: string;
  runDir: string;
  /** The `main.ts` that ran. */
  main: string;
  /** How the balancer's PID was found (see `runtimePid`). */
  balancerPid: { pid: number; how: string };
  frontendTorPid: number;
  keysMs: number;
  /** Balancer start → the status first showed every slot of every service uploaded (ms). */
  detectedMs?: number;
  /** Balancer start → the last accepted upload, from the status's `lastResult` (±1 s). */
  allAcceptedMs?: number;
  /** First descriptor built → last accepted upload (ms): the span of the uploads/s figure. */
  uploadSpanMs?: number;
  uploadsPerSecond?: number;
  completion?: Completion;
  metrics?: UploadCounts;
  balancer?: ProcUsage;
  frontendTor?: ProcUsage;
  /** The frontend tor's CPU seconds over the same span (end minus start). */
  frontendTorCpuSeconds?: number;
  control: Omit<ControlCounts, "roundTripsMs"> & {
    totalCommands: number;
    roundTripMs: ReturnType<typeof quantiles>;
  };
  log: {
    lines: number;
    bytes: number;
    warnings: number;
    byLevel: Record<string, number>;
    /** Lines saying the control connection was lost (the balancer reconnects and republishes). */
    lostControl: number;
    /** Lines saying tor did not answer a command within the balancer's deadline. */
    commandTimeouts: number;
  };
  /** CPU seconds of every process of the network over the span (end minus start), by name. */
  networkCpuSeconds: Record<string, number>;
  /** The machine's CPU over the span, from `/proc/stat`: busy share of all cores. */
  machineBusy?: number;
  reach: { ok: number; of: number; medianMs?: number; results: ReachResult[] };
  torWarnings: Record<string, { count: number; top: [string, number][] }>;
  /** Samples taken every poll: seconds after start, counters, CPU and RSS. */
  timeline: {
    s: number;
    accepted: number;
    failed: number;
    cpu: number;
    rssMB: number;
    torCpu: number;
    commands: number;
    /** The frontend tor's built HS_SERVICE_HSDIR circuits (sampled every 20 s). */
    hsdirCircuits?: number;
  }[];
  /** The frontend tor's circuits by state and purpose when the measurement ended. */
  frontendCircuits: Record<string, number>;
  /** SETCONF settings given to the frontend tor before the balancer started. */
  torSetconf: string[];
  /** Why the run ended early, if it did. */
  problem?: string;
}

const s1 = (ms: number | undefined) => (ms === undefined ? "-" : (ms / 1000).toFixed(1));

/** Prints the summary lines of a run. */
export function printResult(r: SharedTorResult): void {
  const c = r.control;
  console.log(
    `
services ${r.services}, backends ${r.backends}, run folder ${r.runDir}, build ${r.main}
  start → all accepted     ${s1(r.allAcceptedMs)} s (from the status JSON's lastResult; ` +
      `detected by polling at ${s1(r.detectedMs)} s)
  uploads                  ${r.metrics?.accepted ?? "-"} accepted, ${
        r.metrics?.failed ?? "-"
      } failed, ${r.metrics?.retried ?? "-"} retried (metrics); ${
        r.uploadsPerSecond?.toFixed(1) ?? "-"
      } accepted/s over ${s1(r.uploadSpanMs)} s
  status                   ${r.completion?.slotsDone ?? "-"}/${
        r.completion?.slotsTotal ?? "-"
      } slots complete; uploads ${JSON.stringify(r.completion?.uploads ?? {})}
  balancer (PID ${r.balancerPid.pid})   CPU ${r.balancer?.cpuSeconds.toFixed(1) ?? "-"} s ` +
      `(user ${r.balancer?.userSeconds.toFixed(1) ?? "-"}, sys ${
        r.balancer?.systemSeconds.toFixed(1) ?? "-"
      }), peak RSS ${r.balancer?.peakRssMB.toFixed(0) ?? "-"} MB
  frontend tor (PID ${r.frontendTorPid}) CPU ${
        r.frontendTorCpuSeconds?.toFixed(1) ?? "-"
      } s over the span, peak RSS ${r.frontendTor?.peakRssMB.toFixed(0) ?? "-"} MB
  control port             ${c.totalCommands} commands ${JSON.stringify(c.commands)}; ` +
      `${c.replies} replies; events ${JSON.stringify(c.events)}; round trip ms ` +
      `p50 ${c.roundTripMs.p50 ?? "-"} p90 ${c.roundTripMs.p90 ?? "-"} max ${
        c.roundTripMs.max ?? "-"
      }; ${(c.bytesToTor / 2 ** 20).toFixed(1)} MB to tor, ${
        (c.bytesFromTor / 2 ** 20).toFixed(1)
      } MB from tor
  balancer log             ${r.log.lines} lines, ${(r.log.bytes / 1024).toFixed(0)} KiB, ${
        JSON.stringify(r.log.byLevel)
      }
  frontend tor circuits    ${JSON.stringify(r.frontendCircuits)}${
        r.torSetconf.length > 0 ? ` (SETCONF ${r.torSetconf.join(" ")})` : ""
      }
  client reach             ${r.reach.ok}/${r.reach.of}, median ${s1(r.reach.medianMs)} s
  tor warnings             ${
        Object.entries(r.torWarnings).filter(([, w]) => w.count > 0)
          .map(([n, w]) => `${n} ${w.count}`).join(", ") || "none"
      }${r.problem ? `\n  PROBLEM                  ${r.problem}` : ""}`,
  );
}

/** Counts a balancer log's lines, bytes and lines per level (`[INFO]`, `[WARNING]`, …). */
export async function logSummary(path: string): Promise<SharedTorResult["log"]> {
  const text = await Deno.readTextFile(path).catch(() => "");
  const byLevel: Record<string, number> = {};
  let lines = 0;
  let lostControl = 0;
  let commandTimeouts = 0;
  for (const line of text.split("\n")) {
    if (line === "") continue;
    lines++;
    if (line.includes("Lost the control connection")) lostControl++;
    if (/\]: Tor did not answer "/.test(line)) commandTimeouts++;
    const level = /^\S+ \S+ \[([A-Z]+)\]/.exec(line)?.[1] ?? "other";
    byLevel[level] = (byLevel[level] ?? 0) + 1;
  }
  return {
    lines,
    bytes: new TextEncoder().encode(text).length,
    warnings: byLevel.WARNING ?? 0,
    byLevel,
    lostControl,
    commandTimeouts,
  };
}

/** The control-port counts as the result stores them. */
export function controlSummary(c: ControlCounts, total: number): SharedTorResult["control"] {
  const { roundTripsMs, ...rest } = c;
  return {
    ...rest,
    commands: { ...rest.commands },
    events: { ...rest.events },
    totalCommands: total,
    roundTripMs: quantiles(roundTripsMs),
  };
}
