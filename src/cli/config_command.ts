/**
 * `onionbalance config` (also run as `onionbalance-config`): generate a whole
 * deployment — frontend key(s), `config.yaml` with the real backend
 * addresses, the frontend torrc, and per backend its key files, `hostname`,
 * `ob_config` and torrc — interactively or from flags.
 *
 * Spec: OnionBalance 0.2.2 `onionbalance/config_generator/config_generator.py`:
 * its flags (`--hs-version`,
 * `--key`, `-p`, `-n`, `-s`, `-t/--tag`, `--output`, `--no-interactive`,
 * `-v`, `--service-virtual-port`, `--service-target`) and its mode selection
 * (interactive when no option other than `-v` is given).
 *
 * Role: turns flags (`config_flags.ts`) or answers (`config_questions.ts`)
 * into `src/deploy` inputs, plans, writes, and prints a summary through the
 * `io` writers. Errors reach `main.ts` as
 * {@link UsageError}: exit 2 for a bad flag or answer, 1 when a key cannot be
 * read or a file exists, 130 (`InterruptedError`) when Ctrl-C or the end
 * of the input stops the questions. Differences from OnionBalance 0.2.x:
 * - Backends are generated (keys, `hostname`, `ob_config`, torrc), or adopted
 *   by address with `--instance [<service>:]<address>` (repeatable; without a
 *   prefix, for every service). With adopted backends `-n` defaults to 0.
 * - `--key` is repeatable, one per service in order (OnionBalance gives every
 *   service the one key); it reads tor's format or PEM and keeps the format.
 * - New frontend keys are written in tor's format unless `--key-format pem`.
 * - `-p/--password` is refused: OnionBalance ignores it silently for v3, and a
 *   passphrase in argv is visible to other users. `--encrypt` asks for one on
 *   the terminal (twice, not echoed) and `--passphrase-file` reads it from a
 *   file; frontend keys are then PKCS#8 `ENCRYPTED PRIVATE KEY` (PEM) and
 *   bundles are encrypted too. Backend keys never are: tor cannot read them.
 *   Encrypted files draw their salt and IV from the system's randomness, so
 *   they are not reproducible from an rng seed.
 * - `--offline` (rend-spec-v3 §1.7) writes each identity key under
 *   `offline/`, for an isolated machine, and gives the balancer an offline
 *   key bundle (`<address>.keys`, `offline-keys:` in config.yaml) covering
 *   `--offline-days` (default 30) or `--offline-periods`, renewed with
 *   `onionbalance keys offline`. Without these flags, the output is
 *   OnionBalance's.
 * - `--clients N` (rend-spec-v3 [CLIENT-AUTH], "restricted discovery") gives
 *   each service N client keys: `<address>.authorized_clients/` for the
 *   balancer, `clients/<client>/<address>.auth_private` for each person.
 *   `--restrict-backends` restricts each generated backend to a balancer key
 *   (`authorized_clients/balancer.auth` there, `backend-keys/` here); adopted
 *   backends stay public. Without these flags, the output is OnionBalance's.
 * - Existing files are never replaced without `--force` (OnionBalance only
 *   refuses an existing `config.yaml`).
 * - `--interactive` asks even when standard input is not a terminal, reading
 *   one answer per line (for scripts and tests); an empty line takes the
 *   default.
 * - Ctrl-C or the end of the input at any question aborts with exit code 130
 *   and writes nothing.
 *
 * @module
 */

import type { Command } from "commander";
import { bytesEqual } from "../bytes/mod.ts";
import { type Rng, systemRng } from "../crypto/mod.ts";
import {
  checkEncryptable,
  DeployError,
  type DeploymentInputs,
  type DeploymentPlan,
  deploymentSummary,
  LAYOUT,
  offlineInputs,
  planDeployment,
  wipePlan,
  writeDeployment,
} from "../deploy/mod.ts";
import {
  KeyError,
  type LoadedIdentityKey,
  loadIdentityKey,
  PassphraseError,
  readPassphraseFile,
} from "../keys/mod.ts";
import { VERSION } from "../version.ts";
import {
  addConfigOptions,
  type ConfigCommandOptions,
  type ConfigFlags,
  inputsFromFlags,
  parseConfigFlags,
  VERBOSITY_LEVELS,
  type VerbosityLevel,
} from "./config_flags.ts";
import { type Answers, askQuestions } from "./config_questions.ts";
import { ExitCode, InterruptedError, UsageError } from "./exit_codes.ts";
import type { CliIo } from "./program.ts";
import { denoPrompter, type LinePrompter, linePrompter, type Prompter } from "./prompter.ts";
import { readSecretLine } from "./secret_prompt.ts";

export type { ConfigCommandOptions } from "./config_flags.ts";

