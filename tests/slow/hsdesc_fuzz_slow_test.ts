/**
 * Fuzzing the descriptor codec with fast-check: mutated descriptors at text
 * and byte level through the whole pipeline, and mutated decrypted
 * plaintexts through the middle and inner parsers (and through the pipeline
 * again after re-encrypting and re-signing them). Every input must either
 * decode or fail with the typed errors (HsDescError, NetdocSyntaxError,
 * CertError), never another exception, and never take long.
 *
 * Seed and size: FUZZ_SEED (default 20300101) and FUZZ_SCALE (default 1, the
 * CI size: 100,000+ inputs). A failure prints fast-check's seed and path.
 * Each case counts its own inputs and outcomes, so any one runs alone
 * (`--filter`); {@link RUNS} is the plan they follow.
 *
 * @module
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import { CertError, CertType, signEd25519Cert } from "../../src/cert/mod.ts";
import { seededRng } from "../../src/crypto/mod.ts";
import { blindKeypair, subcredential } from "../../src/keys/mod.ts";
import {
  armor,
  buildHsDesc,
  checkHsDescInner,
  decodeHsDesc,
  encodeHsDescOuter,
  encryptLayer,
  HsDescError,
  NetdocSyntaxError,
  parseHsDescInner,
  parseHsDescMiddle,
  textToBytes,
} from "../../src/netdoc/mod.ts";
import {
  A12,
  A12_SIGNING_KEY,
  a12Input,
  a12Rng,
  makeIntroPoint,
  noShuffle,
  resign,
} from "../netdoc/hsdesc/_fixtures.ts";
import { applyLineEdit } from "./_fuzz_mutations.ts";
import { assertPlannedTotal, runs, SCALE, SEED } from "./_fuzz_plan.ts";

const decodeOptions = { identity: A12.identity.public, periods: [A12.period], now: A12.now };

/** fast-check runs of each case at FUZZ_SCALE 1; each run feeds one input per base descriptor. */
const RUNS = {
  text: 15_000,
  bytes: 15_000,
  base64: 10_000,
  middle: 20_000,
  inner: 20_000,
  layers: 5_000,
} as const;
type FuzzCase = keyof typeof RUNS;

// A descriptor with every optional inner line, three intro points (one with IPv6) and client auth off.
const built = await buildHsDesc({
  ...a12Input(),
  flowControl: { versions: "1-2", sendmeInc: 31 },
  introPoints: [0x10, 0x20, 0x30].map((s) =>
    makeIntroPoint({ onion: s, auth: s + 1, enc: s + 2, expirationHours: 526027 })
  ),
}, { rng: seededRng("fuzz") });
const a12 = await buildHsDesc(a12Input(), { rng: a12Rng(), shuffle: noShuffle });
const INNER = built.innerPlaintext.replace(
  "flow-control 1-2 31\n",
  `flow-control 1-2 31\npow-params v1 ${btoa("\x07".repeat(32))} 614 2030-01-01T15:00:00\n` +
    "single-onion-service\nintro-auth-required ed25519\n",
);
const MIDDLE = built.middlePlaintext;
/** The descriptors the text case mutates, one fuzz run over each. */
const TEXT_BASES = [built.text, a12.text];

/** Inputs case `name` feeds at FUZZ_SCALE `scale`. */
function plannedInputs(name: FuzzCase, scale = SCALE): number {
  return runs(RUNS[name], scale) * (name === "text" ? TEXT_BASES.length : 1);
}

/** Interesting fragments to insert: structure that parsers key on. */
const FRAGMENTS = [
  "\n",
  " ",
  "\t",
  "\0",
  "\r",
  "=",
  "-",
  "-----",
  "-----BEGIN MESSAGE-----\n",
  "-----END MESSAGE-----",
  "-----BEGIN ED25519 CERT-----\n",
  "-----END ED25519 CERT-----\n",
  "signature ",
  "\nsignature AAAA",
  "introduction-point ",
  "\nintroduction-point AA==\n",
  "auth-client A A A\n",
  "create2-formats 2\n",
  "onion-key ntor ",
  "enc-key ntor ",
  "flow-control 1 0\n",
  "pow-params v1 A 1 x\n",
  "\u00ff",
  "\u20ac",
  "revision-counter 18446744073709551616\n",
  "descriptor-lifetime 99999999999\n",
  "hs-descriptor 3\n",
];

type Mutation =
  | { kind: "replace"; at: number; value: string }
  | { kind: "insert"; at: number; value: string }
  | { kind: "delete"; at: number; length: number }
  | { kind: "dupLine" | "dropLine"; line: number }
  | { kind: "swapLines"; line: number; other: number }
  | { kind: "truncate"; at: number };

/**
 * A uniform fraction in [0, 1) to pick a place in a text. (fc.double spreads
 * over the exponents, so it is nearly always tiny, and fast-check's bias
 * favours 0: either would hit the first byte of everything.)
 */
