// deno-lint-ignore-file no-console -- a command-line script reports on the console
/**
 * `deno task bench`: this balancer and OnionBalance 0.2.2 side by side, on
 * the same inputs, in one run; prints min/median per stage and the ratio,
 * and writes the results into `docs/benchmarks.md`.
 *
 * 1. Makes the input folder if it is missing (`scripts/bench/generate.ts`;
 *    format in `scripts/bench/README.md`).
 * 2. Runs OnionBalance's stages: `/usr/bin/python3 scripts/bench/ob_harness.py`
 *    (Debian's onionbalance 0.2.2 and stem 1.8.1; only control-port I/O and
 *    the clock replaced).
 * 3. Runs our stages in a child `deno` (`scripts/bench/ours.ts --stages`),
 *    then the shared-hosting cycle in another (`--shared`), so that its CPU
 *    time and peak RSS are its own.
 * 4. Prints the table; replaces the block between `<!-- bench:begin -->` and
 *    `<!-- bench:end -->` of the output file (the rest of the file is
 *    written by hand and kept) and formats the file with `deno fmt`.
 *
 * Usage: `deno task bench [--input DIR] [--out FILE] [--reps N] [--ob-reps FAST,SLOW]
 * [--ob-shared N] [--skip-ob]`. Defaults: input `/tmp/onionbalance-bench/input-v2`,
 * out `docs/benchmarks.md`, 10 repetitions of ours, 5 (fast stages) and 3
 * (build and cycle stages) of OnionBalance's, whose pure-Python parts are slow;
 * OnionBalance's shared hosting runs 10 services and is extrapolated.
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  DEFAULT_OPTIONS,
  generateInputs,
  type InputManifest,
  readInputs,
  writeInputs,
} from "./bench/generate.ts";
import { daemonV8Flags } from "./bench/_daemon_flags.ts";
import { BenchInputError, checkInputs, type InputFacts } from "./bench/input_check.ts";
import type { OurStagesResult, SharedResult, StageTimes } from "./bench/ours.ts";

/** What `ob_harness.py` writes. */
interface ObResult {
  stages: StageTimes;
  facts: Record<string, unknown> & {
    shared?: {
      services: number;
      consensusSeconds: number;
      perServiceSeconds: number;
      cpuSeconds: number;
      posts: number;
    };
  };
  cpuSeconds: number;
  peakRssKb: number;
  versions: { onionbalance: string; stem: string; python: string };
}

const PYTHON = "/usr/bin/python3";
/** The backend set sizes K of this run: the folder's sets (`checkInputs`), set once in main(). */
let SETS: readonly number[] = [1, 10, 60];
/**
 * What a native-code balancer would take for the whole first cycle at K = 10 on the machine of
 * the 2026-11-24 report (issue 21's estimate): the floor to compare the first cycle with.
 */
const NATIVE_CYCLE_ESTIMATE_MS = [5, 7];
const BEGIN = "<!-- bench:begin -->";
const END = "<!-- bench:end -->";

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function min(values: readonly number[]): number {
  return Math.min(...values);
}

/** Seconds as milliseconds with 3 significant digits (or "—"). */
function ms(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return "—";
  const v = seconds * 1000;
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toFixed(3);
}

function ratio(ob: number | undefined, ours: number | undefined): string {
  if (ob === undefined || ours === undefined || ours <= 0) return "—";
  const r = ob / ours;
  return `${r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(2)}×`;
}

async function run(
  command: string,
  args: string[],
  stdin?: unknown,
  env?: Record<string, string>,
): Promise<string> {
  const child = new Deno.Command(command, {
    args,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    ...(env === undefined ? {} : { clearEnv: true, env }),
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(JSON.stringify(stdin)));
    await writer.close();
  }
  const { code, stdout, stderr } = await child.output();
  if (code !== 0) {
    throw new Error(
      `${command} ${args.join(" ")} failed (exit ${code}): ${new TextDecoder().decode(stderr)}`,
    );
  }
  return new TextDecoder().decode(stdout);
}

async function runOb(
  dir: string,
  reps: { fast: number; slow: number },
  shared: number,
): Promise<ObResult> {
  const script = new URL("./bench/ob_harness.py", import.meta.url).pathname;
  const out = await run(PYTHON, [script], { dir, sets: SETS, reps, sharedServices: shared }, {
    PATH: "/usr/bin:/bin",
    LC_ALL: "C.UTF-8",
    TZ: "UTC",
    PYTHONDONTWRITEBYTECODE: "1",
  });
  return JSON.parse(out) as ObResult;
}

