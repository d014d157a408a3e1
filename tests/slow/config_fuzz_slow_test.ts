/**
 * Fuzzing the config loader and the key-file readers with fast-check.
 *
 * `config.yaml`: valid seeds (several services, the tuning keys, comments,
 * anchors and aliases, flow style, block scalars, CRLF) mutated at text level
 * (characters, lines, indentation, truncation, a key's value swapped for a
 * hostile one), at byte level through `loadConfig()` (non-UTF-8, BOMs, NUL,
 * UTF-16), at structure level (values generated with fast-check and
 * serialized with `yaml`), and alias bombs and deep nesting. Every input must
 * load, or fail with a `ConfigError` whose message starts with
 * `file:line:column: ` (errors.ts `formatLocation`).
 *
 * Key files: tor's `hs_ed25519_secret_key`, PKCS#8 PEM keys and v2 RSA keys
 * (PKCS#1, as tor's v2 `private_key`, and PKCS#8), mutated, through
 * `decodeIdentityKey()` and from disk through `loadIdentityKey()`. Every input
 * must load or fail with a `KeyError`; a v2 key must say so.
 *
 * No input may take long or blow up memory. Keys are throwaway keys made here;
 * nothing prints key bytes.
 *
 * Seed and size: FUZZ_SEED (default 20300101) and FUZZ_SCALE (default 1, the
 * CI size: 100,000+ inputs). A failure prints fast-check's seed and path.
 * Each case counts its own inputs and outcomes, so any one runs alone
 * (`--filter`); {@link RUNS} is the plan they follow. The v2 RSA key comes
 * from WebCrypto, which has no seeded generator: its bytes differ between
 * runs, the mutations applied to it do not.
 *
 * This file holds the cases. Their inputs are in `_config_fuzz_inputs.ts` (config seeds,
 * hostile values, generated values, bombs) and `_key_fuzz_inputs.ts` (keys and key-file
 * mutations), the text and byte mutations both use in `_fuzz_mutations.ts`, and the plan,
 * counting and outcome checks in `_fuzz_tally.ts`.
 *
 * @module
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import { parseDocument, stringify } from "yaml";
import { loadConfig, parseConfig } from "../../src/config/mod.ts";
import {
  decodeIdentityKey,
  encodeHostnameFile,
  encodeTorPublicKeyFile,
  type KeyError,
  type LoadedIdentityKey,
  loadIdentityKey,
  TOR_SECRET_KEY_HEADER,
} from "../../src/keys/mod.ts";
import {
  anyValue,
  bomb,
  bombText,
  CONFIG_SEEDS,
  configValue,
  hostileValue,
  OPTIONS,
  writeOptions,
  yamlMutation,
} from "./_config_fuzz_inputs.ts";
import { byteMutation, mutate, mutateBytes, position, utf16, utf8 } from "./_fuzz_mutations.ts";
import {
  asyncParams,
  checkAsWritten,
  checkLoaded,
  configError,
  failWith,
  feed,
  feedAsync,
  type FuzzCase,
  keyError,
  MAX_HEAP_GROWTH,
  newStats,
  params,
  plannedInputs,
  report,
  RUNS,
  runs,
} from "./_fuzz_tally.ts";
import { assertPlannedTotal } from "./_fuzz_plan.ts";
import {
  equalBytes,
  KEY,
  mutateKey,
  mutatePem,
  PEM_TEXT,
  pemMutation,
  pemTextMutation,
  TOR_FILE,
  torMutation,
  V2_KEYS,
} from "./_key_fuzz_inputs.ts";

/** What `yaml` reads from the environment (debug switches) on every parse. */
const YAML_ENV = ["LOG_TOKENS", "LOG_STREAM"];

// ---- config.yaml ----

Deno.test("fuzz: mutated config.yaml texts give a config or a located ConfigError", () => {
  for (const seed of CONFIG_SEEDS) parseConfig(seed, OPTIONS); // each seed is valid
  const stats = newStats();
  const mutations = fc.array(yamlMutation, { minLength: 1, maxLength: 4 });
  fc.assert(
    fc.property(fc.constantFrom(...CONFIG_SEEDS), mutations, (seed, ms) => {
      const text = mutate(seed, ms);
      feed(
        stats,
        () => parseConfig(text, OPTIONS),
        checkLoaded(OPTIONS.path),
        configError(OPTIONS.path, text),
      );
    }),
    params(runs(RUNS.text)),
  );
  report("text", stats);
});

