/**
 * The `onionbalance` command line: one program with subcommands, parsed with
 * commander (the npm analogue of cliffy).
 *
 * Role: builds the commander tree and turns commander's own outcomes (help,
 * version, unknown command or flag) into a {@link CliOutcome}. `help [command...]`
 * is answered here, as the `--help` of the command it names. The top-level help
 * also lists the options of `run`, the command that `onionbalance -c config.yaml`
 * runs; options declared required say so in every help text. It never calls
 * `Deno.exit()` and never writes to the console directly: output goes through
 * the `out`/`err` writers it is given, so tests can capture it.
 *
 * @module
 */

import { Command, CommanderError, Help, type Option } from "commander";
import { ExitCode } from "./exit_codes.ts";
import { registerDescriptorCommand } from "./descriptor_decode.ts";
import { registerRunCommand } from "./run.ts";
import { registerConfigCommand } from "./config_command.ts";
import { registerStatusCommand } from "./status_command.ts";
import { registerKeysCommand } from "./keys_command.ts";
import { VERSION } from "../version.ts";

/** Where the program writes its normal and its error output. */
export interface CliIo {
  /** Normal output (help, version, command results). */
  out: (text: string) => void;
  /** Error output (usage errors, diagnostics). */
  err: (text: string) => void;
}

/** The command that runs when the first argument is an option (OnionBalance 0.2.x's daemon). */
export const DEFAULT_COMMAND = "run";

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
  registerKeysCommand(program, io);
  for (const command of commandTree(program)) {
    command.configureHelp(HELP_CONFIG);
    // Answered by runCli(), with any depth of names (commander's own takes one).
    if (command.commands.length > 0) command.helpCommand("help [command...]", HELP_DESCRIPTION);
  }
  program.configureHelp(ROOT_HELP_CONFIG);
  return program;
}

/**
 * Every command of the tree, `root` first, then its subcommands depth first.
 *
 * @param root The root command.
 * @returns The commands, each once.
 */
function commandTree(root: Command): Command[] {
  return [root, ...root.commands.flatMap(commandTree)];
}

const HELP_DESCRIPTION = "print the help of a command (the same as its --help)";

/** Help of every command: an option declared with `requiredOption` says "(required)". */
const HELP_CONFIG: Partial<Help> = {
  optionDescription(this: Help, option: Option): string {
    const text = Help.prototype.optionDescription.call(this, option);
    return option.mandatory ? `${text} (required)`.trimStart() : text;
  },
};

/** The options of the default command, the ones `onionbalance -c config.yaml` takes. */
function daemonOptions(root: Command): readonly Option[] {
  const run = root.commands.find((command) => command.name() === DEFAULT_COMMAND);
  return run === undefined ? [] : run.options.filter((option) => !option.hidden);
}

/** Help of the root: as any command's, then a section with the default command's options. */
const ROOT_HELP_CONFIG: Partial<Help> = {
  ...HELP_CONFIG,
  padWidth(this: Help, cmd: Command, helper: Help): number {
    const terms = daemonOptions(cmd).map((option) =>
      helper.displayWidth(helper.optionTerm(option))
    );
    return Math.max(Help.prototype.padWidth.call(this, cmd, helper), ...terms);
  },
  formatHelp(this: Help, cmd: Command, helper: Help): string {
    const text = Help.prototype.formatHelp.call(this, cmd, helper);
    const options = daemonOptions(cmd);
    if (options.length === 0) return text;
    const width = helper.padWidth(cmd, helper);
    const items = options.map((option) =>
      helper.formatItem(
        helper.styleOptionTerm(helper.optionTerm(option)),
        width,
        helper.styleOptionDescription(helper.optionDescription(option)),
        helper,
      )
    );
    const heading =
      `Daemon options (\`onionbalance [options]\` is \`onionbalance ${DEFAULT_COMMAND} ` +
      "[options]`):";
    return `${text}\n${helper.formatItemList(heading, items, helper).join("\n")}`;
  },
};

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
  const help = helpRequest(program, args);
  if (help !== undefined) {
    if (help.error !== undefined) {
      io.err(help.error);
      return { exitCode: ExitCode.Usage };
    }
    args = help.args;
  }
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
  if (first === undefined) return [DEFAULT_COMMAND];
  const topLevel = ["-h", "--help", "-V", "--version"];
  if (first.startsWith("-") && !topLevel.includes(first)) return [DEFAULT_COMMAND, ...args];
  return args;
}

/** `help [command...]` turned into the `--help` of that command, or why it cannot be. */
type HelpRequest = { args: readonly string[]; error?: undefined } | { error: string };

/**
 * `help`, `help run`, `help descriptor decode`, `descriptor help decode`: the
 * arguments that print the same help with `--help`. Commander's own `help`
 * command takes one name and answers an unknown one with the parent's help,
 * so it is not used.
 *
 * @returns `undefined` when `args` is not a help request.
 */
function helpRequest(program: Command, args: readonly string[]): HelpRequest | undefined {
  let command = program;
  const path: string[] = [];
  for (const [index, word] of args.entries()) {
    if (word === "help" && command.commands.length > 0) {
      for (const name of args.slice(index + 1)) {
        if (name === "-h" || name === "--help") continue;
        const sub = name.startsWith("-") ? undefined : findCommand(command, name);
        if (sub === undefined) {
          const what = name.startsWith("-") ? "option" : "command";
          const shown = name.startsWith("-") ? name : [...path, name].join(" ");
          return {
            error: `error: unknown ${what} '${shown}'\n` +
              `(see '${["onionbalance", ...path, "--help"].join(" ")}')\n`,
          };
        }
        path.push(sub.name());
        command = sub;
      }
      return { args: [...path, "--help"] };
    }
    const sub = findCommand(command, word);
    if (sub === undefined) return undefined;
    path.push(sub.name());
    command = sub;
  }
  return undefined;
}

/** The subcommand of `parent` called `name` (or with that alias). */
function findCommand(parent: Command, name: string): Command | undefined {
  return parent.commands.find((command) =>
    command.name() === name || command.aliases().includes(name)
  );
}

/** Whether `name` names a subcommand (or an alias of one) of `program`. */
function isCommand(program: Command, name: string): boolean {
  return findCommand(program, name) !== undefined;
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
