/**
 * Loads and validates `config.yaml`. An OnionBalance 0.2.x file loads
 * unchanged; every error names the file, line and column.
 *
 * Unknown keys: one close to a known key of its level (edit distance at most 2,
 * transpositions counting 1, case ignored) is an error naming it and the known
 * key, reported before any "missing" error it causes; any other is a warning
 * and ignored, as is every upper-case key (an OnionBalance v2 setting such as
 * `REFRESH_INTERVAL`, which 0.2.x's own example config still carries). OnionBalance 0.2.2 ignores every unknown key silently, so a
 * misspelt `services` or `instances` there only reports the correct key as
 * missing, and a misspelt optional key does nothing.
 *
 * Wrong types name the key, the expected type and what was found.
 *
 * Role: reads one file and parses YAML; loads no keys (the balancer does, so
 * that a reload can keep an unchanged service's state).
 *
 * @module
 */

import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node as YamlNode,
  parseDocument,
  type YAMLMap,
} from "yaml";
import { KeyError, parseOnionAddress } from "../keys/mod.ts";
import { ConfigError, type ConfigLocation, type ConfigWarning } from "./errors.ts";
import {
  type BalancerConfig,
  DEFAULT_HEALTH_CHECK,
  DEFAULT_TUNING,
  type HealthCheckConfig,
  type InstanceConfig,
  type ServiceConfig,
  type TuningConfig,
} from "./schema.ts";

/** The result of loading: the config and what looked wrong but was accepted. */
export interface LoadedConfig {
  config: BalancerConfig;
  warnings: ConfigWarning[];
}

/** Options of {@link parseConfig}. */
export interface ParseConfigOptions {
  /** The file name to put in messages. */
  path: string;
  /** The folder relative key paths are resolved against (OnionBalance: the config file's folder). */
  baseDir: string;
}

class Reader {
  readonly warnings: ConfigWarning[] = [];
  constructor(readonly path: string, readonly lines: LineCounter) {}