Deno.test("fuzz: config values swapped for hostile ones give a config or a located ConfigError", () => {
  const stats = newStats();
  const swap = fc.record({
    kind: fc.constant("setValue" as const),
    p: position,
    value: hostileValue,
  });
  fc.assert(
    fc.property(
      fc.constantFrom(...CONFIG_SEEDS),
      fc.array(swap, { minLength: 1, maxLength: 3 }),
      (seed, ms) => {
        const text = mutate(seed, ms);
        feed(
          stats,
          () => parseConfig(text, OPTIONS),
          checkLoaded(OPTIONS.path),
          configError(OPTIONS.path, text),
        );
      },
    ),
    params(runs(RUNS.values)),
  );
  report("values", stats);
});

Deno.test("fuzz: generated YAML values give a config or a located ConfigError; valid ones load as written", () => {
  const stats = newStats();
  const doc = fc.oneof(
    { weight: 1, arbitrary: configValue(true).map((value) => ({ value, valid: true })) },
    { weight: 2, arbitrary: configValue(false).map((value) => ({ value, valid: false })) },
    { weight: 1, arbitrary: anyValue.map((value) => ({ value, valid: false })) },
  );
  const mutations = fc.oneof(
    { weight: 3, arbitrary: fc.constant([]) },
    { weight: 1, arbitrary: fc.array(yamlMutation, { maxLength: 2 }) },
  );
  fc.assert(
    fc.property(doc, writeOptions, mutations, ({ value, valid }, options, ms) => {
      const text = mutate(stringify(value, options), ms);
      const check = checkLoaded(OPTIONS.path);
      feed(
        stats,
        () => parseConfig(text, OPTIONS),
        (loaded) => {
          check(loaded);
          if (valid && ms.length === 0) checkAsWritten(value as Record<string, unknown>, loaded);
        },
        (error) => {
          if (valid && ms.length === 0) {
            // yaml's writer cannot write every complex key (a list or mapping as a key) readably;
            // what it wrote readably must load.
            const written = parseDocument(text).errors.length === 0;
            if (written) failWith("a valid config failed", error);
          }
          return configError(OPTIONS.path, text)(error);
        },
      );
    }),
    params(runs(RUNS.structure)),
  );
  report("structure", stats);
});

