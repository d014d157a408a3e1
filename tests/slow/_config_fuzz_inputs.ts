/**
 * Inputs for the `config.yaml` cases of `config_fuzz_slow_test.ts`.
 *
 * What: the valid config seeds (several services, every tuning key, comments, anchors and
 * aliases, flow style, block scalars, CRLF, and `config/config.example.yaml`), hostile values
 * and YAML fragments to mutate them with, generated config values with the ways `yaml` may
 * write them, and alias bombs and deep nesting.
 *
 * Role: test-only. The backend addresses come from throwaway keys made here with a seeded rng;
 * reads `config/config.example.yaml` when loaded.
 *
 * @module
 */

import fc from "fast-check";
import { seededRng } from "../../src/crypto/mod.ts";
import { encodeOnionAddress, HsIdKeypair } from "../../src/keys/mod.ts";
import { type Mutation, position, textMutation } from "./_fuzz_mutations.ts";

// ---- Seeds ----

const IDENTITIES = ["config-fuzz-a", "config-fuzz-b", "config-fuzz-c"].map((s) =>
  HsIdKeypair.generate(seededRng(s))
);
const [A, B, C] = IDENTITIES.map((k) => encodeOnionAddress(k.public).slice(0, -".onion".length));
/** Where the texts fed to `parseConfig()` say they come from. */
export const OPTIONS = { path: "config.yaml", baseDir: "/etc/onionbalance" };
const EXAMPLE = await Deno.readTextFile(
  new URL("../../config/config.example.yaml", import.meta.url),
);

/** Valid configs: every one loads as it is (checked by the text case). */
export const CONFIG_SEEDS = [
  // The layout onionbalance-config 0.2.2 writes: two services, one relative and one absolute key.
  `# Onionbalance Config File
services:
- instances:
  - address: ${A}.onion
    name: node1
  - address: ${B}
    name: node2
  key: frontend.key
- key: /abs/other.key
  instances:
  - address: ${C!.toUpperCase()}.onion
status-socket-location: /run/onionbalance/control
`,
  EXAMPLE,
  // Flow style and quoted strings.
  `{services: [{key: "k.pem", instances: [{address: '${A}', name: "a b"}]}], fetch-interval: 30.5,` +
  ` log-format: json, health-check: {enabled: false, port: 8080, socks: "[::1]:9050"}}\n`,
  // A directive, document markers, anchors, aliases in ignored (v2-era) keys, comments, CRLF.
  `%YAML 1.2
---
REFRESH_INTERVAL: 600
X_DEFAULTS: &defaults {port: 80, failures: 2}
X_COPY: *defaults
services:
- &first
  key: &k keys/first.key # comment
  instances:
  - &inst {address: ${B}.onion, name: &n one}
  - address: "${A}"
    name: two
health-check:
  interval: 10
  timeout: 5
  failures: 2
  port: 443
  socks: 127.0.0.1:9050
...
`.replaceAll("\n", "\r\n"),
  // Every tuning key at an end of its range, block scalars, single quotes.
  `services:
  - key: |-
      frontend.key
    instances:
      - address: >-
          ${C}
        name: 'single quoted'
publish-check-interval: 1
republish-interval: 10740
instance-stale-after: 604800
fetch-interval: 86400
busy-fetch-interval: 5
intro-points-per-instance: 20
distinct-descriptors: false
`,
];

// ---- Mutations ----

/** Whitespace-separated words, for long lists of short strings. */
const words = (text: string) => text.trim().split(/\s+/);

