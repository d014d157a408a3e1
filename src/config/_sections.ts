/**
 * The sections of `config.yaml`: the `services` list with its instances,
 * `log-format`, the tuning keys and `health-check`, each read and checked
 * with its defaults from `schema.ts`.
 *
 * Role: private to `config/`; `load.ts` calls these in the order their
 * errors are reported. Parses backend onion addresses (`keys/`); loads no
 * key file.
 *
 * @module
 */

import { isScalar, isSeq, type Node as YamlNode, type YAMLMap } from "yaml";
import { KeyError, parseOnionAddress } from "../keys/mod.ts";
import { describe, type Reader } from "./_reader.ts";
import { ConfigError } from "./errors.ts";
import {
  type BalancerConfig,
  DEFAULT_FRONTEND_PROBE,
  DEFAULT_HEALTH_CHECK,
  DEFAULT_TUNING,
  type FrontendProbeConfig,
  type HealthCheckConfig,
  type InstanceConfig,
  type MetricsConfig,
  type ServiceConfig,
  type TuningConfig,
} from "./schema.ts";

/** The keys of the top level. */
export const TOP_KEYS = [
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
  "offline-keys-warning",
  "health-check",
  "audit-interval",
  "frontend-probe",
  "metrics-listen",
  "metrics-allow-remote",
];
const SERVICE_KEYS = [
  "key",
  "name",
  "offline-keys",
  "passphrase-file",
  "passphrase-credential",
  "authorized-clients-dir",
  "instances",
];
/** The systemd credential a service's passphrase is read from by default. */
export const DEFAULT_PASSPHRASE_CREDENTIAL = "onionbalance-key-passphrase";
const INSTANCE_KEYS = ["address", "name", "client-key"];
const HEALTH_KEYS = ["enabled", "interval", "timeout", "failures", "port", "socks"];
const PROBE_KEYS = ["enabled", "interval", "timeout", "port"];

/**
 * The `services` list: at least one `{key, instances}`.
 *
 * @throws {ConfigError} When it is missing, empty, not a list, or a service is invalid.
 */
export function readServices(r: Reader, top: YAMLMap, baseDir: string): ServiceConfig[] {
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
  return servicesNode.items.map((node, i) => readService(r, node as YamlNode, i, baseDir));
}

/** `log-format`: "text" (the default) or "json". */
export function readLogFormat(r: Reader, top: YAMLMap): BalancerConfig["logFormat"] {
  const logFormat = r.string(top, "log-format", `"text" or "json"`) ?? "text";
  if (logFormat !== "text" && logFormat !== "json") {
    return r.fail(top.get("log-format", true) as YamlNode, `"log-format" must be "text" or "json"`);
  }
  return logFormat;
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
  const keyText = r.string(map, "key", "a string (the key file's path)");
  const offline = r.string(map, "offline-keys", "a string (the offline key bundle's path)");
  if (keyText !== undefined && offline !== undefined) {
    r.fail(
      map.get("offline-keys", true) as YamlNode,
      `Service ${index + 1} has both "key" and "offline-keys": give one`,
    );
  }
  const key = keyText ?? offline;
  if (key === undefined) {
    r.fail(map, `Service ${index + 1} has no "key" (or "offline-keys", an offline key bundle)`);
  }
  const passphraseFile = r.string(map, "passphrase-file", "a string (a file's path)");
  const credential = r.string(map, "passphrase-credential", "a string (a systemd credential)");
  if (credential !== undefined && !/^[A-Za-z0-9_.-]+$/.test(credential)) {
    r.fail(
      map.get("passphrase-credential", true) as YamlNode,
      `"passphrase-credential" must be a credential name (letters, digits, "_", "." and "-")`,
    );
  }
  const resolve = (path: string) =>
    path.startsWith("/") ? path : `${baseDir.replace(/\/$/, "")}/${path}`;
  const clientsDir = r.string(map, "authorized-clients-dir", "a string (a folder's path)");
  const name = r.string(map, "name", "a string (the service's name in metrics and status)");
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
    const instance = readInstance(r, item as YamlNode, `instance ${i + 1} of ${what}`, resolve);
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
    keyPath: resolve(key),
    keyPathAsWritten: key,
    keyKind: offline === undefined ? "key" : "offline",
    ...(passphraseFile === undefined ? {} : { passphraseFile: resolve(passphraseFile) }),
    passphraseCredential: credential ?? DEFAULT_PASSPHRASE_CREDENTIAL,
    ...(clientsDir === undefined ? {} : { authorizedClientsDir: resolve(clientsDir) }),
    ...(name === undefined ? {} : { name }),
    instances,
    location: r.at(node),
  };
}

