/**
 * Reads values out of the config's YAML nodes with located errors: every
 * error and warning names the file, line and column of the node.
 *
 * Unknown keys: one within edit distance 2 of a known key of its level
 * (optimal string alignment, case ignored) is an error naming the known key;
 * any other, and every upper-case key (an OnionBalance v2 setting), is a
 * warning.
 *
 * Role: private to `config/`; used by `load.ts` and `_sections.ts`. Knows
 * no key of the config, only how to read one.
 *
 * @module
 */

import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  type LineCounter,
  type Node as YamlNode,
  type YAMLMap,
} from "yaml";
import { ConfigError, type ConfigLocation, type ConfigWarning } from "./errors.ts";

/** Reads one config file's nodes; collects its warnings. */
export class Reader {
  readonly warnings: ConfigWarning[] = [];
  constructor(readonly path: string, readonly lines: LineCounter) {}

  at(node: YamlNode | null | undefined): ConfigLocation {
    // A pair (an item of a `!!pairs` or `!!omap` list, or what a `!!set`'s `get(key, true)`
    // returns) has no range of its own: point at its key, or its value if it has no key.
    const located = isPair(node) ? (node.key ?? node.value) as YamlNode | null : node;
    const offset = located?.range?.[0];
    if (offset === undefined) return { file: this.path };
    const { line, col } = this.lines.linePos(offset);
    return { file: this.path, line, column: col };
  }

  fail(node: YamlNode | null | undefined, detail: string): never {
    throw new ConfigError(this.at(node), detail);
  }

  /** `what` must be a mapping: `what` is capitalised, `shape` says what goes in it. */
  map(node: unknown, what: string, shape = ""): YAMLMap {
    if (!isMap(node)) {
      this.fail(node as YamlNode, `${what} must be a mapping${shape}, found ${describe(node)}`);
    }
    return node;
  }

  /**
   * Checks the keys of `map` against `known`: a key close to a known one is an
   * error (a typo), any other unknown key a warning (OnionBalance ignores them).
   *
   * @throws {ConfigError} At the first key that looks like a misspelt known key.
   */
  checkKeys(map: YAMLMap, known: readonly string[], what: string): void {
    for (const pair of map.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      if (known.includes(key)) continue;
      // An upper-case key is an OnionBalance v2 setting (REFRESH_INTERVAL,
      // STATUS_SOCKET_LOCATION, …) that 0.2.x files may still carry: never an error.
      const legacy = /^[A-Z][A-Z0-9_]*$/.test(key);
      const meant = legacy ? undefined : closestKey(key, known);
      if (meant !== undefined) {
        this.fail(
          pair.key as YamlNode,
          `Unknown key "${key}" in ${what}; did you mean "${meant}"?`,
        );
      }
      this.warnings.push({
        location: this.at(pair.key as YamlNode),
        message: `Unknown key "${key}" in ${what} is ignored (known keys: ${known.join(", ")})`,
      });
    }
  }

  /** A non-empty string, or undefined when the key is absent or empty; `expected` is for messages. */
  string(map: YAMLMap, key: string, expected: string): string | undefined {
    const node = map.get(key, true) as YamlNode | undefined;
    if (node === undefined || (isScalar(node) && node.value === null)) return undefined;
    if (!isScalar(node) || typeof node.value !== "string" || node.value.trim() === "") {
      this.fail(node, `"${key}" must be ${expected}, found ${describe(node)}`);
    }
    return node.value;
  }

  number(map: YAMLMap, key: string, range: [number, number], fallback: number): number {
    const node = map.get(key, true) as YamlNode | undefined;
    if (node === undefined) return fallback;
    const value = isScalar(node) ? node.value : undefined;
    if (
      typeof value !== "number" || !Number.isFinite(value) || value < range[0] || value > range[1]
    ) {
      const found = typeof value === "number" ? String(value) : describe(node);
      this.fail(node, `"${key}" must be a number from ${range[0]} to ${range[1]}, found ${found}`);
    }
    return value;
  }

  integer(map: YAMLMap, key: string, range: [number, number], fallback: number): number {
    const value = this.number(map, key, range, fallback);
    if (!Number.isInteger(value)) {
      this.fail(map.get(key, true) as YamlNode, `"${key}" must be a whole number, found ${value}`);
    }
    return value;
  }

  boolean(map: YAMLMap, key: string, fallback: boolean): boolean {
    const node = map.get(key, true) as YamlNode | undefined;
    if (node === undefined) return fallback;
    if (!isScalar(node) || typeof node.value !== "boolean") {
      this.fail(node, `"${key}" must be true or false, found ${describe(node)}`);
    }
    return node.value;
  }
}

/** What a YAML value is, for "found …" in messages. */
export function describe(node: unknown): string {
  if (node === undefined || node === null) return "nothing";
  if (isSeq(node)) return "a list";
  if (isMap(node)) return "a mapping";
  if (isAlias(node)) return `an alias (*${node.source}), which this loader does not resolve`;
  if (!isScalar(node)) return "an unexpected YAML node";
  const value = node.value;
  if (value === null || value === undefined) return "nothing";
  if (typeof value === "string") return value.trim() === "" ? "an empty string" : "a string";
  if (typeof value === "number" || typeof value === "bigint") return "a number";
  if (typeof value === "boolean") return "a boolean";
  return "an unexpected value";
}

/**
 * Optimal-string-alignment edit distance (Levenshtein plus adjacent
 * transpositions), or `limit + 1` when it is more than `limit`.
 */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  const width = b.length + 1;
  const d = new Array<number>((a.length + 1) * width);
  for (let i = 0; i <= a.length; i++) d[i * width] = i;
  for (let j = 0; j <= b.length; j++) d[j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      let best = Math.min(
        d[(i - 1) * width + j]! + 1,
        d[i * width + j - 1]! + 1,
        d[(i - 1) * width + j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, d[(i - 2) * width + j - 2]! + 1);
      }
      d[i * width + j] = best;
    }
  }
  return Math.min(d[a.length * width + b.length]!, limit + 1);
}

/** The known key `key` is probably a misspelling of (case ignored, distance ≤ 2), if any. */
function closestKey(key: string, known: readonly string[]): string | undefined {
  const limit = 2;
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase(), limit);
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best;
}
