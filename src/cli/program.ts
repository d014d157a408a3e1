/**
 * The `onionbalance` command line: one program with subcommands, parsed with
 * commander (the npm analogue of cliffy).
 *
 * Role: builds the commander tree and turns commander's own outcomes (help,
 * version, unknown command or flag) into a {@link CliOutcome}. It never calls
 * `Deno.exit()` and never writes to the console directly: output goes through
 * the `out`/`err` writers it is given, so tests can capture it.
 *
 * @module
 */

import { Command, CommanderError } from "commander";
import { ExitCode } from "./exit_codes.ts";
import { registerDescriptorCommand } from "./descriptor_decode.ts";
import { registerRunCommand } from "./run.ts";
import { registerConfigCommand } from "./config_command.ts";
import { registerStatusCommand } from "./status_command.ts";
import { VERSION } from "../version.ts";

/** Where the program writes its normal and its error output. */
export interface CliIo {
  /** Normal output (help, version, command results). */
  out: (text: string) => void;
  /** Error output (usage errors, diagnostics). */
  err: (text: string) => void;
}

/** What running the command line came to. */
export interface CliOutcome {
  /** The exit code `main.ts` should exit with. */
  exitCode: ExitCode;
}

/**
 * Builds the commander program.
 *
 * @param io Writers for standard output and standard error.
 * @returns The configured commander root command.
 */
export function createProgram(io: CliIo): Command {
  const program = new Command("onionbalance")
    .description(
      "Load-balance one Tor v3 onion address over many backend onion services.",
    )
    .version(`onionbalance ${VERSION}`, "-V, --version", "print the version and exit")
    .helpOption("-h, --help", "print this help and exit")
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: io.out,
      writeErr: io.err,
      // Colour detection reads environment variables; plain text needs no permission.
      getOutHasColors: () => false,
      getErrHasColors: () => false,
    });
  registerRunCommand(program, io);
  registerDescriptorCommand(program, io);
  registerConfigCommand(program, io);
  registerStatusCommand(program, io);
  return program;
}

/**
 * Parses `args` (without the program name) and runs the selected command.
 *
 * @param args The command-line arguments, e.g. `Deno.args`.
 * @param io Writers for standard output and standard error.
 * @returns The exit code to use.
 */
export async function runCli(args: readonly string[], io: CliIo): Promise<CliOutcome> {
  const program = createProgram(io);
  args = withDefaultCommand(args);
  const first = args[0];
  if (first !== undefined && !first.startsWith("-") && !isCommand(program, first)) {
    io.err(`error: unknown command '${first}'\n(see 'onionbalance --help')\n`);
    return { exitCode: ExitCode.Usage };
  }
  try {
    await program.parseAsync([...args], { from: "user" });
    return { exitCode: ExitCode.Ok };
  } catch (error) {
    if (error instanceof CommanderError) {
      return { exitCode: commanderExitCode(error) };
    }
    throw error;
  }
}

/**
 * OnionBalance 0.2.x has no subcommands: `onionbalance -c config.yaml` (or no
 * argument at all) runs the daemon. So do we, unless the arguments ask for
 * help or the version.
 */
function withDefaultCommand(args: readonly string[]): readonly string[] {
  const first = args[0];
  if (first === undefined) return ["run"];
  const topLevel = ["-h", "--help", "-V", "--version"];
  if (first.startsWith("-") && !topLevel.includes(first)) return ["run", ...args];
  return args;
}

/** Whether `name` names a subcommand (or an alias of one) of `program`. */
function isCommand(program: Command, name: string): boolean {
  return program.commands.some((command) =>
    command.name() === name || command.aliases().includes(name)
  );
}

/** Help and version end in success; every other commander error is a usage error. */
function commanderExitCode(error: CommanderError): ExitCode {
  switch (error.code) {
    case "commander.helpDisplayed":
    case "commander.help":
    case "commander.version":
      return ExitCode.Ok;
    default:
      return ExitCode.Usage;
  }
}