/** What the command uses from the outside world (injected in tests). */
export interface ConfigCommandDeps {
  /** Randomness for new keys. */
  rng: Rng;
  /** Whether standard input is a terminal. */
  stdinIsTerminal: () => boolean;
  /** The prompter on a terminal (Deno's `prompt()`). */
  terminalPrompter: () => Prompter;
  /** The prompter when standard input is a pipe (one answer per line). */
  pipePrompter: (io: CliIo) => LinePrompter;
  /** Loads a frontend key file in either format. */
  loadKey: (path: string) => Promise<LoadedIdentityKey>;
  /** The working folder, to show the default output folder as an absolute path. */
  cwd: () => string;
  /** The current time in milliseconds (the start of offline key bundles). */
  now: () => number;
  /** Asks for a secret on the terminal without echo; undefined without one or on Ctrl-C. */
  readSecret: (question: string) => Promise<Uint8Array | undefined>;
  /** Reads `--passphrase-file`. */
  readPassphraseFile: (path: string) => Promise<Uint8Array>;
}

/** The real outside world. */
export const DEFAULT_CONFIG_DEPS: ConfigCommandDeps = {
  rng: systemRng,
  stdinIsTerminal: () => Deno.stdin.isTerminal(),
  terminalPrompter: () => denoPrompter(),
  pipePrompter: (io) => linePrompter(Deno.stdin.readable, io.out),
  loadKey: loadIdentityKey,
  cwd: () => Deno.cwd(),
  now: () => Date.now(),
  readSecret: readSecretLine,
  readPassphraseFile,
};

/**
 * The arguments to run for the executable: a binary named
 * `onionbalance-config…` (OnionBalance's generator) runs the `config` command,
 * or `keys` when that is its first argument.
 *
 * @param execPath The executable's path (`Deno.execPath()`).
 * @param args The arguments after it.
 * @returns The arguments for `runCli`.
 */
export function argsForExecutable(execPath: string, args: readonly string[]): string[] {
  const base = execPath.split(/[\\/]/).pop() ?? "";
  if (!base.startsWith("onionbalance-config")) return [...args];
  // `onionbalance-config keys …`: the key-custody commands write files, as this binary may.
  return args[0] === "keys" ? [...args] : ["config", ...args];
}

/**
 * Adds `config` to the program.
 *
 * @param program The root command.
 * @param io Where output goes.
 * @param deps The outside world (default: the real one).
 */
export function registerConfigCommand(
  program: Command,
  io: CliIo,
  deps: ConfigCommandDeps = DEFAULT_CONFIG_DEPS,
): void {
  const command = program.command("config")
    .description(
      "generate a deployment: frontend keys, config.yaml, the frontend torrc, and per backend its " +
        "keys, ob_config and torrc. With no option (or only -v) on a terminal, asks questions.",
    )
    .version(`onionbalance ${VERSION}`, "--version", "print the version and exit");
  addConfigOptions(command)
    .action(async (options: ConfigCommandOptions, command: Command) => {
      const given = command.options
        .map((o) => o.attributeName())
        .filter((name) => command.getOptionValueSource(name) === "cli");
      await runConfig(options, { given: new Set(given), io, deps });
    });
}

/** Maps the generator's and the key loader's errors to usage errors. */
function mapError(error: unknown): unknown {
  if (error instanceof DeployError) {
    const exitCode = error.kind === "BadInput" ? ExitCode.Usage : ExitCode.Failure;
    return new UsageError(error.message, { exitCode, cause: error });
  }
  if (error instanceof KeyError || error instanceof PassphraseError) {
    return new UsageError(error.message, { exitCode: ExitCode.Failure, cause: error });
  }
  return error;
}

async function refuseExistingConfig(path: string, force: boolean): Promise<void> {
  if (force) return;
  const file = `${path.replace(/\/+$/, "")}/${LAYOUT.config}`;
  const exists = await Deno.lstat(file).then(() => true, () => false);
  if (exists) {
    throw new UsageError(
      `Cannot use "${path}": it already holds a ${LAYOUT.config}; choose another folder or use --force`,
      { exitCode: ExitCode.Failure },
    );
  }
}

function absolute(path: string, deps: ConfigCommandDeps): string {
  if (path.startsWith("/")) return path;
  try {
    return `${deps.cwd().replace(/\/+$/, "")}/${path}`;
  } catch {
    return path;
  }
}

/** Options of {@link runConfig}. */
export interface RunConfigOptions {
  /** The flags given on the command line (their attribute names), for the mode selection. */
  given: ReadonlySet<string>;
  /** Where the summary and messages go. */
  io: CliIo;
  /** The outside world. Default {@link DEFAULT_CONFIG_DEPS}. */
  deps?: ConfigCommandDeps;
}