Deno.test({
  name:
    "fuzz: mutated config.yaml bytes through loadConfig() give a config or a located ConfigError",
  permissions: { read: ["/tmp"], write: ["/tmp"], env: YAML_ENV },
  fn: async () => {
    const stats = newStats();
    const dir = await Deno.makeTempDir({ prefix: "config_fuzz_" });
    const file = `${dir}/config.yaml`;
    try {
      const input = fc.tuple(
        fc.constantFrom(...CONFIG_SEEDS),
        fc.oneof({ weight: 15, arbitrary: fc.constant(false) }, fc.constant(true)), // UTF-16
        fc.array(byteMutation, { minLength: 1, maxLength: 4 }),
      );
      await fc.assert(
        fc.asyncProperty(input, async ([seed, asUtf16, ms]) => {
          const bytes = mutateBytes(asUtf16 ? utf16(seed) : utf8(seed), ms);
          await Deno.writeFile(file, bytes);
          const text = new TextDecoder().decode(bytes); // as Deno.readTextFile decodes it
          const check = checkLoaded(file);
          await feedAsync(stats, () => loadConfig(file), (loaded) => {
            check(loaded);
            for (const service of loaded.config.services) {
              if (!service.keyPathAsWritten.startsWith("/")) {
                assert.equal(service.keyPath, `${dir}/${service.keyPathAsWritten}`);
              }
            }
          }, configError(file, text));
        }),
        asyncParams(runs(RUNS.bytes)),
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
    report("bytes", stats);
  },
});

Deno.test("fuzz: alias bombs and deep nesting load or fail fast, without expanding", () => {
  const stats = newStats();
  let heapGrowth = 0;
  fc.assert(
    fc.property(bomb, (b) => {
      const text = bombText(b);
      const before = Deno.memoryUsage().heapUsed;
      feed(
        stats,
        () => parseConfig(text, OPTIONS),
        checkLoaded(OPTIONS.path),
        configError(OPTIONS.path, text),
      );
      const growth = Deno.memoryUsage().heapUsed - before;
      heapGrowth = Math.max(heapGrowth, growth);
      assert.ok(growth < MAX_HEAP_GROWTH, `${b.kind}: the heap grew ${growth >> 20} MiB`);
    }),
    params(runs(RUNS.bombs)),
  );
  // deno-lint-ignore no-console -- the slow task reports how much it fuzzed
  console.log(`bombs: the heap grew at most ${(heapGrowth / 2 ** 20).toFixed(0)} MiB per input`);
  report("bombs", stats);
});

Deno.test("fuzz: mutated tor hs_ed25519_secret_key files give a key or a KeyError", () => {
  const stats = newStats();
  const file = "hs_ed25519_secret_key";
  fc.assert(
    fc.property(fc.array(torMutation, { minLength: 1, maxLength: 3 }), (ms) => {
      const bytes = mutateKey(TOR_FILE, ms);
      feed(stats, () => decodeIdentityKey(bytes, { file }), (loaded: LoadedIdentityKey) => {
        // The reader is strict: only the exact header and length load.
        assert.equal(loaded.format, "tor");
        assert.equal(bytes.length, 96);
        assert.ok(equalBytes(bytes.subarray(0, 32), TOR_SECRET_KEY_HEADER));
      }, keyError(file));
    }),
    params(runs(RUNS.tor)),
  );
  report("tor", stats);
});

Deno.test("fuzz: mutated PEM keys give a key or a KeyError", () => {
  const stats = newStats();
  const file = "frontend.key";
  fc.assert(
    fc.property(fc.array(pemMutation, { minLength: 1, maxLength: 3 }), (ms) => {
      const bytes = utf8(mutatePem(PEM_TEXT, ms));
      feed(stats, () => decodeIdentityKey(bytes, { file }), (loaded: LoadedIdentityKey) => {
        assert.equal(loaded.format, "pem");
        assert.ok(loaded.keypair.hasSeed);
      }, keyError(file));
    }),
    params(runs(RUNS.pem)),
  );
  report("pem", stats);
});

Deno.test("fuzz: v2 RSA keys, mutated or not, give a KeyError that says v2", () => {
  const stats = newStats();
  const file = "private_key";
  const v2 = /^Cannot read key file "private_key": .*v2 onion services/;
  fc.assert(
    fc.property(
      fc.constantFrom(...V2_KEYS),
      fc.array(pemTextMutation, { maxLength: 3 }),
      (key, ms) => {
        const text = mutate(key, ms);
        const classify = keyError(file);
        feed(stats, () => decodeIdentityKey(utf8(text), { file }), () => {
          assert.fail("a v2 RSA key loaded");
        }, (error) => {
          const kind = classify(error);
          // Unchanged, or with its PKCS#1 armor line intact, it is named a v2 key.
          if (ms.length === 0 || text.startsWith("-----BEGIN RSA PRIVATE KEY-----\n")) {
            assert.equal(kind, "UnsupportedKeyFile");
            assert.match((error as KeyError).message, v2);
          }
          return kind;
        });
      },
    ),
    params(runs(RUNS.v2)),
  );
  report("v2", stats);
});

Deno.test({
  name: "fuzz: key files on disk through loadIdentityKey() give a key or a KeyError",
  permissions: { read: ["/tmp"], write: ["/tmp"] },
  fn: async () => {
    const stats = newStats();
    const dir = await Deno.makeTempDir({ prefix: "key_fuzz_" });
    const bases = [
      TOR_FILE,
      utf8(PEM_TEXT),
      ...V2_KEYS.map(utf8),
      encodeTorPublicKeyFile(KEY.public),
      utf8(encodeHostnameFile(KEY.public)),
      new Uint8Array(0),
    ];
    const input = fc.record({
      base: fc.constantFrom(...bases),
      ms: fc.array(byteMutation, { maxLength: 3 }),
      mode: fc.oneof({ weight: 5, arbitrary: fc.constant(0o600) }, fc.constantFrom(0o400, 0o644)),
      target: fc.oneof(
        { weight: 6, arbitrary: fc.constant("file") },
        fc.constantFrom("missing", "dir", "nul"), // a NUL can come from a key path in the config
      ),
    });
    try {
      await fc.assert(
        fc.asyncProperty(input, async ({ base, ms, mode, target }) => {
          const path = target === "dir"
            ? dir
            : target === "missing"
            ? `${dir}/missing`
            : target === "nul"
            ? `${dir}/k\0ey`
            : `${dir}/key`;
          if (target === "file") {
            await Deno.writeFile(path, mutateBytes(base, ms), { mode: 0o600 });
            await Deno.chmod(path, mode);
          }
          try {
            await feedAsync(stats, () => loadIdentityKey(path), () => {
              assert.equal(target, "file");
              assert.equal(mode & 0o077, 0, "a key file others may read loaded");
            }, (error) => {
              const kind = keyError(path)(error);
              if (target !== "file") assert.equal(kind, "Unreadable");
              else if ((mode & 0o077) !== 0) assert.equal(kind, "InsecurePermissions");
              else assert.notEqual(kind, "Unreadable");
              return kind;
            });
          } finally {
            if (target === "file") await Deno.remove(path); // a 0400 file cannot be rewritten
          }
        }),
        asyncParams(runs(RUNS.files)),
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
    report("files", stats);
  },
});

Deno.test("fuzz: totals: the cases' plans add up to 100,000+ inputs at FUZZ_SCALE 1", () => {
  assertPlannedTotal(Object.keys(RUNS) as FuzzCase[], plannedInputs);
});
