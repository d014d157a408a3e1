/**
 * The plan and the tally shared by the cases of `config_fuzz_slow_test.ts`.
 *
 * What: the seed and size (FUZZ_SEED, FUZZ_SCALE), the fast-check runs each case makes
 * ({@link RUNS}), the per-input time and memory limits, the counter each case feeds its inputs
 * through ({@link feed}, {@link report}), and the checks every outcome must pass: a config
 * error is a `ConfigError` located at `file:line:column` (errors.ts `formatLocation`), a key
 * error is a `KeyError` naming its file, a loaded config has sane values.
 *
 * Role: test-only; used by `config_fuzz_slow_test.ts` alone. Prints counts, never key bytes.
 *
 * @module
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import { ConfigError, type LoadedConfig } from "../../src/config/mod.ts";
import { KeyError } from "../../src/keys/mod.ts";

// ---- Plan ----

export { runs } from "./_fuzz_plan.ts";
import { runs, SCALE, SEED } from "./_fuzz_plan.ts";

/**
 * fast-check runs of each case at FUZZ_SCALE 1; each run feeds one input. A config input costs
 * about 1 ms (most of it checking that each backend address is a valid ed25519 point, about
 * 0.7 ms an address), a key input about 0.1 ms (1 ms when it loads), so the key cases feed most
 * of the inputs within the time budget.
 */
export const RUNS = {
  text: 9_000,
  values: 3_000,
  structure: 4_500,
  bytes: 2_000,
  bombs: 200,
  tor: 32_000,
  pem: 27_000,
  v2: 13_000,
  files: 9_500,
} as const;
/** A case's name, as it reports itself. */
export type FuzzCase = keyof typeof RUNS;

/** Inputs case `name` feeds at FUZZ_SCALE `scale`. */
export function plannedInputs(name: FuzzCase, scale = SCALE): number {
  return runs(RUNS[name], scale);
}

/** fast-check parameters for `numRuns` runs from {@link SEED}. */
export const params = (numRuns: number) => ({ numRuns, seed: SEED });
/** {@link params} for an async property: a run taking over 5 s fails (fast-check's `timeout`). */
export const asyncParams = (numRuns: number) => ({
  ...params(numRuns),
  plugins: [fc.timeout(5000)],
});

/** The longest one input may take (the fuzzing shares a 2-core machine with other work). */
export const MAX_MS = 2000;

/** The most the heap may grow while one input is read. */
export const MAX_HEAP_GROWTH = 256 * 1024 * 1024;

// ---- Tally ----

/** What one case fed and how it ended. */
export interface FuzzStats {
  inputs: number;
  loaded: number;
  maxMs: number;
  totalMs: number;
  /** Count per outcome: the error's kind, or its message with names and numbers blanked. */
  outcomes: Map<string, number>;
}

/** An empty tally. */
export function newStats(): FuzzStats {
  return { inputs: 0, loaded: 0, maxMs: 0, totalMs: 0, outcomes: new Map() };
}

/** Prints what case `name` fuzzed and checks it fed every planned input. */
export function report(name: FuzzCase, stats: FuzzStats): void {
  const outcomes = [...stats.outcomes].sort((a, b) => b[1] - a[1]);
  const [all, slowest] = [stats.totalMs.toFixed(0), stats.maxMs.toFixed(1)];
  // deno-lint-ignore no-console -- the slow task reports how much it fuzzed
  console.log(
    `${name}: fuzzed ${stats.inputs} inputs (${stats.loaded} loaded, the rest typed errors); ` +
      `${all} ms in all, slowest ${slowest} ms; seed ${SEED}; ${outcomes.length} outcomes:\n` +
      outcomes.slice(0, 12).map(([k, n]) => `  ${k}: ${n}`).join("\n"),
  );
  assert.equal(stats.inputs, plannedInputs(name), `${name}: inputs fed`);
}

/** Counts an outcome and checks the input took less than {@link MAX_MS}. */
function count(stats: FuzzStats, outcome: string, start: number): void {
  stats.outcomes.set(outcome, (stats.outcomes.get(outcome) ?? 0) + 1);
  const ms = performance.now() - start;
  stats.maxMs = Math.max(stats.maxMs, ms);
  stats.totalMs += ms;
  assert.ok(ms < MAX_MS, `one input took ${ms.toFixed(0)} ms`);
}

/** Feeds one input: `fn` returns a value `check` accepts, or throws an error `classify` accepts. */
export function feed<T>(
  stats: FuzzStats,
  fn: () => T,
  check: (value: T) => void,
  classify: (error: unknown) => string,
): void {
  const start = performance.now();
  stats.inputs++;
  let value: T;
  try {
    value = fn();
  } catch (error) {
    return count(stats, classify(error), start);
  }
  check(value);
  stats.loaded++;
  count(stats, "loaded", start);
}