/**
 * Runs the command: asks or reads the flags, plans, writes, prints a summary.
 * It asks questions with `--interactive`, or when no option other than `-v`
 * was given and standard input is a terminal (OnionBalance's rule).
 *
 * @param options The parsed flags.
 * @param run Which flags were given, the writers and the outside world.
 * @throws {UsageError} On a bad flag or answer (exit 2), an unreadable key or
 *   an existing file (exit 1); an `InterruptedError` (exit 130, nothing
 *   written) on Ctrl-C or the end of the input at a question.
 */
export async function runConfig(
  options: ConfigCommandOptions,
  run: RunConfigOptions,
): Promise<void> {
  try {
    await generate(options, run.given, run.io, run.deps ?? DEFAULT_CONFIG_DEPS);
  } catch (error) {
    throw mapError(error);
  }
}

async function generate(
  options: ConfigCommandOptions,
  given: ReadonlySet<string>,
  io: CliIo,
  deps: ConfigCommandDeps,
): Promise<void> {
  const flags = parseConfigFlags(options);
  const log = (at: VerbosityLevel, text: string) => {
    if (VERBOSITY_LEVELS.indexOf(at) >= VERBOSITY_LEVELS.indexOf(flags.level)) {
      io.err(`[${at.toUpperCase()}]: ${text}\n`);
    }
  };
  const onlyVerbosity = [...given].every((name) => name === "v");
  const interactive = options.interactive ?? (onlyVerbosity && deps.stdinIsTerminal());
  log("info", interactive ? "Entering interactive mode." : "Entering non-interactive mode.");
  const answers: Answers = interactive
    ? await ask(flags, absolute(options.output, deps), io, deps)
    : {
      output: options.output,
      inputs: await inputsFromFlags(flags, deps.loadKey),
      offline: flags.offline,
      encrypt: flags.encrypt,
    };
  const { output } = answers;
  const plan = await planWithCustody(answers, flags, deps);
  try {
    const report = await writeDeployment(output, plan, { force: flags.force });
    if (report.looseOutputMode !== undefined) {
      const mode = report.looseOutputMode.toString(8);
      log("warning", `The folder "${output}" is open to others (mode 0${mode}); its keys are 0600`);
    }
    for (const path of report.replaced) log("warning", `Replaced "${path}" (--force)`);
    io.out(deploymentSummary(output, plan, report));
  } finally {
    wipePlan(plan);
  }
}

/**
 * Plans the deployment, adding the key custody inputs: the offline span from
 * the flags, and the passphrase (zeroed once the plan has encrypted with it).
 */
async function planWithCustody(
  answers: Answers,
  flags: ConfigFlags,
  deps: ConfigCommandDeps,
): Promise<DeploymentPlan> {
  const inputs: DeploymentInputs = { ...answers.inputs };
  if (answers.offline) inputs.offline = offlineInputs(flags.span, Math.floor(deps.now() / 1000));
  if (!answers.encrypt) return planDeployment(inputs, { rng: deps.rng });
  checkEncryptable(inputs.services);
  const passphrase = await newPassphrase(flags.passphraseFile, deps);
  try {
    return planDeployment({ ...inputs, passphrase }, { rng: deps.rng });
  } finally {
    passphrase.fill(0);
  }
}

/**
 * The passphrase for new encrypted files: `--passphrase-file`, or typed twice
 * on the terminal (never from a pipe, never from argv).
 *
 * @throws {UsageError} Without a file or a terminal, or when the two entries differ or are empty.
 * @throws {InterruptedError} On Ctrl-C or Ctrl-D at the prompt.
 */
async function newPassphrase(file: string | undefined, deps: ConfigCommandDeps) {
  if (file !== undefined) return await deps.readPassphraseFile(file);
  if (!deps.stdinIsTerminal()) {
    throw new UsageError(
      "Cannot get a passphrase for the frontend keys: standard input is not a terminal; " +
        "give --passphrase-file FILE (a file only you can read)",
    );
  }
  const first = await deps.readSecret("New passphrase for the frontend keys: ");
  if (first === undefined) throw new InterruptedError();
  let again: Uint8Array | undefined;
  try {
    if (first.length === 0) throw new UsageError("Cannot use an empty passphrase");
    again = await deps.readSecret("The same passphrase again: ");
    if (again === undefined) throw new InterruptedError();
    if (!bytesEqual(first, again)) {
      throw new UsageError("Cannot use the passphrase: the two entries differ");
    }
    return first.slice();
  } finally {
    first.fill(0);
    again?.fill(0);
  }
}

/** Asks the questions on a terminal, or line by line from a piped standard input. */
async function ask(flags: ConfigFlags, output: string, io: CliIo, deps: ConfigCommandDeps) {
  const line = deps.stdinIsTerminal() ? undefined : deps.pipePrompter(io);
  try {
    return await askQuestions({
      ...flags,
      prompter: line ?? deps.terminalPrompter(),
      err: io.err,
      loadKey: deps.loadKey,
      checkOutput: (path) => refuseExistingConfig(path, flags.force),
      output,
    });
  } finally {
    await line?.close();
  }
}