  at(node: YamlNode | null | undefined): ConfigLocation {
    const offset = node?.range?.[0];
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

const TOP_KEYS = [
  "services",
  "status-socket-location",
  "log-format",
  "fetch-interval",
  "busy-fetch-interval",
  "publish-check-interval",
  "republish-interval",
  "instance-stale-after",
  "intro-points-per-instance",
  "distinct-descriptors",
  "health-check",
];
const SERVICE_KEYS = ["key", "instances"];
const INSTANCE_KEYS = ["address", "name"];
const HEALTH_KEYS = ["enabled", "interval", "timeout", "failures", "port", "socks"];

/** What a YAML value is, for "found …" in messages. */
function describe(node: unknown): string {
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

/**
 * Parses and validates the text of a config file.
 *
 * @throws {ConfigError} On invalid YAML or an invalid value, naming file, line and column.
 */
export function parseConfig(text: string, options: ParseConfigOptions): LoadedConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const r: Reader = new Reader(options.path, lines);
  const [error] = doc.errors;
  if (error !== undefined) {
    const pos = lines.linePos(error.pos[0]);
    throw new ConfigError(
      { file: options.path, line: pos.line, column: pos.col },
      `Cannot parse YAML: ${error.message.split("\n")[0]}`,
      { cause: error },
    );
  }
  const top = r.map(doc.contents, "The config file", ` (with a "services" list)`);
  r.checkKeys(top, TOP_KEYS, "the top level");
  const servicesNode = top.get("services", true) as YamlNode | undefined;
  if (servicesNode === undefined) r.fail(top, `Config file is bad: "services" is missing`);
  if (isEmpty(servicesNode)) {
    r.fail(servicesNode, `"services" must be a list with at least one service`);
  }
  if (!isSeq(servicesNode)) {
    r.fail(
      servicesNode,
      `"services" must be a list of {key, instances}, found ${describe(servicesNode)}`,
    );
  }
  const services = servicesNode.items.map((node, i) =>
    readService(r, node as YamlNode, i, options.baseDir)
  );
  const logFormat = r.string(top, "log-format", `"text" or "json"`) ?? "text";
  if (logFormat !== "text" && logFormat !== "json") {
    return r.fail(top.get("log-format", true) as YamlNode, `"log-format" must be "text" or "json"`);
  }
  const config: BalancerConfig = {
    path: options.path,
    services,
    logFormat,
    tuning: readTuning(r, top),
    healthCheck: readHealthCheck(r, top),
  };
  const statusSocket = r.string(top, "status-socket-location", "a string (a Unix socket path)");
  if (statusSocket !== undefined) config.statusSocketLocation = statusSocket;
  const warnings = r.warnings.sort((a, b) =>
    (a.location.line ?? 0) - (b.location.line ?? 0) ||
    (a.location.column ?? 0) - (b.location.column ?? 0)
  );
  return { config, warnings };
}

/** Absent, null (`key:` with no value) or an empty list. */
function isEmpty(node: YamlNode | undefined): boolean {
  if (node === undefined) return true;
  if (isScalar(node)) return node.value === null;
  return isSeq(node) && node.items.length === 0;
}

function readService(r: Reader, node: YamlNode, index: number, baseDir: string): ServiceConfig {
  const what = `service ${index + 1}`;
  const map = r.map(node, `Service ${index + 1}`, " {key, instances}");
  r.checkKeys(map, SERVICE_KEYS, what);
  const key = r.string(map, "key", "a string (the key file's path)");
  if (key === undefined) r.fail(map, `Service ${index + 1} has no "key"`);
  const instancesNode = map.get("instances", true) as YamlNode | undefined;
  if (isEmpty(instancesNode)) {
    r.fail(
      instancesNode ?? map,
      `No backend instances are set for service ${index + 1}: onionbalance needs at least 1`,
    );
  }
  if (!isSeq(instancesNode)) {
    r.fail(
      instancesNode,
      `"instances" must be a list of {address, name}, found ${describe(instancesNode)}`,
    );
  }
  const instances: InstanceConfig[] = [];
  for (const [i, item] of instancesNode.items.entries()) {
    const instance = readInstance(r, item as YamlNode, `instance ${i + 1} of ${what}`);
    const previous = instances.find((other) => other.address === instance.address);
    if (previous !== undefined) {
      r.warnings.push({
        location: instance.location,
        message: `Instance "${instance.address}.onion" is listed twice in ${what}; it is used once`,
      });
      continue;
    }
    instances.push(instance);
  }
  return {
    keyPath: key.startsWith("/") ? key : `${baseDir.replace(/\/$/, "")}/${key}`,
    keyPathAsWritten: key,
    instances,
    location: r.at(node),
  };
}

function readInstance(r: Reader, node: YamlNode, what: string): InstanceConfig {
  const map = r.map(node, what[0]!.toUpperCase() + what.slice(1), " {address, name}");
  r.checkKeys(map, INSTANCE_KEYS, what);
  const addressNode = map.get("address", true) as YamlNode | undefined;
  const text = r.string(map, "address", "a string (the backend's onion address)");
  if (text === undefined) r.fail(map, `${what[0]!.toUpperCase() + what.slice(1)} has no "address"`);
  try {
    const identity = parseOnionAddress(text);
    const address = text.trim().toLowerCase().replace(/\.onion$/, "");
    const instance: InstanceConfig = { identity, address, location: r.at(node) };
    const nameNode = map.get("name", true) as YamlNode | undefined;
    if (nameNode !== undefined && !isScalar(nameNode)) {
      r.fail(nameNode, `"name" must be a string, found ${describe(nameNode)}`);
    }
    const name = nameNode?.value;
    if (name !== undefined && name !== null) instance.name = String(name);
    return instance;
  } catch (cause) {
    if (!(cause instanceof KeyError)) throw cause;
    throw new ConfigError(r.at(addressNode), cause.message, { cause });
  }
}

function readTuning(r: Reader, top: YAMLMap): TuningConfig {
  const d = DEFAULT_TUNING;
  const day = 86400;
  return {
    fetchIntervalSeconds: r.number(top, "fetch-interval", [5, day], d.fetchIntervalSeconds),
    busyFetchIntervalSeconds: r.number(
      top,
      "busy-fetch-interval",
      [5, day],
      d.busyFetchIntervalSeconds,
    ),
    publishCheckIntervalSeconds: r.number(
      top,
      "publish-check-interval",
      [1, day],
      d.publishCheckIntervalSeconds,
    ),
    republishIntervalSeconds: r.number(
      top,
      "republish-interval",
      [60, 3 * 3600 - 60],
      d.republishIntervalSeconds,
    ),
    instanceStaleAfterSeconds: r.number(
      top,
      "instance-stale-after",
      [10, 7 * day],
      d.instanceStaleAfterSeconds,
    ),
    introPointsPerInstance: r.integer(
      top,
      "intro-points-per-instance",
      [1, 20],
      d.introPointsPerInstance,
    ),
    distinctDescriptors: r.boolean(top, "distinct-descriptors", d.distinctDescriptors),
  };
}

function readHealthCheck(r: Reader, top: YAMLMap): HealthCheckConfig {
  const node = top.get("health-check", true) as YamlNode | undefined;
  if (node === undefined) return { ...DEFAULT_HEALTH_CHECK };
  const map = r.map(node, `"health-check"`, ` {${HEALTH_KEYS.join(", ")}}`);
  r.checkKeys(map, HEALTH_KEYS, `"health-check"`);
  const d = DEFAULT_HEALTH_CHECK;
  const socks = r.string(map, "socks", `"auto" or host:port`) ?? d.socks;
  if (socks !== "auto" && !/^(\[[0-9a-fA-F:.]+\]|[^\s:]+):\d{1,5}$/.test(socks)) {
    r.fail(map.get("socks", true) as YamlNode, `"socks" must be "auto" or host:port`);
  }
  return {
    enabled: r.boolean(map, "enabled", d.enabled),
    intervalSeconds: r.number(map, "interval", [1, 86400], d.intervalSeconds),
    timeoutSeconds: r.number(map, "timeout", [1, 600], d.timeoutSeconds),
    failures: r.integer(map, "failures", [1, 100], d.failures),
    port: r.integer(map, "port", [1, 65535], d.port),
    socks,
  };
}

/**
 * Reads and validates a config file. Relative key paths resolve against the
 * file's folder, as in OnionBalance.
 *
 * @throws {ConfigError} When the file cannot be read or is invalid.
 */
export async function loadConfig(path: string): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (cause) {
    const reason = cause instanceof Deno.errors.NotFound ? "no such file" : String(cause);
    throw new ConfigError({ file: path }, `Cannot read config file: ${reason}`, { cause });
  }
  const slash = path.lastIndexOf("/");
  const baseDir = slash < 0 ? Deno.cwd() : slash === 0 ? "/" : path.slice(0, slash);
  return parseConfig(text, {
    path,
    baseDir: baseDir.startsWith("/") ? baseDir : `${Deno.cwd()}/${baseDir}`,
  });
}
