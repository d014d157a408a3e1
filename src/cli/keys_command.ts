/**
 * `onionbalance keys`: key custody on the command line.
 *
 * - `keys offline`: on the machine that holds a frontend's identity key, makes
 *   an offline key bundle (rend-spec-v3 §1.7) for a span of time periods; the
 *   balancer publishes with the bundle (`offline-keys:` in config.yaml) and
 *   never sees the identity key.
 * - `keys encrypt` / `keys decrypt`: an identity key (PKCS#8 PEM) or a bundle,
 *   to and from PKCS#8 `ENCRYPTED PRIVATE KEY` (PBES2), the form `openssl pkey`
 *   reads and writes.
 *
 * Passphrases come from a file (`--passphrase-file`) or the terminal (asked
 * without echo), never from argv. The released `onionbalance-config` binary
 * runs these commands (`onionbalance-config keys …`): it may write files.
 *
 * @module
 */

import type { Command } from "commander";
import {
  BundleError,
  decodeOfflineBundle,
  describeSpan,
  encodeOfflineBundle,
  looksLikeOfflineBundle,
  makeOfflineBundle,
  MAX_BUNDLE_PERIODS,
  scheduleFor,
  writeOfflineBundle,
} from "../custody/mod.ts";
import { systemRng } from "../crypto/mod.ts";
import {
  decodeIdentityKey,
  encodeEncryptedPkcs8Pem,
  encodePkcs8Pem,
  type HsIdKeypair,
  KeyError,
  loadIdentityKey,
  onionAddressLabel,
  PassphraseError,
  readPassphraseFile,
  readSecretFile,
  SecretFileError,
} from "../keys/mod.ts";
import { ExitCode, UsageError } from "./exit_codes.ts";
import type { CliIo } from "./program.ts";
import { readSecretLine } from "./secret_prompt.ts";

/** Flags of `keys offline`. */
export interface KeysOfflineOptions {
  key: string;
  output: string;
  days?: string;
  periods?: string;
  from?: string;
  periodLength: string;
  encrypt?: boolean;
  passphraseFile?: string;
  keyPassphraseFile?: string;
  force?: boolean;
}

/** Flags of `keys encrypt` / `keys decrypt`. */
export interface KeysCryptOptions {
  output?: string;
  passphraseFile?: string;
  force?: boolean;
}

/** The outside world of the commands (tests inject a clock and a passphrase source). */
export interface KeysDeps {
  /** The current time. */
  now: () => Date;
  /** Asks for a secret on the terminal; undefined without one. */
  askSecret: (question: string) => Promise<Uint8Array | undefined>;
}

const DEFAULT_DEPS: KeysDeps = { now: () => new Date(), askSecret: readSecretLine };

/** Adds `keys` and its subcommands to the program. */
export function registerKeysCommand(program: Command, io: CliIo, deps = DEFAULT_DEPS): void {
  const keys = program.command("keys").description(
    "key custody: offline key bundles, encrypted keys",
  );
  keys.command("offline")
    .description(
      "make an offline key bundle (run where the identity key is): the balancer publishes " +
        "with it for the periods it covers, without the identity key",
    )
    .requiredOption("--key <file>", "the frontend's identity key (PEM or tor's secret key file)")
    .requiredOption("--output <file>", "the bundle to write (0600), for the balancer's machine")
    .option("--days <n>", "cover the time periods overlapping the next N days (default 30)")
    .option("--periods <n>", "or: cover N time periods")
    .option("--from <time>", "start at this ISO 8601 time instead of now (a renewal)")
    .option("--period-length <minutes>", "time-period length (testing networks)", "1440")
    .option("--encrypt", "encrypt the bundle's secrets with a passphrase")
    .option("--passphrase-file <file>", "the bundle's passphrase (implies --encrypt)")
    .option("--key-passphrase-file <file>", "the passphrase of an encrypted identity key")
    .option("--force", "replace an existing output file")
    .action(async (options: KeysOfflineOptions) => {
      io.out(await keysOffline(options, deps));
    });
  keys.command("encrypt")
    .description("encrypt an identity key (PEM) or a bundle: PKCS#8 ENCRYPTED PRIVATE KEY")
    .argument("<file>", "the key or bundle")
    .option("--output <file>", "write here instead of replacing <file>")
    .option("--passphrase-file <file>", "the passphrase (default: asked on the terminal)")
    .option("--force", "replace an existing --output file")
    .action(async (file: string, options: KeysCryptOptions) => {
      io.out(await keysCrypt("encrypt", file, options, deps));
    });
  keys.command("decrypt")
    .description("decrypt an encrypted identity key or bundle")
    .argument("<file>", "the key or bundle")
    .option("--output <file>", "write here instead of replacing <file>")
    .option("--passphrase-file <file>", "the passphrase (default: asked on the terminal)")
    .option("--force", "replace an existing --output file")
    .action(async (file: string, options: KeysCryptOptions) => {
      io.out(await keysCrypt("decrypt", file, options, deps));
    });
}

