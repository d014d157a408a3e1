/**
 * `onionbalance descriptor decode`: print what a v3 descriptor really says —
 * lifetime, revision counter, signing-key cert expiry, flow-control,
 * pow-params, and each introduction point's relay and keys — after checking
 * and decrypting it like a tor client.
 *
 * Spec: rend-spec-v3 §2.4–§2.5 (see `src/netdoc/hsdesc/mod.ts`); tor
 * `hs_client.c: parse_auth_file_content` (the `--client-key` file).
 *
 * Role: operators use it to see what a backend or the frontend published
 * (e.g. a descriptor saved from `HS_DESC_CONTENT`). It writes through the
 * `io` writers only; errors are thrown as {@link UsageError} for `main.ts`.
 * Descriptors and intro-point data are not secret; the client key is never
 * printed.
 *
 * @module
 */

import type { Command } from "commander";
import { blindPublicKey, type HsIdKey, KeyError, parseOnionAddress } from "../keys/mod.ts";
import {
  decodeHsDesc,
  type HsClientDescEncKeypair,
  type HsDesc,
  HsDescError,
  parseClientAuthKeyFile,
  parseHsDescOuter,
} from "../netdoc/mod.ts";
import { DEFAULT_PERIOD_LENGTH_MINUTES, TimePeriod } from "../time/mod.ts";
import { formatDescriptorSummary, summarizeDescriptor } from "./descriptor_summary.ts";
import { ExitCode, UsageError } from "./exit_codes.ts";
import type { CliIo } from "./program.ts";

/** Options of {@link descriptorDecode} (the command's flags). */
export interface DescriptorDecodeOptions {
  /** The service's onion address (with or without `.onion`). */
  address: string;
  /** A tor client `.auth_private` file, for descriptors with client authorization. */
  clientKey?: string;
  /** Print JSON instead of text. */
  json?: boolean;
  /** Check and pick the time period as of this time (ISO 8601); default now. */
  at?: string;
  /** The time-period length in minutes (testing networks); default 1440. */
  periodLength?: string;
}

/** Where the command reads files and the time (injected in tests). */
export interface DescriptorDecodeDeps {
  /** Reads a file, or standard input for `-`. */
  readTextFile: (path: string) => Promise<string>;
  /** The current time. */
  now: () => Date;
}

const defaultDeps: DescriptorDecodeDeps = {
  readTextFile: (path) =>
    path === "-" ? new Response(Deno.stdin.readable).text() : Deno.readTextFile(path),
  now: () => new Date(),
};

/**
 * Adds `descriptor decode` to the program.
 *
 * @param program The root command.
 * @param io Where output goes.
 * @param deps File reading and the clock.
 */
export function registerDescriptorCommand(
  program: Command,
  io: CliIo,
  deps: DescriptorDecodeDeps = defaultDeps,
): void {
  const descriptor = program.command("descriptor").description(
    "work with v3 onion-service descriptors",
  );
  descriptor.command("decode")
    .description("check, decrypt and print a v3 descriptor (a file, or - for standard input)")
    .argument("<file>", "the descriptor, as tor hands it out (HS_DESC_CONTENT)")
    .requiredOption("--address <onion>", "the onion address the descriptor belongs to")
    .option("--client-key <file>", "tor client key file (<address>:descriptor:x25519:<key>)")
    .option("--json", "print JSON")
    .option("--at <time>", "check as of this ISO 8601 time instead of now")
    .option("--period-length <minutes>", "time-period length (testing networks)", "1440")
    .action(async (file: string, options: DescriptorDecodeOptions) => {
      io.out(await descriptorDecode(file, options, deps));
    });
}

/**
 * Runs the command: reads, decodes and formats a descriptor.
 *
 * @param file The descriptor file, or `-` for standard input.
 * @param options The flags.
 * @param deps File reading and the clock.
 * @returns The text to print (ends with a newline).
 * @throws {UsageError} On a bad flag (exit 2) or an unreadable or unusable descriptor (exit 1).
 */
export async function descriptorDecode(
  file: string,
  options: DescriptorDecodeOptions,
  deps: DescriptorDecodeDeps = defaultDeps,
): Promise<string> {
  const identity = parseAddress(options.address);
  const now = options.at === undefined ? deps.now() : parseTime(options.at);
  const length = Number(options.periodLength ?? DEFAULT_PERIOD_LENGTH_MINUTES);
  if (!Number.isSafeInteger(length) || length <= 0) {
    throw new UsageError(
      `Cannot use --period-length "${options.periodLength}": not a positive integer`,
    );
  }
  const clientKey = options.clientKey === undefined
    ? undefined
    : await readClientKey(options.clientKey, identity, deps);
  const text = await read(file, deps);
  const periods = candidatePeriods(now, length);
  let desc: HsDesc;
  try {
    desc = await decodeHsDesc(text, { identity, periods, now, clientKey });
  } catch (error) {
    if (!(error instanceof HsDescError)) throw error;
    const cause = error.cause instanceof Error && !error.message.includes(error.cause.message)
      ? `: ${error.cause.message}`
      : "";
    const when = error.kind === "WrongBlindedKey" || error.kind === "BadCert"
      ? madeAt(text, identity, length, now)
      : "";
    throw new UsageError(`${error.message}${cause}${when}`, {
      exitCode: ExitCode.Failure,
      cause: error,
    });
  }
  const summary = summarizeDescriptor(desc, options.address);
  return options.json ? `${JSON.stringify(summary, null, 2)}\n` : formatDescriptorSummary(summary);
}