/** Runs `scripts/bench/ours.ts` in its own process with the permissions it needs. */
async function runOurs(mode: "--stages" | "--shared", dir: string, reps: number): Promise<string> {
  const script = new URL("./bench/ours.ts", import.meta.url).pathname;
  return await run("deno", [
    "run",
    ...await daemonV8Flags(),
    `--allow-read=${dir}`,
    "--allow-run=cat",
    script,
    mode,
    dir,
    String(reps),
    ...SETS.map(String),
  ]);
}

/** CPU model, cores, memory and kernel, from /proc through `cat`. */
async function machine(): Promise<string> {
  const text = await run("cat", ["/proc/cpuinfo", "/proc/meminfo", "/proc/sys/kernel/osrelease"]);
  const model = /model name\s*:\s*(.+)/.exec(text)?.[1]?.trim() ?? "unknown CPU";
  const cores = text.match(/^processor\s*:/gm)?.length ?? navigator.hardwareConcurrency;
  const memKb = Number(/MemTotal:\s+(\d+) kB/.exec(text)?.[1] ?? NaN);
  const kernel = text.trim().split("\n").at(-1) ?? "?";
  return `${model}, ${cores} cores, ${(memKb / 1048576).toFixed(1)} GiB RAM, Linux ${kernel}`;
}

interface Row {
  stage: string;
  ours?: number[];
  ob?: number[];
  note?: string;
}

function rows(ours: StageTimes, ob: StageTimes | undefined, facts: RowFacts): Row[] {
  const sum = (t: StageTimes | undefined, a: string, b: string) => {
    const x = t?.[a];
    const y = t?.[b];
    return x === undefined || y === undefined ? undefined : x.map((v, i) => v + (y[i] ?? NaN));
  };
  const out: Row[] = [
    {
      stage: "consensus + md/all parse, relay list",
      ours: ours.consensus,
      ob: ob?.consensus,
      note: `${facts.relays} relays`,
    },
    {
      stage: "HSDir rings, first and second descriptor",
      ours: ours.rings,
      ob: ob?.rings,
      note: `${facts.ringSize} HSDirs each`,
    },
    {
      stage: "**consensus parse + both rings**",
      ours: sum(ours, "consensus", "rings"),
      ob: sum(ob, "consensus", "rings"),
    },
    { stage: "key blinding (one period)", ours: ours.blind, ob: ob?.blind },
    {
      stage: "responsible HSDirs of one blinded key",
      ours: ours.responsible,
      ob: ob?.responsible,
      note: "OB rebuilds the ring on every call; ours looks it up",
    },
  ];
  for (const k of SETS) {
    out.push({
      stage: `verify+decrypt ${k} backend descriptor${k === 1 ? "" : "s"}`,
      ours: ours[`decode:${k}`],
      ob: ob?.[`decode:${k}`],
      note: k === 1 ? "OB does not verify signatures (its tor did); ours does" : undefined,
    });
  }
  for (const k of SETS) {
    out.push({
      stage: `build+sign all descriptors of one publish, K = ${k}`,
      ours: ours[`build:${k}`],
      ob: ob?.[`build:${k}`],
      note: facts.built[k],
    });
  }
  for (const k of SETS) {
    out.push({
      stage: `republish after one backend rotated its intro points, K = ${k}`,
      ours: ours[`republish:${k}`],
      ob: ob?.[`republish:${k}`],
      note: facts.republished[k],
    });
  }
  for (const k of SETS) {
    out.push({
      stage: `the next hour: new consensus, K fetched again, republish, K = ${k}`,
      ours: ours[`next:${k}`],
      ob: ob?.[`next:${k}`],
      note: facts.next[k],
    });
  }
  for (const k of SETS) {
    out.push({
      stage: `**whole publish cycle, K = ${k}**`,
      ours: ours[`cycle:${k}`],
      ob: ob?.[`cycle:${k}`],
      note: facts.posts[k],
    });
  }
  return out;
}

interface RowFacts {
  relays: string;
  ringSize: string;
  built: Record<number, string>;
  republished: Record<number, string>;
  next: Record<number, string>;
  posts: Record<number, string>;
}