/** Values to put where a config value goes: wrong types, out of range, YAML oddities. */
const HOSTILE_VALUES = [
  ...words(`
    ~ null true False yes on NaN nan .nan .NaN .inf -.Inf Infinity 1e999 -1e999 4.9e-324 -0 0 -1
    0.5 1_000 0x7fffffff 0xffffffffffffffffffffffff 0o777 0b101 99999999999999999999999999
    9007199254740993 2001-12-14t21:59:43.10-05:00 [] {} '' "" *undefined &x auto text json
    127.0.0.1:9050 [::1]:9050 :9050 host:99999 /run/x keys/k.pem expyuzz4wqqyqhjn.onion
  `),
  ...["", "[a, b]", "{a: 1}", "- a", '"\\u0000"', '"\\xff"', '"\\uD800"', "&x 1", "!!binary AAAA"],
  ...["!!set {a, b}", "!!pairs [a: 1, a: 2]", "!!omap [a: 1]", "!!int 12", "!!int x", "!!float x"],
  ...["!!bool maybe", "!!null x", "!!timestamp 2001-12-14", "!!str 42", "!foo bar", "!<tag:x> y"],
  ...["|\n  block\n", ">-\n  folded", "\0", "\uFEFF", "\uD800"],
  ...[A!, `${A}.onion`, `${B!.toUpperCase()}.ONION`, `${A!.slice(0, 55)}b`, `${A!.slice(0, 55)}1`],
];

/** Structure that YAML keys on, to insert into a config text. */
const YAML_FRAGMENTS = [
  ...words(`
    # : - [ ] { } , ' " *a * ! @ \` ~ | > <<: services instances key address name health-check
  `),
  ...["\n", " ", "  ", "\t", "\r", "\r\n", "\0", "\uFEFF", "\uFFFD", "\uD800", "\u2028", "\u0085"],
  ...[": ", "- ", "? ", "&a ", "!!str ", "!!set ", "!!omap ", "!!pairs ", "!foo ", "|-\n  "],
  ...["%YAML 1.1\n", "%TAG ! !foo\n", "---\n", "...\n", "services:\n"],
  `- key: k\n  instances:\n  - address: ${C}\n`,
];

/** A value to put where a config value goes. */
export const hostileValue: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...HOSTILE_VALUES) },
  { weight: 1, arbitrary: fc.double().map(String) },
  { weight: 1, arbitrary: fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }).map(String) },
  { weight: 2, arbitrary: fc.integer({ min: -100_000, max: 1_000_000 }).map(String) },
  {
    weight: 1,
    arbitrary: fc.string({ maxLength: 24, unit: "grapheme" }).map((s) => JSON.stringify(s)),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 24, unit: "binary" }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 20_000 }).map((n) => "x".repeat(n)) },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.integer({ min: 1, max: 500 }), fc.boolean()).map(([d, seq]) =>
      seq ? "[".repeat(d) + "]".repeat(d) : "{a: ".repeat(d) + "1" + "}".repeat(d)
    ),
  },
);

/** An edit to a config text: a text edit with YAML fragments, a hostile value, or re-indenting. */
export const yamlMutation: fc.Arbitrary<Mutation> = textMutation(YAML_FRAGMENTS, hostileValue);

// ---- Structure ----

/** Any value `yaml` can write: scalars of every type, lists, mappings with any keys, binary. */
export const { anyValue } = fc.letrec<{ anyValue: unknown }>((tie) => ({
  anyValue: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom(null, true, false, NaN, Infinity, -Infinity, -0, 0, 2 ** 53 + 1, 1e308),
    fc.double(),
    fc.integer(),
    fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }),
    fc.string({ unit: "grapheme", maxLength: 20 }),
    fc.constantFrom(...HOSTILE_VALUES),
    fc.uint8Array({ maxLength: 16 }),
    fc.array(tie("anyValue"), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 12 }), tie("anyValue"), { maxKeys: 4 }),
    fc.array(fc.tuple(tie("anyValue"), tie("anyValue")), { maxLength: 2 }).map((e) => new Map(e)),
  ),
}));
const or = <T>(valid: fc.Arbitrary<T>, other = anyValue) =>
  fc.oneof({ weight: 3, arbitrary: valid }, { weight: 1, arbitrary: other });
const validAddress = fc.constantFrom(A!, B!, C!).chain((a) =>
  fc.constantFrom(a, `${a}.onion`, `${a.toUpperCase()}.onion`)
);
/** Keys never close to a known key: an OnionBalance v2-era setting is only a warning. */
const legacyKey = fc.stringMatching(/^[A-Z][A-Z0-9_]{0,15}$/);
const path = fc.stringMatching(/^\/?[a-z0-9_.-]{1,12}(\/[a-z0-9_.-]{1,12}){0,2}$/);

