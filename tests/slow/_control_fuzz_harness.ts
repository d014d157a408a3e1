/**
 * The plan and the bookkeeping of the control-port fuzz cases (`control_fuzz_slow_test.ts`):
 * FUZZ_SEED and FUZZ_SCALE, the runs of each case ({@link RUNS}), the framer limits they fuzz
 * with, and how each case times its inputs, counts their outcomes, checks that every error is
 * one of `src/control/errors.ts`, and reports.
 *
 * Spec: none of its own; the outcomes it counts are the errors of control-spec parsing.
 * <https://spec.torproject.org/control-spec/>
 *
 * Role: reads FUZZ_SEED and FUZZ_SCALE once at import (needs `--allow-env`); prints one report
 * per case.
 *
 * @module
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import {
  ControlAuthError,
  type ControlError,
  ControlOperationFailed,
  ControlProtocolError,
  ControlVersionError,
} from "../../src/control/mod.ts";

export { runs } from "./_fuzz_plan.ts";
import { runs, SCALE, SEED } from "./_fuzz_plan.ts";

/** fast-check runs of each case at FUZZ_SCALE 1; each run feeds one mutated input. */
export const RUNS = {
  framer: 40_000,
  endless: 4_000,
  text: 30_000,
  replies: 16_000,
  connection: 6_000,
  client: 4_000,
} as const;
export type FuzzCase = keyof typeof RUNS;

/** Inputs case `name` feeds at FUZZ_SCALE `scale`. */
export function plannedInputs(name: FuzzCase, scale = SCALE): number {
  return runs(RUNS[name], scale);
}

/** Limits of the fuzzed framers: small, so that mutations and inserted runs cross them. */
export const LIMITS = { maxLineBytes: 1024, maxReplyBytes: 8192 } as const;

/** What one case fed and how it ended. */
export interface FuzzStats {
  inputs: number;
  maxMs: number;
  /** Count per outcome: `what: ok` or `what: <error name>[/<kind>]`. */
  outcomes: Map<string, number>;
}

export function newStats(): FuzzStats {
  return { inputs: 0, maxMs: 0, outcomes: new Map() };
}

export function count(stats: FuzzStats, key: string): void {
  stats.outcomes.set(key, (stats.outcomes.get(key) ?? 0) + 1);
}

/** The sum of the counts whose key starts with `prefix`. */
export function total(stats: FuzzStats, prefix: string): number {
  let sum = 0;
  for (const [key, n] of stats.outcomes) if (key.startsWith(prefix)) sum += n;
  return sum;
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.stack ?? String(error) : String(error);
}

/** A class of the project's control errors. */
export type ErrorClass = new (...args: never[]) => ControlError;

/** Asserts that `error` is one of `classes` and returns its name and kind, e.g. `X/BareLineFeed`. */
export function typed(error: unknown, classes: readonly ErrorClass[], what: string): string {
  // The message is built on failure only: formatting a stack is slow.
  if (!classes.some((c) => error instanceof c)) {
    assert.fail(`${what}: untyped error: ${describe(error)}`);
  }
  const { name, kind } = error as ControlError & { kind?: string };
  return kind === undefined ? name : `${name}/${kind}`;
}

const PARSE_ERRORS = [ControlProtocolError, ControlVersionError];
export const REQUEST_ERRORS = [...PARSE_ERRORS, ControlOperationFailed, ControlAuthError];

/** Runs a parser and counts `what: ok` or its typed error. */
export function outcome(stats: FuzzStats, what: string, fn: () => unknown): void {
  try {
    fn();
    count(stats, `${what}: ok`);
  } catch (error) {
    count(stats, `${what}: ${typed(error, PARSE_ERRORS, what)}`);
  }
}

/** As {@link outcome}, for a helper that sends a request. */
export async function outcomeAsync(stats: FuzzStats, what: string, fn: () => Promise<unknown>) {
  try {
    await fn();
    count(stats, `${what}: ok`);
  } catch (error) {
    count(stats, `${what}: ${typed(error, REQUEST_ERRORS, what)}`);
  }
}

/** Counts one input and checks it took less than 2 s (a sync input cannot be interrupted). */
export function timed(stats: FuzzStats, fn: () => void): void {
  const start = performance.now();
  stats.inputs++;
  fn();
  const ms = performance.now() - start;
  stats.maxMs = Math.max(stats.maxMs, ms);
  assert.ok(ms < 2000, `one input took ${ms.toFixed(0)} ms`);
}

/** As {@link timed}, for an async input, which also fails after 5 s instead of hanging. */
export async function timedAsync(stats: FuzzStats, fn: () => Promise<void>): Promise<void> {
  const start = performance.now();
  stats.inputs++;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("one input hung for 5 s")), 5000);
  });
  try {
    await Promise.race([fn(), hang]);
  } finally {
    clearTimeout(timer);
  }
  const ms = performance.now() - start;
  stats.maxMs = Math.max(stats.maxMs, ms);
  assert.ok(ms < 2000, `one input took ${ms.toFixed(0)} ms`);
}

/**
 * Prints what case `name` fuzzed, checks it fed every planned input and, at the CI size, that
 * the mutations reached each `expected` outcome (so they do not all stop at the first check).
 */
export function report(name: FuzzCase, stats: FuzzStats, expected: readonly string[]): void {
  // deno-lint-ignore no-console -- the slow task reports how much it fuzzed
  console.log(
    `${name}: fuzzed ${stats.inputs} inputs; slowest ${stats.maxMs.toFixed(1)} ms; seed ${SEED}\n` +
      [...stats.outcomes].sort((a, b) => b[1] - a[1]).map(([k, n]) => `  ${k}: ${n}`).join("\n"),
  );
  assert.equal(stats.inputs, plannedInputs(name), `${name}: inputs fed`);
  if (SCALE < 1) return;
  for (const key of expected) assert.ok(stats.outcomes.has(key), `${name}: never saw "${key}"`);
}

export const params = (numRuns: number) => ({ numRuns, seed: SEED, plugins: [fc.timeout(5000)] });
