// deno-lint-ignore-file no-console -- a command-line script reports on the console
/**
 * Times `parseMicrodescConsensus` alone on a large microdesc consensus: the
 * synthetic 7,000-relay network of `generate.ts` (seed `bench-v1`, 4,000
 * HSDirs), or a consensus file. `deno task bench` times the whole
 * `consensus` stage (consensus, md/all, relay list); this isolates the
 * consensus parser, for changes to `src/netdoc/consensus.ts` and `src/netdoc/_consensus_*.ts`.
 *
 * Spec: dir-spec §3.4.1 and §3.9.2 (the document parsed).
 *
 * Role: a tool, not part of the balancer. Wall-clock timings
 * (`performance.now()`), after warm-up runs; prints the median, the fastest
 * and the 90th percentile in milliseconds.
 *
 * Run: `deno run --allow-read=. scripts/bench/consensus.ts [--runs 60] [--warmup 15]
 * [--relays 7000] [--file CONSENSUS]`.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { parseMicrodescConsensus } from "../../src/netdoc/consensus.ts";
import { DEFAULT_VALID_AFTER, synthNetwork } from "./generate.ts";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "60" },
    warmup: { type: "string", default: "15" },
    relays: { type: "string", default: "7000" },
    file: { type: "string" },
  },
});
const runs = Number(values.runs);
const warmup = Number(values.warmup);
const relays = Number(values.relays);
if (!(runs > 0 && warmup >= 0 && relays > 0)) {
  throw new RangeError("Cannot run the benchmark: --runs, --warmup and --relays must be positive");
}

const text = values.file !== undefined
  ? await Deno.readTextFile(values.file)
  : synthNetwork("bench-v1", {
    relays,
    hsDirs: Math.round(relays * 4 / 7),
    validAfter: DEFAULT_VALID_AFTER,
  }).consensus;

let count = 0;
for (let i = 0; i < warmup; i++) count = parseMicrodescConsensus(text).relays.length;
const times: number[] = [];
for (let i = 0; i < runs; i++) {
  const start = performance.now();
  count = parseMicrodescConsensus(text).relays.length;
  times.push(performance.now() - start);
}
times.sort((a, b) => a - b);
const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
console.log(
  `parseMicrodescConsensus: ${count} relays, ${(text.length / 1e6).toFixed(2)} MB, ${runs} runs: ` +
    `median ${at(0.5).toFixed(2)} ms, min ${times[0]!.toFixed(2)} ms, p90 ${at(0.9).toFixed(2)} ms`,
);
