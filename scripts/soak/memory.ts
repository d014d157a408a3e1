// deno-lint-ignore-file no-console -- a command-line report
/**
 * Where a soaked balancer's memory goes: reads a soak's results folder, run with
 * `--v8-flags=--trace-gc` (V8 prints one line per garbage collection into the balancer's log),
 * and prints, per stretch of the run, the median resident size (`ps`, from `events.jsonl`)
 * beside V8's heap after each full collection (live objects) and the heap V8 holds from the
 * system (committed). Resident memory minus the committed heap is the rest: the runtime's own
 * code and data, compiled code, and buffers outside the heap.
 *
 * Usage: deno run --allow-read scripts/soak/memory.ts /tmp/ob-soak-…/soak [--label this] [--every 10]
 *
 * @module
 */

/** One full (mark-compact) collection: when, and the heap after it (MB). */
export interface GcSample {
  at: number;
  /** Live heap after the collection. */
  liveMB: number;
  /** Heap committed after the collection. */
  committedMB: number;
}

// Anywhere in a line: a SIGKILLed process may have left its last line unfinished.
const STARTED = /--- started (\S+) pid (\d+)$/;
const GC =
  /^\[(\d+):0x[0-9a-f]+\]\s+(\d+) ms: (?:Incremental )?Mark-Compact(?: \([^)]*\))? [\d.]+ \([\d.]+\) -> ([\d.]+) \(([\d.]+)\) MB/;

/**
 * The mark-compact collections in a balancer's log (`BalancerProcess` writes a
 * `--- started <ISO time> pid <pid>` line before each start; V8 times its lines from there).
 */
export function parseGcTrace(log: string): GcSample[] {
  const samples: GcSample[] = [];
  const started = new Map<string, number>();
  for (const line of log.split("\n")) {
    const start = STARTED.exec(line);
    if (start !== null) {
      started.set(start[2]!, Date.parse(start[1]!));
      continue;
    }
    const gc = GC.exec(line);
    const t0 = gc === null ? undefined : started.get(gc[1]!);
    if (gc === null || t0 === undefined) continue;
    samples.push({
      at: t0 + Number(gc[2]),
      liveMB: Number(gc[3]),
      committedMB: Number(gc[4]),
    });
  }
  return samples;
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor((s.length - 1) / 2)]!;
};

if (import.meta.main) {
  const dir = Deno.args[0];
  if (dir === undefined) {
    throw new TypeError("usage: memory.ts <soak results folder> [--label this] [--every 10]");
  }
  const label = Deno.args.includes("--label")
    ? Deno.args[Deno.args.indexOf("--label") + 1]!
    : "this";
  const every = 60_000 *
    Number(Deno.args.includes("--every") ? Deno.args[Deno.args.indexOf("--every") + 1] : 10);
  const gcs = parseGcTrace(await Deno.readTextFile(`${dir}/${label}.log`));
  const rss = (await Deno.readTextFile(`${dir}/events.jsonl`)).split("\n").filter((l) => l !== "")
    .map((l) => JSON.parse(l) as { kind: string; balancer?: string; at: number; bytes?: number })
    .filter((e) => e.kind === "usage" && e.balancer === label)
    .map((e) => ({ at: e.at, mb: e.bytes! / 2 ** 20 }));
  if (rss.length === 0) throw new Error(`no memory samples of "${label}" in ${dir}/events.jsonl`);
  if (gcs.length === 0) throw new Error(`no --trace-gc lines in ${dir}/${label}.log`);
  const t0 = rss[0]!.at;
  console.log("minutes   RSS MB   V8 live MB   V8 committed MB   rest MB   full GCs");
  for (let from = t0; from < rss.at(-1)!.at; from += every) {
    const r = rss.filter((s) => s.at >= from && s.at < from + every).map((s) => s.mb);
    const g = gcs.filter((s) => s.at >= from && s.at < from + every);
    if (r.length === 0) continue;
    const committed = median(g.map((s) => s.committedMB));
    console.log(
      `${`${(from - t0) / 60_000}–${(from + every - t0) / 60_000}`.padEnd(9)}` +
        `${median(r).toFixed(1).padStart(7)}${
          median(g.map((s) => s.liveMB)).toFixed(1).padStart(13)
        }` +
        `${committed.toFixed(1).padStart(18)}${(median(r) - committed).toFixed(1).padStart(10)}` +
        `${String(g.length).padStart(11)}`,
    );
  }
}
