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
 * never repeated in a message. The key custody flags (`--offline…`,
 * `--period-length`, `--encrypt`, `--passphrase-file`) and the client
 * authorization flags (`--clients`, `--restrict-backends`) are ours; without
 * them the inputs are exactly OnionBalance's. A passphrase never comes from argv:
 * only its file's path does.
 *
 * @module
 */

import type { Command } from "commander";
import {
  checkBackendDirPrefix,
  checkServiceTarget,
  checkTag,
  DEPLOY_DEFAULTS,
  DEPLOY_LIMITS,
  type DeploymentInputs,
  type KeyFormat,
  type OfflineSpan,
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
  offline?: boolean;
  offlineDays?: string;
  offlinePeriods?: string;
  periodLength?: string;
  encrypt?: boolean;
  passphraseFile?: string;
  clients?: string;
  restrictBackends?: boolean;
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
  /** `--offline`, also implied by `--offline-days`, `--offline-periods` and `--period-length`. */
  offline: boolean;
  /** The bundles' span (the defaults when no span flag is given). */
  span: OfflineSpan;
  /** `--encrypt`, also implied by `--passphrase-file`. */
  encrypt: boolean;
  /** `--passphrase-file`: where the passphrase is (never the passphrase itself). */
  passphraseFile?: string;
  /** `--clients`: client keys per service (0: a public service). */
  clients: number;
  /** `--restrict-backends`. */
  restrictBackends: boolean;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/**
 * Declares the command's flags (OnionBalance's, then ours) on `command`.
 *
 * @param command The `config` command.
 * @returns The same command, for chaining.
 */
export function addConfigOptions(command: Command): Command {
  const d = DEPLOY_DEFAULTS;
  return command
    .option("--hs-version <version>", "onion service version; only v3 exists", "v3")
    .option(
      "--key <path>",
      "existing frontend key (tor's hs_ed25519_secret_key or PEM); repeat for each service",
      collect,
    )
    .option(
      "-p, --password <password>",
      "refused: a passphrase in argv is visible to others; use --encrypt or --passphrase-file",
    )
    .option(
      "-n <num>",
      `number of backends to generate per service (default: ${d.backends}, or 0 with --instance)`,
    )
    .option("-s <num>", `number of frontend services (default: ${d.services})`)
    .option("-t, --tag <tag>", "name prefix of the backends", d.tag)
    .option("--output <dir>", "folder to write; created if missing", d.output)
    .option("--interactive", "ask questions, even when standard input is not a terminal")
    .option("--no-interactive", "never ask questions")
    .option("-v <level>", "verbosity: debug, info, warning, error, critical", "info")
    .option(
      "--service-virtual-port <port>",
      "HiddenServicePort virtual port of the backends",
      String(d.virtualPort),
    )
    .option(
      "--service-target <target>",
      `HiddenServicePort target of the backends (default: ${d.target})`,
    )
    .option(
      "--instance <address>",
      "adopt an existing backend: [<service>:]<address>; repeatable",
      collect,
    )
    .option("--key-format <format>", "format of new frontend keys: tor or pem", d.keyFormat)
    .option(
      "--backend-dir-prefix <dir>",
      "folder of each backend's HiddenServiceDir on its machine",
      d.backendDirPrefix,
    )
    .option("--force", "replace existing files and keys")
    .option(
      "--offline",
      "keep the identity keys offline: offline/<address>.key for an isolated machine, and an " +
        "offline key bundle <address>.keys for the balancer",
    )
    .option(
      "--offline-days <n>",
      `the bundles cover the time periods of the next N days (default: ${d.offlineDays}; ` +
        "implies --offline)",
    )
    .option("--offline-periods <n>", "or: the bundles cover N time periods (implies --offline)")
    .option(
      "--period-length <minutes>",
      `time-period length, for testing networks (default: ${d.periodLengthMinutes}; ` +
        "implies --offline)",
    )
    .option(
      "--encrypt",
      "encrypt the frontend keys and bundles (PKCS#8 ENCRYPTED PRIVATE KEY); the passphrase is " +
        "asked twice on the terminal",
    )
    .option("--passphrase-file <path>", "read the passphrase from this file (implies --encrypt)")
    .option(
      "--clients <n>",
      "client keys per service (restricted discovery: only their holders can connect); 0 for a " +
        `public service (default: ${d.clients}, at most ${DEPLOY_LIMITS.clients})`,
    )
    .option(
      "--restrict-backends",
      "restrict each generated backend to a balancer key, so that a leaked backend address " +
        "gives nothing to connect to",
    );
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
      "Cannot encrypt the frontend key (-p/--password): a passphrase in the command line is " +
        "visible to other users (ps, shell history), and OnionBalance ignores -p for v3; use " +
        "--encrypt (asks on the terminal) or --passphrase-file FILE, or leave out -p",
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

/** Parses `--offline-days`, `--offline-periods` and `--period-length`. */
function parseSpan(options: ConfigCommandOptions): OfflineSpan {
  if (options.offlineDays !== undefined && options.offlinePeriods !== undefined) {
    throw usage("Cannot use both --offline-days and --offline-periods: give one");
  }
  const lengthMinutes = options.periodLength === undefined
    ? DEPLOY_DEFAULTS.periodLengthMinutes
    : parseCount(options.periodLength, {
      what: "time-period length in minutes (--period-length)",
      max: DEPLOY_LIMITS.periodLengthMinutes,
    });
  if (options.offlinePeriods !== undefined) {
    const periods = parseCount(options.offlinePeriods, {
      what: "number of periods (--offline-periods)",
      max: DEPLOY_LIMITS.offlinePeriods,
    });
    return { periods, lengthMinutes };
  }
  const days = options.offlineDays === undefined
    ? DEPLOY_DEFAULTS.offlineDays
    : parseCount(options.offlineDays, {
      what: "number of days (--offline-days)",
      max: DEPLOY_LIMITS.offlineDays,
    });
  return { days, lengthMinutes };
}

/**
 * Checks every flag.
 *
 * @param options The flags as commander parsed them.
 * @returns The checked flags.
 * @throws {UsageError} For v2, `-p`, a bad `-v`, `--key-format` or
 *   `--instance`, more `--key` than services, both `--offline-days` and
 *   `--offline-periods`, or an empty `--passphrase-file` path.
 * @throws {DeployError} `BadInput` for a bad count (`-n`, `-s`, `--clients`), tag,
 *   port, target, folder, number of days or periods, or period length.
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
    offline: options.offline === true || options.offlineDays !== undefined ||
      options.offlinePeriods !== undefined || options.periodLength !== undefined,
    span: parseSpan(options),
    encrypt: options.encrypt === true || options.passphraseFile !== undefined,
    clients: options.clients === undefined ? DEPLOY_DEFAULTS.clients : parseCount(options.clients, {
      what: "number of client keys (--clients)",
      min: 0,
      max: DEPLOY_LIMITS.clients,
    }),
    restrictBackends: options.restrictBackends === true,
  };
  if (options.passphraseFile !== undefined) {
    if (options.passphraseFile === "") throw usage("Cannot use an empty --passphrase-file path");
    flags.passphraseFile = options.passphraseFile;
  }
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
    ...(flags.clients === 0 ? {} : { clients: flags.clients }),
    ...(flags.restrictBackends ? { restrictBackends: true } : {}),
  };
}