/** `HS_DESC_CERT_LIFETIME`: tor's signing-key cert expires 54 h after the descriptor is built. */
const CERT_LIFETIME_SECONDS = 54 * 3600;

/**
 * When a descriptor that failed to check as of `now` was made, read from its
 * (unverified) signing-key cert, which tor and this tool issue for 54 hours
 * from the time they build the descriptor (rounded up to the hour); and, when
 * the cert's blinded key belongs to `identity` in a period around that time,
 * the `--at` that decodes it. Empty when the descriptor says nothing usable.
 */
function madeAt(text: string, identity: HsIdKey, lengthMinutes: number, now: Date): string {
  let expiry: number;
  let claimed;
  try {
    const outer = parseHsDescOuter(text);
    expiry = outer.signingKeyCert.expirationHours * 3600;
    claimed = outer.claimedBlindedKey;
  } catch {
    return "";
  }
  const made = new Date((expiry - CERT_LIFETIME_SECONDS) * 1000);
  const stamp = isoSeconds(made);
  let periods: TimePeriod[];
  try {
    periods = candidatePeriods(made, lengthMinutes);
  } catch {
    return "";
  }
  const period = periods.find((p) => blindPublicKey(identity, p).equals(claimed));
  const age = made.getTime() <= now.getTime() ? "it was made" : "it was made later,";
  if (period === undefined) {
    return `; ${age} about ${stamp} (its signing-key cert expires ${
      new Date(expiry * 1000).toISOString()
    }), and it is not for this address in the time periods around then either`;
  }
  return `; ${age} about ${stamp} (its signing-key cert expires ${
    isoSeconds(new Date(expiry * 1000))
  }), in ${period}: decode it with --at ${stamp}`;
}

/** `2030-01-01T13:00:00Z`: ISO 8601 without milliseconds. */
function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * The period containing `now`, then its neighbours (a descriptor made just
 * before or after a rotation). The rotation offset is half a period (12 h of
 * 24 h on the real network; 12 of 24 voting intervals on a testing network).
 */
function candidatePeriods(now: Date, lengthMinutes: number): TimePeriod[] {
  let current: TimePeriod;
  try {
    current = TimePeriod.containing(Math.floor(now.getTime() / 1000), {
      lengthMinutes,
      rotationOffsetSeconds: lengthMinutes * 30,
    });
  } catch (cause) {
    if (!(cause instanceof RangeError)) throw cause;
    throw new UsageError(`Cannot decode as of ${now.toISOString()}: ${cause.message}`, { cause });
  }
  const periods = [current, current.next()];
  if (current.number > 0) periods.push(current.previous());
  return periods;
}

function parseAddress(address: string): HsIdKey {
  try {
    return parseOnionAddress(address);
  } catch (cause) {
    if (!(cause instanceof KeyError)) throw cause;
    throw new UsageError(`Cannot use --address: ${cause.message}`, { cause });
  }
}

function parseTime(text: string): Date {
  const date = new Date(text);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || Number.isNaN(date.getTime())) {
    throw new UsageError(
      `Cannot use --at "${text}": expected an ISO 8601 time such as 2030-01-01T13:00:00Z`,
    );
  }
  return date;
}

async function read(path: string, deps: DescriptorDecodeDeps): Promise<string> {
  try {
    return await deps.readTextFile(path);
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new UsageError(`Cannot read "${path}": ${why}`, { exitCode: ExitCode.Failure, cause });
  }
}

async function readClientKey(
  path: string,
  identity: HsIdKey,
  deps: DescriptorDecodeDeps,
): Promise<HsClientDescEncKeypair> {
  const text = await read(path, deps);
  try {
    const file = parseClientAuthKeyFile(text);
    if (!file.service.equals(identity)) {
      throw new UsageError(`Cannot use client key "${path}": it is for another onion address`, {
        exitCode: ExitCode.Failure,
      });
    }
    return file.key;
  } catch (cause) {
    if (!(cause instanceof KeyError)) throw cause;
    throw new UsageError(`Cannot use client key "${path}": ${cause.message}`, {
      exitCode: ExitCode.Failure,
      cause,
    });
  }
}