/** A config as a JS value: every part drawn from the valid choices, or (`!valid`) any of them may not be. */
export function configValue(valid: boolean) {
  const pick = <T>(arb: fc.Arbitrary<T>) => (valid ? arb : or(arb));
  const extra = valid
    ? fc.dictionary(legacyKey, anyValue, { maxKeys: 2 })
    : fc.dictionary(fc.oneof(legacyKey, fc.string({ maxLength: 16 })), anyValue, { maxKeys: 2 });
  const instance = fc.tuple(
    fc.record({ address: pick(validAddress), name: pick(fc.string({ maxLength: 16 })) }, {
      requiredKeys: valid ? ["address"] : [],
    }),
    extra,
  ).map(([known, more]) => ({ ...more, ...known }));
  const service = fc.tuple(
    fc.record({
      key: pick(path),
      instances: pick(fc.array(pick(instance), { minLength: 1, maxLength: 2 })),
    }, { requiredKeys: valid ? ["key", "instances"] : [] }),
    extra,
  ).map(([known, more]) => ({ ...more, ...known }));
  const healthCheck = fc.record({
    enabled: pick(fc.boolean()),
    interval: pick(fc.double({ min: 1, max: 86400, noNaN: true })),
    timeout: pick(fc.double({ min: 1, max: 600, noNaN: true })),
    failures: pick(fc.integer({ min: 1, max: 100 })),
    port: pick(fc.integer({ min: 1, max: 65535 })),
    socks: pick(fc.constantFrom("auto", "127.0.0.1:9050", "[::1]:9150", "localhost:1")),
  }, { requiredKeys: [] });
  const top = fc.record({
    services: pick(fc.array(pick(service), { minLength: 1, maxLength: 2 })),
    "status-socket-location": pick(path),
    "log-format": pick(fc.constantFrom("text", "json")),
    "fetch-interval": pick(fc.double({ min: 5, max: 86400, noNaN: true })),
    "busy-fetch-interval": pick(fc.integer({ min: 5, max: 86400 })),
    "publish-check-interval": pick(fc.double({ min: 1, max: 86400, noNaN: true })),
    "republish-interval": pick(fc.integer({ min: 60, max: 3 * 3600 - 60 })),
    "instance-stale-after": pick(fc.integer({ min: 10, max: 7 * 86400 })),
    "intro-points-per-instance": pick(fc.integer({ min: 1, max: 20 })),
    "distinct-descriptors": pick(fc.boolean()),
    "health-check": pick(healthCheck),
  }, { requiredKeys: valid ? ["services"] : [] });
  return fc.tuple(top, extra).map(([known, more]) => ({ ...more, ...known }));
}

/** How `yaml` writes a document: block or flow, quoting, indentation, aliases. */
export const writeOptions = fc.record({
  collectionStyle: fc.constantFrom("any", "block", "flow") as fc.Arbitrary<
    "any" | "block" | "flow"
  >,
  defaultStringType: fc.constantFrom(
    "PLAIN",
    "QUOTE_DOUBLE",
    "QUOTE_SINGLE",
    "BLOCK_LITERAL",
    "BLOCK_FOLDED",
  ) as fc.Arbitrary<"PLAIN" | "QUOTE_DOUBLE" | "QUOTE_SINGLE" | "BLOCK_LITERAL" | "BLOCK_FOLDED">,
  indent: fc.integer({ min: 1, max: 8 }),
  // Not below 40: yaml 2.9.1 writes "undefined" into a double-quoted string it folds to 20.
  lineWidth: fc.constantFrom(0, 40, 120),
  trueStr: fc.constantFrom("true", "True", "TRUE"),
  nullStr: fc.constantFrom("null", "~"),
  indentSeq: fc.boolean(),
  aliasDuplicateObjects: fc.boolean(),
});

// ---- Bombs ----

/** An alias bomb or deep nesting, and where in the config it goes. */
export type Bomb =
  | { kind: "laughs"; levels: number; width: number; use: string }
  | { kind: "deep"; depth: number; style: string; use: string }
  | { kind: "wide"; count: number; length: number; use: string };