/**
 * Runs `keys offline`.
 *
 * @returns What to print: the bundle's file, address and span.
 * @throws {UsageError} On a bad flag (exit 2) or a key that cannot be used (exit 1).
 */
export async function keysOffline(options: KeysOfflineOptions, deps: KeysDeps): Promise<string> {
  const lengthMinutes = positiveInteger(options.periodLength, "--period-length");
  if (options.days !== undefined && options.periods !== undefined) {
    throw new UsageError("Cannot use both --days and --periods: give one");
  }
  const periods = options.periods === undefined
    ? undefined
    : positiveInteger(options.periods, "--periods", MAX_BUNDLE_PERIODS);
  const days = periods !== undefined ? undefined : positiveNumber(options.days ?? "30", "--days");
  const now = deps.now();
  const from = options.from === undefined ? now : parseTime(options.from);
  const identity = await readIdentity(options.key, options.keyPassphraseFile, deps);
  const encrypt = options.encrypt === true || options.passphraseFile !== undefined;
  const passphrase = encrypt
    ? await newPassphrase(options.passphraseFile, "bundle", deps)
    : undefined;
  try {
    const bundle = fail(() =>
      makeOfflineBundle(identity, {
        from: Math.floor(from.getTime() / 1000),
        ...(periods === undefined ? { days } : { periods }),
        schedule: scheduleFor(lengthMinutes),
        now: Math.floor(now.getTime() / 1000),
        rng: systemRng,
      })
    );
    await writeFile(
      options.output,
      options.force,
      (overwrite) => writeOfflineBundle(options.output, bundle, { passphrase, overwrite }),
    );
    return `Wrote ${options.output}${encrypt ? " (encrypted)" : ""}: offline keys of ` +
      `${bundle.address}.onion for ${describeSpan(bundle)}.\n` +
      `Copy it to the balancer (offline-keys: in config.yaml) and reload it; make the next ` +
      `one before ${new Date(bundle.endsAt * 1000).toISOString().slice(0, 16)} UTC ` +
      `(--from ${new Date(bundle.endsAt * 1000).toISOString().slice(0, 19)}Z).\n`;
  } finally {
    passphrase?.fill(0);
  }
}

/**
 * Runs `keys encrypt` or `keys decrypt` on a PEM identity key or a bundle.
 *
 * @returns What to print.
 * @throws {UsageError} On a file that is not such a key or bundle, or a wrong passphrase.
 */
export async function keysCrypt(
  direction: "encrypt" | "decrypt",
  file: string,
  options: KeysCryptOptions,
  deps: KeysDeps,
): Promise<string> {
  const bytes = await fail(() => readSecretFile(file));
  const text = new TextDecoder().decode(bytes);
  bytes.fill(0);
  const encrypted = text.includes("-----BEGIN ENCRYPTED PRIVATE KEY-----");
  if (direction === "encrypt" && encrypted) {
    throw new UsageError(`Cannot encrypt "${file}": it is encrypted already`, {
      exitCode: ExitCode.Failure,
    });
  }
  if (direction === "decrypt" && !encrypted) {
    throw new UsageError(`Cannot decrypt "${file}": it is not encrypted`, {
      exitCode: ExitCode.Failure,
    });
  }
  const passphrase = direction === "encrypt"
    ? await newPassphrase(options.passphraseFile, file, deps)
    : await existingPassphrase(options.passphraseFile, file, deps);
  const output = options.output ?? file;
  try {
    let out: string;
    let what: string;
    if (looksLikeOfflineBundle(text)) {
      const bundle = fail(() =>
        decodeOfflineBundle(text, {
          file,
          ...(direction === "decrypt" ? { passphrase } : {}),
        })
      );
      out = encodeOfflineBundle(bundle, direction === "encrypt" ? { passphrase } : {});
      what = `the offline key bundle of ${bundle.address}.onion`;
    } else {
      const loaded = fail(() =>
        decodeIdentityKey(new TextEncoder().encode(text), {
          file,
          ...(direction === "decrypt" ? { passphrase } : {}),
        })
      );
      out = encodeKey(loaded.keypair, file, direction === "encrypt" ? passphrase : undefined);
      what = `the key of ${onionAddressLabel(loaded.keypair.public)}.onion`;
    }
    await writeFile(output, options.output === undefined || options.force, async (overwrite) => {
      const data = new TextEncoder().encode(out);
      try {
        await writeReplacing(output, data, overwrite);
      } finally {
        data.fill(0);
      }
    });
    return `Wrote ${output}: ${what}, ${direction === "encrypt" ? "encrypted" : "decrypted"}.\n`;
  } finally {
    passphrase.fill(0);
  }
}

