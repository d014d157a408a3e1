// deno-lint-ignore-file no-console -- prints the soak's figures
/**
 * The end of a soak: per balancer, its figures (availability and latency, around each rotation
 * too; closed intro points; how long a killed backend stayed published; memory and CPU; exits)
 * and its targets' verdicts, printed, and returned for `summary.json`; and the timeline picture.
 *
 * @module
 */

import type { BalancerProcess } from "./balancers.ts";
import {
  closedOverTime,
  leftOutTimes,
  type Recording,
  retiredIntroPoints,
  rotationTimes,
  summarizeProbes,
} from "./report.ts";
import { judgeTargets, type Verdict } from "./targets.ts";
import { timelineSvg } from "./timeline_svg.ts";

/** One balancer's figures. */
export interface BalancerSummary {
  probes: ReturnType<typeof summarizeProbes>;
  aroundRotations: ({ rotation: string } & ReturnType<typeof summarizeProbes>)[];
  closedAfterRotation: string[];
  closedOverTime: ReturnType<typeof closedOverTime>;
  killedBackendLeftOutAfterS: (number | string)[];
  rssMB: { first: number; max: number; last: number } | null;
  /** CPU time used per minute of the run (s), over every start. */
  cpuSecondsPerMinute: number | null;
  starts: number;
  unexpectedExits: { atS: number; code: number }[];
  targets: Verdict[];
}

/** Options of {@link summarize}. */
export interface SummaryOptions {
  t0: number;
  end: number;
  /** Memory is judged from this long into the run. */
  memoryAfterMs: number;
  /** The run had a busy-service load (`TargetInput.busy`). */
  busy?: { retiredGraceMs: number };
}

/** Computes, prints and returns every balancer's summary. */
export function summarize(
  balancers: readonly BalancerProcess[],
  rec: Recording,
  o: SummaryOptions,
): Record<string, BalancerSummary> {
  const rotations = rotationTimes(rec.samples);
  console.log(`\nintro points retired by live backends: ${retiredIntroPoints(rec.samples)}`);
  const out: Record<string, BalancerSummary> = {};
  for (const b of balancers) {
    const label = b.spec.label;
    const probes = rec.probes.filter((p) => p.balancer === label);
    const usage = rec.usage.filter((u) => u.balancer === label);
    const rss = usage.map((u) => u.bytes / 2 ** 20);
    const entry: BalancerSummary = {
      probes: summarizeProbes(probes),
      aroundRotations: rotations.map((r) => ({
        rotation: new Date(r).toISOString(),
        ...summarizeProbes(probes.filter((p) => p.at >= r - 30_000 && p.at < r + 90_000)),
      })),
      closedAfterRotation: rec.checks.filter((c) => c.balancer === label).map((c) =>
        `${c.closed}/${c.total}` +
        (c.ofDownBackends > 0 ? ` (+${c.ofDownBackends} of down backends)` : "")
      ),
      closedOverTime: closedOverTime(rec.served.filter((s) => s.balancer === label), rec.samples),
      killedBackendLeftOutAfterS: leftOutTimes(rec.kills, rec.served, rec.samples, label).map((
        l,
      ) => l.afterMs === undefined ? "not before restart" : Math.round(l.afterMs / 1000)),
      rssMB: rss.length === 0 ? null : { first: rss[0]!, max: Math.max(...rss), last: rss.at(-1)! },
      cpuSecondsPerMinute: cpuPerMinute(usage, o),
      starts: b.starts,
      unexpectedExits: b.unexpectedExits.map((e) => ({ atS: (e.at - o.t0) / 1000, code: e.code })),
      targets: judgeTargets({
        probes,
        samples: rec.samples,
        kills: rec.kills,
        copies: rec.copies.filter((c) => c.balancer === label),
        rss: usage,
        faultTimes: rec.faults.map((f) => f.at),
        balancerKilledAt: rec.faults.find((f) => f.label === "kill-balancers")?.at,
        hsDirRestarts: rec.hsDirRestarts,
        unexpectedExits: b.unexpectedExits.length,
        t0: o.t0,
        memoryAfterMs: o.memoryAfterMs,
        ...(o.busy ? { busy: o.busy } : {}),
      }),
    };
    out[label] = entry;
    print(label, b.spec.main ?? "/usr/sbin/onionbalance", entry);
  }
  return out;
}

/**
 * CPU seconds per minute: the CPU time each process life used (its last sample), summed, over
 * the minutes sampled.
 */
function cpuPerMinute(
  usage: readonly { at: number; cpuSeconds: number }[],
  o: SummaryOptions,
): number | null {
  if (usage.length < 2) return null;
  let total = 0;
  for (let i = 0; i < usage.length; i++) {
    const next = usage[i + 1];
    if (next === undefined || next.cpuSeconds < usage[i]!.cpuSeconds) total += usage[i]!.cpuSeconds;
  }
  return total / ((o.end - o.t0) / 60_000);
}

function print(label: string, what: string, e: BalancerSummary): void {
  const f = (n: number) => n.toFixed(1);
  const all = e.probes;
  console.log(`\n== ${label} (${what})`);
  console.log(
    `probes ${all.count}, ${f(all.availability)} % ok; latency p50 ${all.p50} ms, p90 ${all.p90}` +
      ` ms, p99 ${all.p99} ms, max ${all.max} ms; over 2 s: ${all.over2s}, over 5 s: ` +
      `${all.over5s}, over 30 s: ${all.over30s}; lost to tor's period-boundary race: ` +
      `${all.raced}; longest outage ${f(all.longestOutageMs / 1000)} s; failures ` +
      JSON.stringify(all.failures),
  );
  console.log(`answered by ${JSON.stringify(all.answeredBy)}`);
  for (const a of e.aroundRotations) {
    console.log(
      `  rotation ${a.rotation} (-30 s … +90 s): ${a.count} probes, ${f(a.availability)} % ok,` +
        ` p90 ${a.p90} ms, max ${a.max} ms, over 5 s: ${a.over5s}`,
    );
  }
  console.log(`closed intro points of live backends after each rotation: ${e.closedAfterRotation}`);
  console.log(`closed intro points over the run: ${JSON.stringify(e.closedOverTime)}`);
  console.log(`killed backend gone from the descriptor after (s): ${e.killedBackendLeftOutAfterS}`);
  console.log(
    `RSS MB: ${JSON.stringify(e.rssMB)}; CPU ${e.cpuSecondsPerMinute?.toFixed(2)} s/min; ` +
      `starts ${e.starts}; unexpected exits ${JSON.stringify(e.unexpectedExits)}`,
  );
  for (const v of e.targets) {
    console.log(`  target ${v.ok ? "met   " : "MISSED"} ${v.target}: ${v.detail}`);
  }
}

/** Writes `summary.json` and `timeline.svg` into `dir`. */
export async function writeResults(
  dir: string,
  summary: Record<string, BalancerSummary>,
  rec: Recording,
  o: SummaryOptions,
): Promise<void> {
  await Deno.writeTextFile(`${dir}/summary.json`, JSON.stringify(summary, null, 2) + "\n");
  await Deno.writeTextFile(
    `${dir}/timeline.svg`,
    timelineSvg({
      t0: o.t0,
      end: o.end,
      balancers: Object.keys(summary),
      probes: rec.probes,
      rss: rec.usage,
      rotations: rotationTimes(rec.samples),
      faults: rec.faults,
    }),
  );
}