const position = fc.noBias(fc.integer({ min: 0, max: 999_999 })).map((n) => n / 1_000_000);
const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const charValue = fc.oneof(
  fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)),
  fc.constantFrom(" ", "\n", "="),
  fc.constantFrom(...B64).chain((c) => fc.constant(c)), // keeps base64 valid: reaches the checks
);
const mutation: fc.Arbitrary<
  { kind: Mutation["kind"]; p: number; q: number; value: string; n: number }
> = fc
  .record({
    kind: fc.constantFrom(
      "replace",
      "replace",
      "insert",
      "insert",
      "delete",
      "dupLine",
      "dropLine",
      "swapLines",
      "truncate",
    ),
    p: position,
    q: position,
    value: fc.oneof(
      charValue,
      fc.constantFrom(...FRAGMENTS),
      fc.string({ maxLength: 12, unit: "binary-ascii" }),
    ),
    n: fc.integer({ min: 1, max: 80 }),
  }) as fc.Arbitrary<{ kind: Mutation["kind"]; p: number; q: number; value: string; n: number }>;

/** Applies mutations; half of the line picks go to structural (non-base64) lines. */
function mutate(
  text: string,
  ms: readonly { kind: Mutation["kind"]; p: number; q: number; value: string; n: number }[],
): string {
  for (const m of ms) {
    const lines = text.split("\n");
    const structural = lines.map((l, i) => (/^[a-z-]+( |$)|^-----/.test(l) ? i : -1)).filter((i) =>
      i >= 0
    );
    const pickLine = (p: number) =>
      p < 0.5 && structural.length > 0
        ? structural[Math.floor(p * 2 * structural.length)]!
        : Math.floor(p * lines.length);
    text = applyLineEdit(text, lines, m, pickLine) ??
      text.slice(0, Math.floor(m.p * text.length)); // the one other kind: "truncate"
  }
  return text;
}

const mutations = fc.array(mutation, { minLength: 1, maxLength: 4 });

function isTyped(error: unknown): boolean {
  return error instanceof HsDescError || error instanceof NetdocSyntaxError ||
    error instanceof CertError;
}

/** What one case fed and how it ended. */
interface FuzzStats {
  inputs: number;
  decoded: number;
  maxMs: number;
  /** Count per error (`stage/kind` of an HsDescError, else the error's name). */
  outcomes: Map<string, number>;
}

function newStats(): FuzzStats {
  return { inputs: 0, decoded: 0, maxMs: 0, outcomes: new Map() };
}

/** Prints what case `name` fuzzed and checks it fed every planned input. */
function report(name: FuzzCase, stats: FuzzStats): void {
  // deno-lint-ignore no-console -- the slow task reports how much it fuzzed
  console.log(
    `${name}: fuzzed ${stats.inputs} inputs (${stats.decoded} decoded or parsed, the rest ` +
      `typed errors); slowest ${stats.maxMs.toFixed(1)} ms; seed ${SEED}\n` +
      [...stats.outcomes].sort((a, b) => b[1] - a[1]).map(([k, n]) => `  ${k}: ${n}`).join("\n"),
  );
  assert.equal(stats.inputs, plannedInputs(name), `${name}: inputs fed`);
}

async function timed(stats: FuzzStats, fn: () => unknown): Promise<void> {
  const start = performance.now();
  stats.inputs++;
  try {
    await fn();
    stats.decoded++;
  } catch (error) {
    assert.ok(isTyped(error), `untyped error: ${error instanceof Error ? error.stack : error}`);
    if (error instanceof HsDescError && error.cause !== undefined) {
      assert.ok(isTyped(error.cause), `untyped cause: ${error.cause}`);
    }
    const key = error instanceof HsDescError
      ? `${error.stage}/${error.kind}`
      : (error as Error).name;
    stats.outcomes.set(key, (stats.outcomes.get(key) ?? 0) + 1);
  }
  const ms = performance.now() - start;
  stats.maxMs = Math.max(stats.maxMs, ms);
  assert.ok(ms < 2000, `one input took ${ms.toFixed(0)} ms`);
}

const utf8 = (text: string) => new TextEncoder().encode(text);
const params = (numRuns: number) => ({ numRuns, seed: SEED, plugins: [fc.timeout(5000)] });

Deno.test("fuzz: mutated descriptor text through decodeHsDesc() gives only typed errors", async () => {
  const stats = newStats();
  for (const base of TEXT_BASES) {
    await fc.assert(
      fc.asyncProperty(
        mutations,
        (ms) => timed(stats, () => decodeHsDesc(mutate(base, ms), decodeOptions)),
      ),
      params(runs(RUNS.text)),
    );
  }
  report("text", stats);
});

