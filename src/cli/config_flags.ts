/**
 * The flags of `onionbalance config`, checked, and the generator's inputs
 * they give when no question is asked.
 *
 * Spec: OnionBalance 0.2.2 `onionbalance/config_generator/config_generator.py`
 * (`onionbalance-config`'s flags and defaults).
 *
 * Role: pure checks apart from loading `--key` files through the injected
 * loader. Every error is a {@link UsageError} or the generator's
 * `DeployError`; the command maps both to exit codes. The password of `-p` is
 * never repeated in a message.
 *
 * @module
 */

import {
  checkBackendDirPrefix,
  checkServiceTarget,
  checkTag,
  DEPLOY_DEFAULTS,
  DEPLOY_LIMITS,
  type DeploymentInputs,
  type KeyFormat,
  parseCount,
  parseVirtualPort,
  type ServiceInputs,
} from "../deploy/mod.ts";
import { type HsIdKey, KeyError, type LoadedIdentityKey, parseOnionAddress } from "../keys/mod.ts";
import { ExitCode, UsageError } from "./exit_codes.ts";

/** The command's flags, as commander parses them. */
export interface ConfigCommandOptions {
  hsVersion: string;
  key?: string[];
  password?: string;
  n?: string;
  s?: string;
  tag: string;
  output: string;
  interactive?: boolean;
  v: string;
  serviceVirtualPort: string;
  serviceTarget?: string;
  instance?: string[];
  keyFormat: string;
  backendDirPrefix: string;
  force?: boolean;
}

/** Verbosity levels of `-v`, lowest first (OnionBalance's, from Python's logging). */
export const VERBOSITY_LEVELS = ["debug", "info", "warning", "error", "critical"] as const;

/** One of {@link VERBOSITY_LEVELS}. */
export type VerbosityLevel = typeof VERBOSITY_LEVELS[number];

/** The flags, checked. */
export interface ConfigFlags {
  level: VerbosityLevel;
  /** `-s`, or 1. */
  services: number;
  /** `--key` paths, one per service in order. */
  keys: readonly string[];
  /** `-n`, when given. */
  backends?: number;
  tag: string;
  /** `--instance` addresses, per service. */
  instances: readonly (readonly HsIdKey[])[];
  virtualPort: number;
  /** `--service-target`, when given. */
  target?: string;
  keyFormat: KeyFormat;
  backendDirPrefix: string;
  force: boolean;
}

function usage(message: string, exitCode: ExitCode = ExitCode.Usage, cause?: unknown): UsageError {
  return new UsageError(message, { exitCode, cause });
}

/**
 * Checks a key format name.
 *
 * @throws {UsageError} Unless `tor` or `pem`.
 */
export function parseKeyFormat(text: string): KeyFormat {
  const format = text.trim().toLowerCase();
  if (format !== "tor" && format !== "pem") {
    throw usage(`Cannot use key format "${text}": expected "tor" or "pem"`);
  }
  return format;
}

/**
 * Parses a backend's onion address (`--instance`, or an interactive answer).
 *
 * @throws {UsageError} When it is not a v3 address (exit 2).
 */
export function parseBackendAddress(text: string): HsIdKey {
  try {
    return parseOnionAddress(text);
  } catch (error) {
    if (!(error instanceof KeyError)) throw error;
    throw usage(`Cannot use backend address "${text}": ${error.message}`, ExitCode.Usage, error);
  }
}

function checkVersionAndPassword(options: ConfigCommandOptions): void {
  if (options.hsVersion === "v2") {
    throw usage(
      'Cannot generate a v2 deployment: Tor removed v2 onion services (tor 0.4.6); use "--hs-version v3"',
    );
  }
  if (options.hsVersion !== "v3") {
    throw usage(`Cannot use --hs-version "${options.hsVersion}": only "v3" is supported`);
  }
  if (options.password !== undefined) {
    throw usage(
      "Cannot encrypt the frontend key (-p/--password): v3 onion-service keys are never stored " +
        "encrypted (tor cannot read such a key, and OnionBalance ignores -p for v3). The key file " +
        "is written with mode 0600 instead; leave out -p",
    );
  }
}