/** OnionBalance's `+HSPOST`s ([SERVER= count, bytes] each), in words. */
function obUploads(posts: unknown): string {
  const list = posts as [number, number][] | undefined;
  if (list === undefined) return "";
  if (list.length === 0) return "OB: nothing (descriptor over 50,000 bytes)";
  return `OB: ${list.reduce((n, [servers]) => n + servers, 0)} uploads in ${list.length} HSPOST`;
}

function rowFacts(ours: OurStagesResult, ob: ObResult | undefined): RowFacts {
  const built: Record<number, string> = {};
  const posts: Record<number, string> = {};
  const republished: Record<number, string> = {};
  const next: Record<number, string> = {};
  for (const k of SETS) {
    const nextReasons = (ours.facts[`next:${k}`] as string[] | undefined) ?? [];
    const obNext = obUploads(ob?.facts[`nextPosts:${k}`]);
    next[k] =
      `ours: ${nextReasons.length} slots republished (${[...new Set(nextReasons)].join("; ")})` +
      (obNext && `; ${obNext}`);
    const mine = ours.facts[`built:${k}`] as number[] | undefined;
    const theirs = ob?.facts[`built:${k}`] as ({ introPoints: number } | null)[] | undefined;
    const obText = theirs === undefined
      ? ""
      : theirs.every((d) => d === null)
      ? "; OB: over 50,000 bytes, publishes nothing"
      : `; OB: ${theirs.length} × ${theirs.map((d) => d?.introPoints ?? "none").join("/")} IPs`;
    const counts = (ours.facts[`published:${k}`] as number[][] | undefined)?.flat() ?? [];
    built[k] = `ours: ${mine?.length ?? "?"} descriptors (${counts.join("/")} IPs)${obText}`;
    const obPosts = obUploads(ob?.facts[`posts:${k}`]);
    posts[k] = `ours: ${ours.facts[`posts:${k}`]} uploads` + (obPosts && `; ${obPosts}`);
    const reasons = (ours.facts[`republished:${k}`] as string[] | undefined) ?? [];
    const obRepublished = obUploads(ob?.facts[`republishPosts:${k}`]);
    republished[k] =
      `ours: ${reasons.length} slots republished (${[...new Set(reasons)].join("; ")})` +
      (obRepublished && `; ${obRepublished}`);
  }
  const ringSize = ours.facts.ringSize as number[];
  const obNodes = ob?.facts.nodes as number | undefined;
  return {
    relays: `${ours.facts.relays}` + (obNodes === undefined ? "" : ` (OB keeps ${obNodes})`),
    ringSize: ringSize.join("/"),
    built,
    republished,
    next,
    posts,
  };
}

function table(all: Row[]): string {
  const lines = [
    "| stage | ours min | ours median | OB min | OB median | OB ÷ ours (median) | notes |",
    "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
  ];
  for (const r of all) {
    const om = r.ours === undefined ? undefined : median(r.ours);
    const bm = r.ob === undefined ? undefined : median(r.ob);
    lines.push(
      `| ${r.stage} | ${ms(r.ours && min(r.ours))} | ${ms(om)} | ${ms(r.ob && min(r.ob))} | ` +
        `${ms(bm)} | ${ratio(bm, om)} | ${r.note ?? ""} |`,
    );
  }
  return lines.join("\n");
}

function sharedSection(shared: SharedResult, ob: ObResult | undefined): string {
  const lines = [
    `Shared hosting: ${shared.frontends} frontends × ${shared.backendsPerFrontend} backends ` +
    `(${shared.backends} backends shared round-robin: frontend i uses backends 3i…3i+2 mod ` +
    `${shared.backends}), one publish cycle in one process: view from the documents, ` +
    `${shared.backends} backend descriptors verified and decrypted once each, one ` +
    `\`maintain()\` per service until all ${shared.posts} upload results are in ` +
    `(${shared.descriptorsBuilt} descriptors built).`,
    "",
    "| | CPU (user+sys) | wall | peak RSS (VmHWM) |",
    "| --- | ---: | ---: | ---: |",
    `| ours, 1,000 × 3 | ${shared.cpuSeconds.toFixed(2)} s | ${
      shared.wallSeconds.toFixed(2)
    } s (view ${shared.parts.viewSeconds.toFixed(2)}, decode ${
      shared.parts.decodeSeconds.toFixed(2)
    }, maintain ${shared.parts.maintainSeconds.toFixed(2)}) | ${
      (shared.peakRssKb / 1024).toFixed(0)
    } MB |`,
  ];
  const s = ob?.facts.shared;
  if (s !== undefined) {
    const estimate = s.consensusSeconds + s.perServiceSeconds * shared.frontends;
    lines.push(
      `| OB, ${s.services} × 3 measured | ${s.cpuSeconds.toFixed(2)} s | ${
        (s.consensusSeconds + s.perServiceSeconds * s.services).toFixed(2)
      } s | (whole harness: ${(ob!.peakRssKb / 1024).toFixed(0)} MB) |`,
      `| OB, 1,000 × 3 extrapolated | — | ≈ ${estimate.toFixed(0)} s (${
        (s.perServiceSeconds * 1000).toFixed(0)
      } ms per service) | — |`,
    );
  }
  const m = shared.metrics;
  lines.push(
    "",
    `The metrics of those ${shared.frontends} frontends (after the cycle; every service with ` +
      `every publish reason, upload result, backend fetch and health-check result, an audit of ` +
      `8 HSDir copies and probes that passed and failed: the most series each can have): ` +
      `${m.series} series, ${(m.bytes / 1e6).toFixed(2)} MB per scrape, made in ` +
      `${(m.scrapeSeconds * 1000).toFixed(0)} ms; the metrics and one scrape grew the heap by ` +
      `${(m.heapBytes / 1e6).toFixed(1)} MB and the resident memory by ` +
      `${(m.rssBytes / 1e6).toFixed(1)} MB.`,
  );
  return lines.join("\n");
}