Deno.test("fuzz: mutated descriptor bytes through decodeHsDesc() give only typed errors", async () => {
  const stats = newStats();
  const bytes = new TextEncoder().encode(built.text);
  const byteMutation = fc.array(
    fc.tuple(position, fc.integer({ min: 0, max: 255 }), fc.boolean()),
    {
      minLength: 1,
      maxLength: 8,
    },
  );
  await fc.assert(
    fc.asyncProperty(byteMutation, (ms) => {
      let b = bytes.slice();
      for (const [p, value, cut] of ms) {
        const i = Math.floor(p * b.length);
        if (cut) b = b.subarray(0, i);
        else if (i < b.length) b[i] = value;
      }
      return timed(stats, () => decodeHsDesc(b, decodeOptions));
    }),
    params(runs(RUNS.bytes)),
  );
  report("bytes", stats);
});

Deno.test("fuzz: base64 kept valid in the cert and blobs, re-signed or not, reaches the checks", async () => {
  const stats = newStats();
  const lines = built.text.split("\n");
  const bodies = lines.map((l, i) => (/^[A-Za-z0-9+/=]{8,}$/.test(l) ? i : -1)).filter((i) =>
    i >= 0
  );
  const flip = fc.array(fc.tuple(position, position, fc.constantFrom(...B64)), {
    minLength: 1,
    maxLength: 3,
  });
  await fc.assert(
    fc.asyncProperty(flip, fc.boolean(), (flips, signAgain) => {
      const out = [...lines];
      for (const [p, q, c] of flips) {
        const i = bodies[Math.floor(p * bodies.length)]!;
        const line = out[i]!;
        const at = Math.floor(q * line.replace(/=+$/, "").length);
        out[i] = line.slice(0, at) + c + line.slice(at + 1);
      }
      const text = signAgain ? resign(out.join("\n")) : out.join("\n");
      return timed(stats, () => decodeHsDesc(text, decodeOptions));
    }),
    params(runs(RUNS.base64)),
  );
  report("base64", stats);
});

Deno.test("fuzz: mutated middle plaintexts through parseHsDescMiddle() give only typed errors", async () => {
  const stats = newStats();
  await fc.assert(
    fc.asyncProperty(mutations, (ms) => timed(stats, () => parseHsDescMiddle(mutate(MIDDLE, ms)))),
    params(runs(RUNS.middle)),
  );
  report("middle", stats);
});

Deno.test("fuzz: mutated inner plaintexts through the inner parser and checks give only typed errors", async () => {
  const stats = newStats();
  const check = { signingKey: A12_SIGNING_KEY.public, now: A12.now };
  await fc.assert(
    fc.asyncProperty(mutations, (ms) =>
      timed(stats, () => {
        const inner = parseHsDescInner(mutate(INNER, ms));
        // Check the certs of at most 3 intro points (a mutation can multiply them); all are parsed.
        checkHsDescInner({ ...inner, introPoints: inner.introPoints.slice(0, 3) }, check);
      })),
    params(runs(RUNS.inner)),
  );
  report("inner", stats);
});

Deno.test("fuzz: re-encrypted, re-signed mutated layers through decodeHsDesc() give only typed errors", async () => {
  const stats = newStats();
  const blinded = blindKeypair(A12.identity, A12.period);
  const keys = {
    blindedKey: blinded.public,
    subcredential: subcredential(A12.identity.public, blinded.public),
    revisionCounter: A12.revisionCounter,
  };
  const cert = signEd25519Cert({
    certType: CertType.HS_DESC_SIGNING,
    expirationHours: 526027,
    certifiedKey: A12_SIGNING_KEY.public.toIdentity(),
  }, blinded);
  const salt = new Uint8Array(16).fill(0x22);
  const innerBlob = await encryptLayer(textToBytes(INNER), { ...keys, layer: "inner", salt });
  const middleText = MIDDLE.replace(/encrypted\n[^]*$/, "encrypted\n") +
    armor("MESSAGE", innerBlob);
  const assemble = async (middle: string, inner?: string) => {
    let text = middle;
    if (inner !== undefined) {
      const blob = await encryptLayer(utf8(inner), { ...keys, layer: "inner", salt });
      text = middleText.replace(/-----BEGIN MESSAGE-----[^]*$/, "") + armor("MESSAGE", blob);
    }
    const superencrypted = await encryptLayer(utf8(text), { ...keys, layer: "middle", salt });
    return encodeHsDescOuter({
      lifetimeMinutes: 180,
      signingKeyCert: cert,
      revisionCounter: A12.revisionCounter,
      superencrypted,
    }, A12_SIGNING_KEY);
  };
  const layer = fc.tuple(fc.boolean(), mutations);
  await fc.assert(
    fc.asyncProperty(layer, async ([middle, ms]) => {
      const text = middle
        ? await assemble(mutate(middleText, ms))
        : await assemble(middleText, mutate(INNER, ms));
      await timed(stats, () => decodeHsDesc(text, decodeOptions));
    }),
    params(runs(RUNS.layers)),
  );
  report("layers", stats);
});

Deno.test("fuzz: totals: the cases' plans add up to 100,000+ inputs at FUZZ_SCALE 1", () => {
  assertPlannedTotal(Object.keys(RUNS) as FuzzCase[], plannedInputs);
});
