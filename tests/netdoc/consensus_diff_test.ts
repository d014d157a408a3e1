import assert from "node:assert/strict";
import fc from "fast-check";
import { generateInputs } from "../../scripts/bench/generate.ts";
import { type MicrodescConsensus, parseMicrodescConsensus } from "../../src/netdoc/consensus.ts";
import { NetdocSyntaxError } from "../../src/netdoc/errors.ts";
import { networkDocuments } from "../balancer/_fixtures.ts";
import { referenceParseMicrodescConsensus } from "./_consensus_reference.ts";

/**
 * The parse of `text` by `parse`: the result and the order of its keys and of
 * each relay's keys, or the error's class, kind, line and message.
 */
function outcome(parse: (text: string) => MicrodescConsensus, text: string): unknown {
  try {
    const ok = parse(text);
    const keys = [Object.keys(ok).join(), ...ok.relays.map((r) => Object.keys(r).join())];
    return { ok, keys };
  } catch (error) {
    if (!(error instanceof NetdocSyntaxError)) throw error;
    return { error: `${error.name} ${error.kind} ${error.line}: ${error.message}` };
  }
}

function same(text: string): void {
  assert.deepEqual(
    outcome(parseMicrodescConsensus, text),
    outcome(referenceParseMicrodescConsensus, text),
  );
}

const bench = await generateInputs({
  seed: "consensus-diff",
  relays: 300,
  hsDirs: 150,
  sets: [1],
  introPointsPerBackend: 1,
  sharedFrontends: 0,
  sharedBackendsPerFrontend: 1,
});
const SAMPLES = [
  networkDocuments({ hsDirs: 20 }).consensus,
  bench.files.get("consensus-microdesc.txt")!,
  bench.files.get(bench.manifest.next.consensus)!,
];

Deno.test("parseMicrodescConsensus() reads what the line-by-line reference parser reads", () => {
  for (const text of SAMPLES) {
    same(text);
    same(text.replaceAll("\n", "\r\n"));
    same(text.replace(/\n$/, ""));
  }
  same("");
});

Deno.test("parseMicrodescConsensus() agrees with the reference on odd forms of router lines", () => {
  const text = SAMPLES[1]!;
  const variants = [
    (t: string) => t.replace(/^r (\S+) /m, "r  $1 "), // double space
    (t: string) => t.replace(/^r /m, " r "), // leading space
    (t: string) => t.replace(/^(r .*) \d+$/m, "$1"), // too few words
    (t: string) => t.replace(/^(r \S+) \S+/m, "$1 !!notbase64!!!!!!!!!!!!!!!"),
    (t: string) => t.replace(/^(r \S+) (\S+)/m, "$1 $2="), // identity padded
    (t: string) => t.replace(/^(r \S+) (\S+)/m, "$1 AAAA"), // identity too short
    (t: string) => t.replace(/^(r .*)$/m, "$1 "), // trailing space
    (t: string) => t.replace(/^m (\S+)$/m, "m $1=="), // padded digest
    (t: string) => t.replace(/^m (\S+)$/m, "m $1="),
    (t: string) => t.replace(/^m (\S+)$/m, "m $1==="),
    (t: string) => t.replace(/^m (\S+)$/m, "m  $1"),
    (t: string) => t.replace(/^m (\S+)$/m, "m"),
    (t: string) => t.replace(/^m (\S+)$/m, "m $1 extra"),
    (t: string) => t.replace(/^s (.*)$/m, "s  $1"),
    (t: string) => t.replace(/^s (.*)$/m, "s"),
    (t: string) => t.replace(/^v (.*)$/m, "v  $1 "),
    (t: string) => t.replace(/^pr (.*)$/m, "pr $1 Bogus"),
    (t: string) => t.replace(/^pr (.*)$/m, "pr  $1"),
    (t: string) => t.replace(/^pr (.*)$/m, "pr"),
    (t: string) => t.replace(/^valid-after .*$/m, "valid-after  2030-01-01 13:00:00"),
    // The caches of the fast path, filled by the general path: odd forms seen first.
    (t: string) => t.replace(/^s (.*)$/m, " s $1"), // leading space: no cache key
    (t: string) => t.replace(/^v (.*)$/m, "v $1\r"), // a stray CR in an LF document
    (t: string) => t.replace(/^pr (.*)$/m, "pr $1\npr $1"), // a repeated line, a cache hit
    // Entry lines where there is no entry; entries cut short.
    (t: string) => t.replace(/^(params .*)$/m, "$1\nm AAAA\ns Fast\nv Tor 0.4.9.1\npr Link=1"),
    (t: string) => t.replace(/^(r .*)$/m, "directory-footer\n$1"),
    (t: string) => t.replace(/^m .*\n/m, ""), // no m line: the entry is dropped
  ];
  for (const variant of variants) {
    const changed = variant(text);
    assert.notEqual(changed, text);
    same(changed);
  }
});

/** Whole lines the random edits insert: entry lines outside entries, a footer amid entries, … */
const SNIPPETS = [
  "directory-footer",
  "r extra AAAAAAAAAAAAAAAAAAAAAAAAAAA 2030-01-01 12:00:00 192.0.2.1 9001 0",
  "m AAAA",
  "s Fast Running",
  "v Tor 0.4.9.1",
  "pr HSDir=2 Link=1-5",
  "params extra=1",
  "shared-rand-current-value 9 " + "A".repeat(43) + "=",
];

const EDIT = fc.record({
  line: fc.nat(),
  at: fc.nat(),
  kind: fc.constantFrom("insert", "delete", "duplicate", "drop", "copy", "snippet"),
  char: fc.constantFrom(" ", "\r", "\n", "=", "r", "m", "s", "v", "p", "A", "x", "-", "\t"),
});

type Edit = typeof EDIT extends fc.Arbitrary<infer T> ? T : never;

/** `base` (its lines) with the edits of {@link EDIT} applied, joined again. */
function edited(base: readonly string[], edits: readonly Edit[]): string {
  const lines = [...base];
  for (const e of edits) {
    const i = e.line % lines.length;
    const line = lines[i]!;
    const at = e.at % (line.length + 1);
    if (e.kind === "insert") lines[i] = line.slice(0, at) + e.char + line.slice(at);
    else if (e.kind === "delete") lines[i] = line.slice(0, at) + line.slice(at + 1);
    else if (e.kind === "duplicate") lines.splice(i, 0, line);
    else if (e.kind === "drop") lines.splice(i, 1);
    else if (e.kind === "copy") lines.splice(e.at % lines.length, 0, line);
    else lines.splice(i, 0, SNIPPETS[e.at % SNIPPETS.length]!);
  }
  return lines.join("\n");
}

Deno.test("parseMicrodescConsensus() agrees with the reference on randomly edited consensuses", () => {
  const cases: [string, number][] = [[SAMPLES[0]!, 3_000], [SAMPLES[1]!, 300]];
  for (const [text, numRuns] of cases) {
    const base = text.split("\n");
    fc.assert(
      fc.property(fc.array(EDIT, { minLength: 1, maxLength: 6 }), (edits) => {
        same(edited(base, edits));
      }),
      { numRuns },
    );
  }
});