/** A PEM identity key, encrypted or not. tor's expanded format has no seed for PKCS#8. */
function encodeKey(keypair: HsIdKeypair, file: string, passphrase?: Uint8Array): string {
  if (!keypair.hasSeed) {
    throw new UsageError(
      `Cannot encrypt "${file}": it is tor's expanded key format, which holds no seed; PKCS#8 ` +
        `needs one (keep it in a HiddenServiceDir, or generate a PEM key)`,
      { exitCode: ExitCode.Failure },
    );
  }
  return passphrase === undefined
    ? encodePkcs8Pem(keypair)
    : encodeEncryptedPkcs8Pem(keypair, passphrase);
}

/** The identity key, asking for its passphrase only when it is encrypted. */
async function readIdentity(
  path: string,
  passphraseFile: string | undefined,
  deps: KeysDeps,
): Promise<HsIdKeypair> {
  try {
    return (await loadIdentityKey(path)).keypair;
  } catch (error) {
    if (!(error instanceof KeyError && error.kind === "PassphraseRequired")) {
      return fail(() => {
        throw error;
      });
    }
  }
  const passphrase = await existingPassphrase(passphraseFile, path, deps);
  try {
    return await fail(async () => (await loadIdentityKey(path, { passphrase })).keypair);
  } finally {
    passphrase.fill(0);
  }
}

/** The passphrase of an existing encrypted file: from `file`, else asked once. */
async function existingPassphrase(
  file: string | undefined,
  what: string,
  deps: KeysDeps,
): Promise<Uint8Array> {
  if (file !== undefined) return await fail(() => readPassphraseFile(file));
  const typed = await deps.askSecret(`Passphrase of ${what}: `);
  if (typed === undefined || typed.length === 0) throw noPassphrase(what);
  return typed;
}

/** A new passphrase: from `file`, else asked twice on the terminal. */
async function newPassphrase(
  file: string | undefined,
  what: string,
  deps: KeysDeps,
): Promise<Uint8Array> {
  if (file !== undefined) return await fail(() => readPassphraseFile(file));
  const first = await deps.askSecret(`New passphrase for ${what}: `);
  if (first === undefined || first.length === 0) throw noPassphrase(what);
  const again = await deps.askSecret("The same passphrase again: ");
  const same = again !== undefined && again.length === first.length &&
    again.every((b, i) => b === first[i]);
  again?.fill(0);
  if (!same) {
    first.fill(0);
    throw new UsageError("Cannot use the passphrase: the two entries differ");
  }
  return first;
}

function noPassphrase(what: string): UsageError {
  return new UsageError(
    `Cannot get a passphrase for ${what}: give --passphrase-file FILE, or run on a terminal`,
  );
}

/** Writes through `write`, refusing to replace a file unless `overwrite`. */
async function writeFile(
  path: string,
  overwrite: boolean | undefined,
  write: (overwrite: boolean) => Promise<void>,
): Promise<void> {
  try {
    await write(overwrite === true);
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) {
      throw new UsageError(`Cannot write "${path}": it exists (use --force to replace it)`, {
        exitCode: ExitCode.Failure,
      });
    }
    throw error;
  }
}

/** Writes `data` with mode 0600; a replaced file is swapped in whole (a temporary file, renamed). */
async function writeReplacing(path: string, data: Uint8Array, overwrite: boolean): Promise<void> {
  if (!overwrite) {
    await Deno.writeFile(path, data, { mode: 0o600, createNew: true });
    return;
  }
  const temporary = `${path}.tmp-${crypto.randomUUID().slice(0, 8)}`;
  try {
    await Deno.writeFile(temporary, data, { mode: 0o600, createNew: true });
    await Deno.rename(temporary, path);
  } catch (error) {
    await Deno.remove(temporary).catch(() => {});
    throw error;
  }
}

/** Runs `f`, turning a key, bundle or passphrase error into a one-line failure (exit 1). */
function fail<T>(f: () => T): T {
  const wrap = (error: unknown): never => {
    if (
      error instanceof KeyError || error instanceof BundleError ||
      error instanceof PassphraseError || error instanceof SecretFileError
    ) {
      throw new UsageError(error.message, { exitCode: ExitCode.Failure, cause: error });
    }
    throw error;
  };
  try {
    const value = f();
    return (value instanceof Promise ? value.catch(wrap) : value) as T;
  } catch (error) {
    return wrap(error);
  }
}

function positiveInteger(text: string, flag: string, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < 1 || n > max) {
    throw new UsageError(`Cannot use ${flag} "${text}": expected an integer from 1 to ${max}`);
  }
  return n;
}

function positiveNumber(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) {
    throw new UsageError(`Cannot use ${flag} "${text}": expected a positive number`);
  }
  return n;
}

function parseTime(text: string): Date {
  const at = new Date(text);
  if (Number.isNaN(at.getTime())) {
    throw new UsageError(`Cannot use --from "${text}": not an ISO 8601 time`);
  }
  return at;
}