/** {@link feed} for an async `fn`. */
export async function feedAsync<T>(
  stats: FuzzStats,
  fn: () => Promise<T>,
  check: (value: T) => void,
  classify: (error: unknown) => string,
): Promise<void> {
  const start = performance.now();
  stats.inputs++;
  let value: T;
  try {
    value = await fn();
  } catch (error) {
    return count(stats, classify(error), start);
  }
  check(value);
  stats.loaded++;
  count(stats, "loaded", start);
}

/**
 * Fails with `what` and the error's stack. (Only on failure: formatting a stack costs about
 * 0.1 ms, as much as reading a config.)
 */
export function failWith(what: string, error: unknown): never {
  assert.fail(`${what}: ${error instanceof Error ? error.stack : String(error)}`);
}
/** A message with quoted names and numbers blanked, to count outcomes by kind. */
const shape = (message: string) =>
  message.replace(/"[^"]*"/g, '"…"').replace(/[0-9][0-9.e+]*/g, "N").slice(0, 70);

// ---- Outcome checks ----

/** Checks a config error: a ConfigError at `path:line:column` inside `text` (when known). */
export function configError(path: string, text?: string): (error: unknown) => string {
  return (error) => {
    if (!(error instanceof ConfigError)) failWith("not a ConfigError", error);
    const { file, line, column } = error.location;
    assert.equal(file, path, error.message);
    assert.ok(
      line !== undefined && column !== undefined && line >= 1 && column >= 1,
      `no line and column: ${error.message}`,
    );
    assert.equal(error.message, `${path}:${line}:${column}: ${error.detail}`);
    if (text !== undefined) {
      const lines = text.split(/\r\n|\r|\n/).length;
      assert.ok(line <= lines, `line ${line} of ${lines}: ${error.message}`);
    }
    assert.ok(error.detail.length > 0);
    return shape(error.detail);
  };
}

/** Checks a loaded config: sane values, and every warning located. */
export function checkLoaded(path: string): (loaded: LoadedConfig) => void {
  return ({ config, warnings }) => {
    assert.ok(config.services.length >= 1);
    for (const service of config.services) {
      assert.ok(service.location.line !== undefined);
      assert.ok(service.instances.length >= 1);
      for (const instance of service.instances) {
        assert.match(instance.address, /^[a-z2-7]{56}$/);
        assert.ok(instance.location.line !== undefined);
      }
    }
    const { introPointsPerInstance } = config.tuning;
    assert.ok(Number.isInteger(introPointsPerInstance) && introPointsPerInstance <= 20);
    assert.ok(config.logFormat === "text" || config.logFormat === "json");
    for (const warning of warnings) {
      assert.equal(warning.location.file, path);
      assert.ok(warning.location.line !== undefined, `warning without a line: ${warning.message}`);
    }
  };
}

/** Checks a key error: a KeyError naming `file`, whose message says which file. */
export function keyError(file: string): (error: unknown) => string {
  return (error) => {
    if (!(error instanceof KeyError)) failWith("not a KeyError", error);
    assert.equal(error.file, file);
    if (error.kind !== "InsecurePermissions") {
      assert.ok(error.message.startsWith(`Cannot read key file "${file}": `), error.message);
    }
    return error.kind;
  };
}

/** A valid generated config loaded with the values it was written with. */
export function checkAsWritten(value: Record<string, unknown>, { config }: LoadedConfig): void {
  const services = value.services as { key: string; instances: { address: string }[] }[];
  assert.equal(config.services.length, services.length);
  for (const [i, service] of services.entries()) {
    const loaded = config.services[i]!;
    assert.equal(loaded.keyPathAsWritten, service.key);
    const addresses = new Set(service.instances.map((x) => x.address.slice(0, 56).toLowerCase()));
    assert.deepEqual(loaded.instances.map((x) => x.address), [...addresses]);
  }
  const tuning: [string, number | boolean][] = [
    ["fetch-interval", config.tuning.fetchIntervalSeconds],
    ["intro-points-per-instance", config.tuning.introPointsPerInstance],
    ["distinct-descriptors", config.tuning.distinctDescriptors],
  ];
  for (const [key, got] of tuning) if (key in value) assert.equal(got, value[key]);
  const health = value["health-check"] as Record<string, unknown> | undefined;
  if (health?.port !== undefined) assert.equal(config.healthCheck.port, health.port);
  if (health?.socks !== undefined) assert.equal(config.healthCheck.socks, health.socks);
}