function parseLevel(text: string): VerbosityLevel {
  const found = VERBOSITY_LEVELS.find((level) => level === text.toLowerCase());
  if (found === undefined) {
    throw usage(`Cannot use verbosity "${text}": expected one of ${VERBOSITY_LEVELS.join(", ")}`);
  }
  return found;
}

/** Parses `--instance [<service>:]<address>` values into addresses per service. */
function parseInstances(values: readonly string[], services: number): HsIdKey[][] {
  const out: HsIdKey[][] = Array.from({ length: services }, () => []);
  for (const value of values) {
    const match = /^(\d+):(.+)$/.exec(value);
    const index = match === null ? undefined : Number(match[1]);
    if (index !== undefined && (index < 1 || index > services)) {
      throw usage(
        `Cannot use --instance "${value}": there is no service ${index} (-s is ${services})`,
      );
    }
    const key = parseBackendAddress(match === null ? value : match[2]!);
    for (const [i, list] of out.entries()) {
      if (index === undefined || index === i + 1) list.push(key);
    }
  }
  return out;
}

/**
 * Checks every flag.
 *
 * @param options The flags as commander parsed them.
 * @returns The checked flags.
 * @throws {UsageError} For v2, `-p`, a bad `-v`, `--key-format` or
 *   `--instance`, or more `--key` than services.
 * @throws {DeployError} `BadInput` for a bad count, tag, port, target or folder.
 */
export function parseConfigFlags(options: ConfigCommandOptions): ConfigFlags {
  checkVersionAndPassword(options);
  const level = parseLevel(options.v);
  const services = options.s === undefined
    ? DEPLOY_DEFAULTS.services
    : parseCount(options.s, { what: "number of services (-s)", max: DEPLOY_LIMITS.services });
  const keys = options.key ?? [];
  if (keys.length > services) {
    throw usage(
      `Cannot use ${keys.length} --key options for ${services} service(s): give -s ${keys.length}`,
    );
  }
  const flags: ConfigFlags = {
    level,
    services,
    keys,
    tag: checkTag(options.tag),
    instances: parseInstances(options.instance ?? [], services),
    virtualPort: parseVirtualPort(options.serviceVirtualPort),
    keyFormat: parseKeyFormat(options.keyFormat),
    backendDirPrefix: checkBackendDirPrefix(options.backendDirPrefix),
    force: options.force === true,
  };
  if (options.n !== undefined) {
    flags.backends = parseCount(options.n, {
      what: "number of backends (-n)",
      min: 0,
      max: DEPLOY_LIMITS.backends,
    });
  }
  if (options.serviceTarget !== undefined) flags.target = checkServiceTarget(options.serviceTarget);
  return flags;
}

/**
 * The generator's inputs from the flags alone: `-n` backends per service
 * (default 2, or 0 for a service with adopted backends), the k-th `--key` for
 * service k, new keys for the others.
 *
 * @param flags The checked flags.
 * @param loadKey Loads a `--key` file.
 * @throws {KeyError} When a key file cannot be read or is not a key.
 */
export async function inputsFromFlags(
  flags: ConfigFlags,
  loadKey: (path: string) => Promise<LoadedIdentityKey>,
): Promise<DeploymentInputs> {
  const services: ServiceInputs[] = [];
  for (let i = 0; i < flags.services; i++) {
    const path = flags.keys[i];
    const instances = flags.instances[i] ?? [];
    services.push({
      ...(path === undefined ? {} : { key: await loadKey(path) }),
      backends: flags.backends ?? (instances.length > 0 ? 0 : DEPLOY_DEFAULTS.backends),
      tag: flags.tag,
      instances,
    });
  }
  return {
    services,
    keyFormat: flags.keyFormat,
    virtualPort: flags.virtualPort,
    target: flags.target ?? DEPLOY_DEFAULTS.target,
    backendDirPrefix: flags.backendDirPrefix,
  };
}