/** A target line: what, the figure, met or missed. */
function target(what: string, figure: number, text: string, met: boolean): string {
  return `- ${what}: ` +
    (Number.isFinite(figure) ? `**${text} — ${met ? "met" : "missed"}**` : "not measured");
}

function targets(ours: OurStagesResult, ob: ObResult | undefined, shared: SharedResult): string {
  const medianOf = (t: StageTimes | undefined, stage: string) => median(t?.[stage] ?? [NaN]);
  const speedupOf = (stage: string) => medianOf(ob?.stages, stage) / medianOf(ours.stages, stage);
  const cycle = speedupOf("cycle:10");
  const next = speedupOf("next:10");
  const decode = speedupOf("decode:1");
  const obShared = ob?.facts.shared;
  const obCpuPerService = obShared === undefined ? NaN : obShared.cpuSeconds / obShared.services;
  const cpuRatio = obCpuPerService / (shared.cpuSeconds / shared.frontends);
  const rssMb = shared.peakRssKb / 1024;
  const cycleMs = medianOf(ours.stages, "cycle:10") * 1000;
  const [low, high] = NATIVE_CYCLE_ESTIMATE_MS as [number, number];
  return [
    target(
      "Whole publish cycle from scratch, K = 10, at least 30× faster than OnionBalance 0.2.2",
      cycle,
      `${cycle.toFixed(1)}×`,
      cycle >= 30,
    ),
    target(
      "The next hour, K = 10 (new consensus, every backend fetched again, republish), at least 50×",
      next,
      `${next.toFixed(1)}×`,
      next >= 50,
    ),
    target(
      `Shared hosting, ${shared.frontends} frontends × ${shared.backendsPerFrontend} backends: ` +
        "at least 150× less CPU per frontend than OnionBalance",
      cpuRatio,
      `${cpuRatio.toFixed(0)}× (ours ${(shared.cpuSeconds / shared.frontends * 1000).toFixed(1)} ` +
        `ms, OB ${(obCpuPerService * 1000).toFixed(0)} ms per frontend)`,
      cpuRatio >= 150,
    ),
    target("… and peak RSS at most 200 MB", rssMb, `${rssMb.toFixed(0)} MB`, rssMb <= 200),
    target(
      "Verify+decrypt of one backend descriptor at least as fast as OnionBalance's",
      decode,
      `${decode.toFixed(2)}×`,
      decode >= 1,
    ),
    `- The first cycle (K = 10) against a native-code balancer's ≈ ${low}–${high} ms: ` +
    (Number.isFinite(cycleMs)
      ? `**${(cycleMs / high).toFixed(0)}–${(cycleMs / low).toFixed(0)}× the native time** ` +
        `(${cycleMs.toFixed(0)} ms; the estimate is for the machine of the 2026-11-24 report)`
      : "not measured"),
  ].join("\n");
}