const USES = ["ignored", "services", "instances", "key", "name", "health-check", "fetch-interval"];
/**
 * A {@link Bomb}: billion laughs up to 40 levels, 16 to 4,095 levels of nesting, or one long
 * anchor aliased up to 5,000 times.
 */
export const bomb: fc.Arbitrary<Bomb> = fc.oneof(
  fc.record({
    kind: fc.constant("laughs" as const),
    levels: fc.integer({ min: 1, max: 40 }),
    width: fc.integer({ min: 2, max: 12 }),
    use: fc.constantFrom(...USES, "mapKey", "seqKey"),
  }),
  fc.record({
    kind: fc.constant("deep" as const),
    // 16 to 4,095 levels, spread over the orders of magnitude.
    depth: fc.tuple(fc.integer({ min: 4, max: 11 }), position).map(([k, f]) =>
      Math.floor(2 ** k * (1 + f))
    ),
    style: fc.constantFrom("flowSeq", "flowMap", "flowMixed", "blockSeq", "blockMap"),
    use: fc.constantFrom(...USES),
  }),
  fc.record({
    kind: fc.constant("wide" as const),
    // yaml takes about 20 µs a flow item (alias or not), so 5,000 keeps an input under 0.2 s.
    count: fc.integer({ min: 100, max: 5_000 }),
    length: fc.integer({ min: 1, max: 10_000 }),
    use: fc.constantFrom(...USES),
  }),
);

/** `prelude`, then a one-instance config with `value` (one line) at `use`. */
function withValue(prelude: string, use: string, value: string): string {
  const v = (at: string, fallback: string) => (use === at ? value : fallback);
  if (use === "services") return `${prelude}services: ${value}\n`;
  const instances = use === "instances"
    ? ` ${value}`
    : `\n  - address: ${A}\n    name: ${v("name", "n")}`;
  return `${prelude}services:\n- key: ${v("key", "k")}\n  instances:${instances}\n` +
    (use === "health-check" ? `health-check: ${value}\n` : "") +
    (use === "fetch-interval" ? `fetch-interval: ${value}\n` : "") +
    (use === "ignored" ? `X_BOMB: ${value}\n` : "");
}

/** The config text with bomb `b` in it. */
export function bombText(b: Bomb): string {
  switch (b.kind) {
    case "laughs": {
      // Billion laughs: level n is a list of `width` aliases of level n - 1.
      let prelude = `X_LOL0: &lol0 "lol"\n`;
      for (let n = 1; n <= b.levels; n++) {
        prelude += `X_LOL${n}: &lol${n} [${Array(b.width).fill(`*lol${n - 1}`).join(", ")}]\n`;
      }
      const last = `*lol${b.levels}`;
      if (b.use === "mapKey") return withValue(`${prelude}? ${last}\n: 1\n`, "ignored", "1");
      if (b.use === "seqKey") {
        return withValue(`${prelude}? [${last}, ${last}]\n: 1\n`, "ignored", "1");
      }
      return withValue(prelude, b.use, last);
    }
    case "wide": {
      // One long anchor aliased many times: quadratic if expanded.
      const prelude = `X_LONG: &long "${"x".repeat(b.length)}"\n`;
      return withValue(prelude, b.use, `[${Array(b.count).fill("*long").join(", ")}]`);
    }
    case "deep": {
      const d = b.depth;
      const flow = b.style === "flowSeq"
        ? "[".repeat(d) + "]".repeat(d)
        : b.style === "flowMap"
        ? "{a: ".repeat(d) + "1" + "}".repeat(d)
        : "[{a: ".repeat(d >> 1) + "1" + "}]".repeat(d >> 1);
      if (b.style.startsWith("flow")) return withValue("", b.use, flow);
      // Block nesting goes at the top level, where it is an ignored key.
      const block = b.style === "blockSeq" ? `X_DEEP:\n  ${"- ".repeat(d)}1\n` : "X_DEEP:\n" +
        Array.from({ length: Math.min(d, 1000) }, (_, i) => `${" ".repeat(i + 1)}a:`).join("\n") +
        " 1\n";
      return withValue(block, "ignored", "1");
    }
  }
}
