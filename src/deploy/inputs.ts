/**
 * What the deployment generator is asked to build, and the checks on each
 * value an operator types (flags of `onionbalance config` or its interactive
 * answers).
 *
 * Spec: tor manual, `HiddenServicePort VIRTPORT [TARGET]` (TARGET is a port,
 * `addr:port` or `unix:path`) and `HiddenServiceDir` (tor warns about a
 * relative path and resolves it against its own working folder, so backends
 * get an absolute one); OnionBalance `config_generator.py` for the defaults.
 *
 * Role: pure checks, no I/O. Every value that ends up in a torrc is checked
 * here, so no input can add a line to a generated torrc.
 *
 * @module
 */

import { MAX_BUNDLE_PERIODS } from "../custody/mod.ts";
import type { HsIdKey, LoadedIdentityKey } from "../keys/mod.ts";
import { DeployError } from "./errors.ts";

/** How a frontend key file is written: tor's `hs_ed25519_secret_key` or PKCS#8 PEM. */
export type KeyFormat = "tor" | "pem";

/** One frontend service to generate. */
export interface ServiceInputs {
  /** An existing frontend key (`--key`); a new one is generated when absent. */
  key?: LoadedIdentityKey;
  /** How many new backends to generate for this service (each gets a folder). */
  backends: number;
  /** Name prefix of the backends (`node` gives `node1`, `node2`, …). */
  tag: string;
  /** Existing backends adopted by address (`--instance`); they get no folder. */
  instances?: readonly HsIdKey[];
}

/**
 * An offline deployment (rend-spec-v3 §1.7): each frontend's identity key goes
 * to the folder for the isolated machine, and the balancer gets a bundle
 * covering a span of time periods. Exactly one of `days` and `periods`.
 */
export interface OfflineInputs {
  /** The span: the periods overlapping `[from, from + days × 86400)`. */
  days?: number;
  /** Or: this many periods from the one containing `from`. */
  periods?: number;
  /** Start of the span (Unix seconds); the bundle starts with the period containing it. */
  from: number;
  /** When the bundles are made (Unix seconds), written in them. */
  now: number;
  /** The network's time-period length in minutes (1440 on the real network). */
  lengthMinutes: number;
}

/** The span of offline key bundles as asked: days or periods, of periods of `lengthMinutes`. */
export interface OfflineSpan {
  /** A number of days (default 30) unless `periods` is given. */
  days?: number;
  /** A number of periods. */
  periods?: number;
  /** The time-period length in minutes (1440 on the real network). */
  lengthMinutes: number;
}

/** Everything the generator needs, apart from randomness. */
export interface DeploymentInputs {
  /** The frontend services, in order (at least one). */
  services: readonly ServiceInputs[];
  /** Format of newly generated frontend keys. Default `"tor"`. Imported keys keep theirs. */
  keyFormat?: KeyFormat;
  /** `HiddenServicePort` virtual port of the backends. Default 80. */
  virtualPort?: number;
  /** `HiddenServicePort` target of the backends. Default `127.0.0.1:80`. */
  target?: string;
  /** Folder on the backend machines that holds each backend's `HiddenServiceDir`. Default `/var/lib/tor`. */
  backendDirPrefix?: string;
  /** Keep the identity keys offline and give the balancer bundles instead. Default: not. */
  offline?: OfflineInputs;
  /**
   * Encrypt the frontend keys (`ENCRYPTED PRIVATE KEY`, so always PEM) and the
   * bundles with this passphrase (not modified; the caller zeroes it). Backend
   * keys stay in tor's format: tor cannot read an encrypted key.
   */
  passphrase?: Uint8Array;
  /**
   * Client authorization (rend-spec-v3 [CLIENT-AUTH]): this many x25519 client
   * keys per service, so only their holders can read its descriptors. Default 0 (public).
   */
  clients?: number;
  /** Restrict each generated backend to a balancer key of its service. Default false. */
  restrictBackends?: boolean;
}

/** Defaults of {@link DeploymentInputs} and of the command's flags (OnionBalance's where it has them). */
export const DEPLOY_DEFAULTS = {
  services: 1,
  backends: 2,
  tag: "node",
  output: "config/",
  keyFormat: "tor",
  virtualPort: 80,
  target: "127.0.0.1:80",
  backendDirPrefix: "/var/lib/tor",
  offlineDays: 30,
  periodLengthMinutes: 1440,
  clients: 0,
} as const;

/**
 * Sanity limits that catch typos such as `-n 200`. A time period lasts at most
 * 10 days (tor `hs_common.h`: `HS_TIME_PERIOD_LENGTH_MAX`); a bundle covers at
 * most {@link MAX_BUNDLE_PERIODS} periods, so at most that many days. The
 * clients' cap only catches typos: the daemon checks, when it loads them,
 * that the descriptor still fits tor's size limit.
 */
export const DEPLOY_LIMITS = {
  services: 20,
  backends: 100,
  offlineDays: MAX_BUNDLE_PERIODS,
  offlinePeriods: MAX_BUNDLE_PERIODS,
  periodLengthMinutes: 14400,
  clients: 500,
} as const;