/** The input line of the report: what the folder holds, as read by `checkInputs`. */
function inputLine(manifest: InputManifest, facts: InputFacts): string {
  const d = facts.descriptors;
  const span = (r: { min: number; max: number }) =>
    r.min === r.max ? `${r.min}` : `${r.min}–${r.max}`;
  return `Input: ${manifest.source}: ${facts.relays} relays, ${facts.hsDirFlag} with the HSDir ` +
    `flag` +
    (facts.relaysWithoutMicrodesc > 0
      ? `, ${facts.relaysWithoutMicrodesc} without a microdescriptor`
      : "") +
    `, valid-after ${new Date(manifest.validAfter * 1000).toISOString()}; ` +
    `${d.count} backend descriptors (the rotated one included): ${span(d.introPoints)} intro ` +
    `points, ${span(d.authClientLines)} \`auth-client\` lines, \`flow-control\` in ` +
    `${d.withFlowControl}, ${span(d.bytes)} bytes; sets K = ${facts.sets.join(", ")}.`;
}

async function ensureInputs(dir: string): Promise<InputManifest> {
  try {
    return (await readInputs(dir)).manifest;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  console.log(`Generating the bench inputs in ${dir} …`);
  const inputs = await generateInputs(DEFAULT_OPTIONS);
  await writeInputs(dir, inputs);
  return inputs.manifest;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      input: { type: "string", default: "/tmp/onionbalance-bench/input-v2" },
      out: { type: "string", default: "docs/benchmarks.md" },
      reps: { type: "string", default: "10" },
      "ob-reps": { type: "string", default: "5,3" },
      "ob-shared": { type: "string", default: "10" },
      "skip-ob": { type: "boolean", default: false },
    },
    strict: true,
  });
  const dir = values.input;
  await ensureInputs(dir);
  let checked: Awaited<ReturnType<typeof checkInputs>>;
  try {
    checked = await checkInputs(dir);
  } catch (error) {
    if (!(error instanceof BenchInputError)) throw error;
    console.error(error.message);
    Deno.exit(2);
  }
  const { manifest, facts: inputFacts } = checked;
  SETS = inputFacts.sets;
  const [fast, slow] = values["ob-reps"].split(",").map(Number) as [number, number];
  const reps = Number(values.reps);

  let ob: ObResult | undefined;
  if (!values["skip-ob"]) {
    console.log(`OnionBalance 0.2.2: ${fast} (fast stages) / ${slow} (build, cycle) runs …`);
    ob = await runOb(dir, { fast, slow }, Number(values["ob-shared"]));
  }
  console.log(`Ours: ${reps} runs of each stage …`);
  const ours = JSON.parse(await runOurs("--stages", dir, reps)) as OurStagesResult;
  console.log("Ours: shared hosting …");
  const shared = JSON.parse(await runOurs("--shared", dir, 1)) as SharedResult;

  const facts = rowFacts(ours, ob);
  const responsibleSame = ob === undefined ||
    JSON.stringify(ob.facts.responsibleFirst) === JSON.stringify(ours.facts.responsibleFirst);
  const block = [
    BEGIN,
    `Run ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC on ${await machine()}.`,
    `Deno ${Deno.version.deno} (V8 ${Deno.version.v8})` +
    (ob === undefined
      ? ""
      : `; OnionBalance ${ob.versions.onionbalance}, stem ${ob.versions.stem}, Python ${ob.versions.python}`) +
    ".",
    "",
    `${inputLine(manifest, inputFacts)} Repetitions: ours ${reps}, ` +
    (ob === undefined ? "OB skipped" : `OB ${fast} (fast stages) / ${slow} (build, cycle)`) +
    `, each after one unrecorded warm-up run. Times in milliseconds, wall clock.` +
    (responsibleSame ? "" : " **Warning: the two sides chose different HSDirs.**"),
    "",
    table(rows(ours.stages, ob?.stages, facts)),
    "",
    sharedSection(shared, ob),
    "",
    targets(ours, ob, shared),
    END,
  ].join("\n");
  console.log(`\n${block}\n`);
  await writeBlock(values.out, block);
  console.log(`Wrote ${values.out}`);
}

/** Replaces the generated block of `path`, or writes a file holding only the block. */
async function writeBlock(path: string, block: string): Promise<void> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    text = "";
  }
  const start = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  const next = start >= 0 && end > start
    ? text.slice(0, start) + block + text.slice(end + END.length)
    : `${text}${text === "" ? "" : "\n"}${block}\n`;
  await Deno.writeTextFile(path, next);
  // The repository's formatter wraps and aligns Markdown; `deno task fmt:check` stays clean.
  await run("deno", ["fmt", "--quiet", path]);
}

if (import.meta.main) await main();