function readInstance(
  r: Reader,
  node: YamlNode,
  what: string,
  resolve: (path: string) => string,
): InstanceConfig {
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
    const clientKey = r.string(map, "client-key", "a string (a .auth_private file's path)");
    if (clientKey !== undefined) instance.clientKeyPath = resolve(clientKey);
    return instance;
  } catch (cause) {
    if (!(cause instanceof KeyError)) throw cause;
    throw new ConfigError(r.at(addressNode), cause.message, { cause });
  }
}

/** The tuning keys of the top level, each with its range and default. */
export function readTuning(r: Reader, top: YAMLMap): TuningConfig {
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
    offlineKeysWarningSeconds: r.number(
      top,
      "offline-keys-warning",
      [0, 365 * day],
      d.offlineKeysWarningSeconds,
    ),
    auditIntervalSeconds: readAuditInterval(r, top, d.auditIntervalSeconds),
  };
}

/** `audit-interval`: 0 (no audits), or 30 s to a day. */
function readAuditInterval(r: Reader, top: YAMLMap, fallback: number): number {
  const seconds = r.number(top, "audit-interval", [0, 86400], fallback);
  if (seconds > 0 && seconds < 30) {
    r.fail(
      top.get("audit-interval", true) as YamlNode,
      `"audit-interval" must be 0 (no audits) or at least 30 seconds, found ${seconds}`,
    );
  }
  return seconds;
}

/** `health-check`: absent means the defaults. */
export function readHealthCheck(r: Reader, top: YAMLMap): HealthCheckConfig {
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

/** `frontend-probe`: absent means the defaults (off). */
export function readFrontendProbe(r: Reader, top: YAMLMap): FrontendProbeConfig {
  const node = top.get("frontend-probe", true) as YamlNode | undefined;
  if (node === undefined) return { ...DEFAULT_FRONTEND_PROBE };
  const map = r.map(node, `"frontend-probe"`, ` {${PROBE_KEYS.join(", ")}}`);
  r.checkKeys(map, PROBE_KEYS, `"frontend-probe"`);
  const d = DEFAULT_FRONTEND_PROBE;
  const intervalSeconds = r.number(map, "interval", [5, 86400], d.intervalSeconds);
  const timeoutSeconds = r.number(
    map,
    "timeout",
    [1, 600],
    Math.min(d.timeoutSeconds, intervalSeconds),
  );
  if (timeoutSeconds > intervalSeconds) {
    r.fail(
      map.get("timeout", true) as YamlNode,
      `"frontend-probe.timeout" (${timeoutSeconds} s) must not be longer than its interval ` +
        `(${intervalSeconds} s)`,
    );
  }
  return {
    enabled: r.boolean(map, "enabled", true),
    intervalSeconds,
    timeoutSeconds,
    port: r.integer(map, "port", [1, 65535], d.port),
  };
}

/** Whether `hostname` is a loopback address: 127.0.0.0/8, `::1` or `localhost`. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  if (host === "localhost" || host === "::1" || host === "0:0:0:0:0:0:0:1") return true;
  const v4 = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  return v4 !== null && v4.slice(1).every((octet) => Number(octet) <= 255);
}

/**
 * `metrics-listen` (`host:port`, `[v6]:port`) and `metrics-allow-remote`: absent means no
 * metrics. A host that is not loopback is refused unless `metrics-allow-remote` is true.
 */
export function readMetrics(r: Reader, top: YAMLMap): MetricsConfig | undefined {
  const allowRemote = r.boolean(top, "metrics-allow-remote", false);
  const text = r.string(top, "metrics-listen", "a string (host:port)");
  if (text === undefined) return undefined;
  const node = top.get("metrics-listen", true) as YamlNode;
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:[\]]+)):(\d{1,5})$/.exec(text.trim());
  const port = Number(match?.[3]);
  if (match === null || !(port >= 1 && port <= 65535)) {
    return r.fail(
      node,
      `"metrics-listen" must be host:port (e.g. 127.0.0.1:9811 or [::1]:9811), found "${text}"`,
    );
  }
  const hostname = match[1] ?? match[2]!;
  if (!allowRemote && !isLoopbackHost(hostname)) {
    return r.fail(
      node,
      `"metrics-listen" is not a loopback address ("${hostname}"): metrics would be served to ` +
        `other hosts. Set "metrics-allow-remote: true" to mean it`,
    );
  }
  return { hostname, port, allowRemote };
}