function bad(message: string): DeployError {
  return new DeployError("BadInput", message);
}

/** Options of {@link parseCount}. */
export interface ParseCountOptions {
  /** What it counts, for the message (e.g. `"number of services"`). */
  what: string;
  /** The smallest allowed value. Default 1. */
  min?: number;
  /** The largest allowed value. */
  max: number;
}

/**
 * Checks a whole number typed by the operator.
 *
 * @param text The typed value.
 * @param options What it counts and the allowed range.
 * @returns The number.
 * @throws {DeployError} `BadInput` when it is not a whole number in range.
 */
export function parseCount(text: string, options: ParseCountOptions): number {
  const min = options.min ?? 1;
  const value = /^\s*\d{1,6}\s*$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(value) || value < min || value > options.max) {
    throw bad(
      `Cannot use ${options.what} "${text}": expected a whole number from ${min} to ${options.max}`,
    );
  }
  return value;
}

/**
 * Checks a `HiddenServicePort` virtual port.
 *
 * @throws {DeployError} `BadInput` unless a whole number from 1 to 65535.
 */
export function parseVirtualPort(text: string): number {
  return parseCount(text, { what: "service virtual port", max: 65535 });
}

function portOk(port: string): boolean {
  const n = Number(port);
  return /^\d{1,5}$/.test(port) && n >= 1 && n <= 65535;
}

/**
 * Checks a `HiddenServicePort` target: `port`, `addr:port`, `[ipv6]:port` or
 * `unix:/absolute/path`, without spaces.
 *
 * @returns The target, trimmed.
 * @throws {DeployError} `BadInput` otherwise.
 */
export function checkServiceTarget(text: string): string {
  const target = text.trim();
  const fail = () =>
    bad(
      `Cannot use service target "${text}": expected "port", "address:port", "[ipv6]:port" or "unix:/path"`,
    );
  if (/[\s"\\]/.test(target) || target === "") throw fail();
  if (target.startsWith("unix:")) {
    if (!target.slice(5).startsWith("/")) throw fail();
    return target;
  }
  const match = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d+)$/.exec(target);
  if (portOk(target) || (match !== null && portOk(match[1]!))) return target;
  throw fail();
}

/**
 * Checks a backend name prefix: a letter or digit, then letters, digits, `_`
 * or `-` (at most 40 characters). It names folders and never holds a dot, so
 * a backend folder cannot collide with `config.yaml` or a key file.
 *
 * @throws {DeployError} `BadInput` otherwise.
 */
export function checkTag(text: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$/.test(text)) {
    throw bad(
      `Cannot use tag "${text}": use letters, digits, "_" or "-" (at most 40, starting with a letter or digit)`,
    );
  }
  return text;
}

/**
 * Checks the folder on the backend machines under which each backend's
 * `HiddenServiceDir` lives. It must be absolute: tor resolves a relative
 * `HiddenServiceDir` against its own working folder.
 *
 * @returns The path without a trailing slash.
 * @throws {DeployError} `BadInput` when relative or holding spaces or control characters.
 */
export function checkBackendDirPrefix(text: string): string {
  // deno-lint-ignore no-control-regex -- control characters are what is refused
  if (!text.startsWith("/") || /[\s\x00-\x1f"\\]/.test(text)) {
    throw bad(
      `Cannot use backend folder "${text}": expected an absolute path without spaces, e.g. "/var/lib/tor"`,
    );
  }
  return text.length > 1 ? text.replace(/\/+$/, "") || "/" : text;
}

/**
 * The generator's offline inputs: the bundles cover `span` from `now`.
 *
 * @param span The checked span (`--offline-days` or `--offline-periods`, `--period-length`).
 * @param now The current time (Unix seconds): the span's start and the bundles' date.
 * @returns The inputs for `DeploymentInputs.offline`.
 */
export function offlineInputs(span: OfflineSpan, now: number): OfflineInputs {
  return {
    ...(span.periods === undefined ? { days: span.days ?? DEPLOY_DEFAULTS.offlineDays } : {
      periods: span.periods,
    }),
    from: now,
    now,
    lengthMinutes: span.lengthMinutes,
  };
}

/**
 * Refuses to encrypt a key imported in tor's format, before any passphrase is
 * asked: only a key with a seed can be written as PKCS#8 (the plan refuses it
 * too, but only once the passphrase is known).
 *
 * @param services The services, with their imported keys.
 * @throws {DeployError} `BadInput` when one of the imported keys is in tor's format.
 */
export function checkEncryptable(services: readonly ServiceInputs[]): void {
  for (const [i, service] of services.entries()) {
    if (service.key !== undefined && !service.key.keypair.hasSeed) {
      throw bad(
        `Cannot encrypt the key of service ${i + 1}: it is in tor's format, which holds no ` +
          "seed, and only a PEM key can be encrypted",
      );
    }
  }
}
