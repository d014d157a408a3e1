import assert from "node:assert/strict";
import fc from "fast-check";
import { generateInputs } from "../../scripts/bench/generate.ts";
import { parseMicrodescConsensus } from "../../src/netdoc/consensus.ts";
import { networkDocuments } from "../balancer/_fixtures.ts";
import { referenceParseMicrodescConsensus } from "./_consensus_reference.ts";

/** The parse of `text` by `parse`: the result, or the error's class and message. */
function outcome(parse: (text: string) => unknown, text: string): unknown {
  try {
    return { ok: parse(text) };
  } catch (error) {
    return { error: `${(error as Error).name}: ${(error as Error).message}` };
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
  ];
  for (const variant of variants) {
    const changed = variant(text);
    assert.notEqual(changed, text);
    same(changed);
  }
});

Deno.test("parseMicrodescConsensus() agrees with the reference on randomly edited consensuses", () => {
  const base = SAMPLES[0]!.split("\n");
  const edit = fc.record({
    line: fc.nat(),
    at: fc.nat(),
    kind: fc.constantFrom("insert", "delete", "duplicate", "drop"),
    char: fc.constantFrom(" ", "\r", "=", "r", "m", "s", "v", "p", "A", "x", "-", "\t"),
  });
  fc.assert(
    fc.property(fc.array(edit, { minLength: 1, maxLength: 6 }), (edits) => {
      const lines = [...base];
      for (const e of edits) {
        const i = e.line % lines.length;
        const line = lines[i]!;
        const at = e.at % (line.length + 1);
        if (e.kind === "insert") lines[i] = line.slice(0, at) + e.char + line.slice(at);
        else if (e.kind === "delete") lines[i] = line.slice(0, at) + line.slice(at + 1);
        else if (e.kind === "duplicate") lines.splice(i, 0, line);
        else lines.splice(i, 1);
      }
      same(lines.join("\n"));
    }),
    { numRuns: 3_000 },
  );
});
