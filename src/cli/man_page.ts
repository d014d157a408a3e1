/**
 * The `onionbalance(1)` manual page, in roff with the man(7) macros, made
 * from the commander tree that `program.ts` builds: every command (nested
 * ones too) with its arguments and options, so it says what `--help` says.
 *
 * Role: a pure function from a program to text. `scripts/man.ts` writes it to
 * a file (`deno task man`); the release ships it with the binaries. What the
 * tree does not hold (environment variables, files, exit codes) is listed
 * here; the tests check it against the source.
 *
 * @module
 */

import { type Argument, type Command, Help, type Option } from "commander";
import { argsForExecutable } from "./config_command.ts";
import { ExitCode } from "./exit_codes.ts";
import { DEFAULT_STATUS_SOCKET } from "./status_command.ts";
import { DEFAULT_COMMAND } from "./program.ts";

/** Options of {@link manPage}. */
export interface ManPageOptions {
  /** The date in the page's title line (default: none, so the output is reproducible). */
  date?: string;
}

/** Other names of the program: a binary called so runs `onionbalance <command>`. */
const EXECUTABLES = ["onionbalance-config"] as const;

/** The environment variables the program reads, and what for. */
export const ENVIRONMENT: readonly { name: string; text: string }[] = [
  {
    name: "ONIONBALANCE_CONFIG",
    text: "The daemon's config file when `-c` is not given (default: `config.yaml`).",
  },
  {
    name: "ONIONBALANCE_TOR_CONTROL_SOCKET",
    text: "tor's control socket when `-s` is not given (default: `/var/run/tor/control`). " +
      "The daemon tries it before the TCP control port.",
  },
  {
    name: "ONIONBALANCE_LOG_LEVEL",
    text: "The daemon's log level when `-v` is not given: debug, info, warning, error or " +
      "critical (default: info).",
  },
  {
    name: "ONIONBALANCE_CONTROL_PASSWORD",
    text: "The password of tor's control port (HashedControlPassword), when " +
      "`--password-file` is not given. Never give a password on the command line.",
  },
  {
    name: "CREDENTIALS_DIRECTORY",
    text: "Set by systemd for `LoadCredential=` and `LoadCredentialEncrypted=`: the daemon " +
      "reads the passphrase of an encrypted key or offline key bundle from the credential " +
      "`onionbalance-key-passphrase` there (or the service's `passphrase-credential`).",
  },
  {
    name: "ONIONBALANCE_STATUS_SOCKET_LOCATION",
    text: "The status socket: the daemon serves its status there (instead of the config's " +
      "`status-socket-location`), and `onionbalance status` reads it when `-s` is not given " +
      `(default: \`${DEFAULT_STATUS_SOCKET}\`).`,
  },
  {
    name: "LOG_TOKENS",
    text: "A debugging switch of the YAML parser that reads the config file: when set, it " +
      "prints every token it reads to standard output. Leave it unset.",
  },
  {
    name: "LOG_STREAM",
    text: "A debugging switch of the YAML parser: when set, it prints every parsed node to " +
      "standard output. Leave it unset.",
  },
];

/** The files the program uses by default. */
const FILES: readonly { name: string; text: string }[] = [
  {
    name: "config.yaml",
    text: "The daemon's config file, in the working folder, when neither `-c` nor " +
      "`$ONIONBALANCE_CONFIG` names another (OnionBalance 0.2.x's format).",
  },
  {
    name: "/var/run/tor/control",
    text: "tor's control socket on Debian, tried before the TCP control port.",
  },
  {
    name: DEFAULT_STATUS_SOCKET,
    text: "The status socket that `onionbalance status` reads by default; the daemon creates " +
      "its folder when it serves status there.",
  },
];

/**
 * What each exit code means, by its name in {@link ExitCode}. A code without a
 * line here is listed by its name alone (a test fails until it has one).
 */
export const EXIT_STATUS: Readonly<Record<string, string>> = {
  Ok: "Success, help or version printed, or the daemon stopped cleanly by SIGTERM or SIGINT.",
  Failure: "A configuration, key, connection or authentication error.",
  Usage: "A command-line usage error: unknown command or option, missing or bad argument.",
  Interrupted: "`onionbalance config` stopped by the operator (Ctrl-C or the end of its input) " +
    "before anything was written.",
};

/**
 * Escapes text for a roff text line: backslashes, hyphens (`\-`, so they stay
 * ASCII minus signs for copy and search), a leading `.` or `'`, and turns
 * `` `code` `` into bold.
 *
 * @param text Plain text, one line.
 * @returns The roff text.
 */
export function roffEscape(text: string): string {
  const escaped = text.replaceAll("\\", "\\e").replaceAll("-", "\\-")
    .replace(/`([^`]+)`/g, "\\fB$1\\fR");
  return /^[.']/.test(escaped) ? `\\&${escaped}` : escaped;
}

/** "Load-balance …" → "load-balance …", for the NAME line. */
function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/** A macro argument: escaped and quoted. */
function quoted(text: string): string {
  return `"${roffEscape(text).replaceAll('"', "\\(dq")}"`;
}

/** `run`, `descriptor decode`: the names from the root down, the root left out. */
function pathOf(command: Command): string[] {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names;
}

/** Every command under `root`, depth first, `root` left out. */
function subcommands(root: Command): Command[] {
  return root.commands.flatMap((command) => [command, ...subcommands(command)]);
}

/**
 * `\fB\-c\fR, \fB\-\-config\fR \fIpath\fR`: an option's flags in bold, its value in
 * italics (in brackets when it may be left out).
 */
function optionTerm(option: Option): string {
  const names = [option.short, option.long].filter((name) => name !== undefined);
  const term = names.map((name) => `\\fB${roffEscape(name)}\\fR`).join(", ");
  const value = option.flags.match(/([<[])([^>\]]*)[>\]]$/);
  if (value === null) return term;
  const italic = `\\fI${roffEscape(value[2] ?? "")}\\fR`;
  return `${term} ${value[1] === "[" ? `[${italic}]` : italic}`;
}

/** An option's description, then its choices, its default and whether it is required. */
function optionText(option: Option): string {
  const extra: string[] = [];
  if (option.argChoices !== undefined) extra.push(`one of: ${option.argChoices.join(", ")}`);
  const showDefault = option.defaultValue !== undefined &&
    !(option.isBoolean() && !option.negate && option.defaultValue === false) &&
    !(option.negate && option.defaultValue === true);
  if (showDefault) {
    extra.push(`default: \`${option.defaultValueDescription ?? String(option.defaultValue)}\``);
  }
  if (option.mandatory) extra.push("required");
  const text = option.description.trim();
  if (extra.length === 0) return roffEscape(text);
  return roffEscape(`${text} (${extra.join("; ")})`.trimStart());
}

function optionItems(options: readonly Option[]): string[] {
  return options.filter((option) => !option.hidden).flatMap((option) => [
    ".TP",
    optionTerm(option),
    optionText(option),
  ]);
}

function argumentItems(args: readonly Argument[]): string[] {
  return args.flatMap((arg) => [
    ".TP",
    `\\fI${roffEscape(arg.name())}\\fR${arg.variadic ? "..." : ""}`,
    roffEscape(`${arg.description}${arg.required ? "" : " (optional)"}`),
  ]);
}

/** The title line and usage of a command, e.g. `onionbalance descriptor decode [options] <file>`. */
function usageLine(command: Command): string {
  return ["onionbalance", ...pathOf(command), command.usage()].join(" ");
}

/** Bold command words, then the usage in roman. */
function synopsisLine(words: readonly string[], usage: string): string[] {
  return [`.B ${quoted(words.join(" "))}`, roffEscape(usage), ".br"];
}

/** Another executable name, and the command path it runs. */
interface ExecutableAlias {
  name: string;
  path: string[];
}

/** The executable names that run a command of `program`, with the path they run. */
function executableAliases(program: Command): ExecutableAlias[] {
  return EXECUTABLES.flatMap((name) => {
    const path = argsForExecutable(`/usr/bin/${name}`, []);
    let command: Command | undefined = program;
    for (const word of path) command = command?.commands.find((c) => c.name() === word);
    return path.length > 0 && command !== undefined ? [{ name, path }] : [];
  });
}

function commandSection(command: Command): string[] {
  const lines = [`.SS ${quoted(usageLine(command))}`];
  const aliases = command.aliases();
  if (command.description() !== "") lines.push(roffEscape(command.description()));
  if (aliases.length > 0) lines.push(".PP", roffEscape(`Also called: ${aliases.join(", ")}.`));
  if (command.name() === DEFAULT_COMMAND && command.parent?.parent === null) {
    lines.push(
      ".PP",
      roffEscape(
        "Also run with no command: `onionbalance [options]` is " +
          `\`onionbalance ${DEFAULT_COMMAND} [options]\`. Its options are listed under OPTIONS.`,
      ),
    );
    return lines;
  }
  if (command.registeredArguments.length > 0) {
    lines.push(".PP", "Arguments:", ...argumentItems(command.registeredArguments));
  }
  const options = command.options.filter((option) => !option.hidden);
  if (options.length > 0) lines.push(".PP", "Options:", ...optionItems(options));
  if (command.commands.length > 0) {
    const names = command.commands.map((c) => c.name()).join(", ");
    lines.push(
      ".PP",
      roffEscape(`Commands: ${names}; \`${usageLine(command).split(" [")[0]} help <command>\`.`),
    );
  }
  return lines;
}

/**
 * Writes the manual page of `program`: the sections of man-pages(7), in its order.
 *
 * @param program The root command, as `createProgram()` builds it.
 * @param options The title line's date.
 * @returns The page in roff (man(7) macros), ending with a newline.
 */
export function manPage(program: Command, options: ManPageOptions = {}): string {
  const name = program.name();
  const aliases = executableAliases(program);
  const lines: string[] = [
    `.\\" Generated from the command tree of src/cli/program.ts by scripts/man.ts. Do not edit.`,
    `.TH ${name.toUpperCase()} 1 ${quoted(options.date ?? "")} ${
      quoted(program.version() ?? name)
    } ` +
    `"User Commands"`,
    ".SH NAME",
    `${[name, ...aliases.map((a) => a.name)].map(roffEscape).join(", ")} \\- ${
      roffEscape(lowerFirst(program.description().replace(/\.$/, "")))
    }`,
    ...synopsisSection(program, aliases),
    ...descriptionSection(program, aliases),
    ...optionsSection(program),
    ...commandsSection(program),
    ...referenceSections(),
  ];
  return `${lines.join("\n")}\n`;
}

/** SYNOPSIS: the root, every leaf command, `help`, then the other executable names. */
function synopsisSection(program: Command, aliases: readonly ExecutableAlias[]): string[] {
  const name = program.name();
  return [
    ".SH SYNOPSIS",
    ...synopsisLine([name], "[options]"),
    ...subcommands(program).filter((command) => command.commands.length === 0)
      .flatMap((command) => synopsisLine([name, ...pathOf(command)], command.usage())),
    ...synopsisLine([name, "help"], "[command...]"),
    ...aliases.flatMap((alias) => synopsisLine([alias.name], "[options]")),
  ];
}

/** DESCRIPTION: what the program does, the default command, the other names, help. */
function descriptionSection(program: Command, aliases: readonly ExecutableAlias[]): string[] {
  const name = program.name();
  const rootOptions = new Help().visibleOptions(program);
  return [
    ".SH DESCRIPTION",
    roffEscape(program.description()),
    ".PP",
    roffEscape(
      `With no command, or when the first argument is an option other than ` +
        `${rootOptions.map((o) => o.flags).join(" or ")}, \`${name}\` runs the daemon, ` +
        `as OnionBalance 0.2.x does: \`${name} -c config.yaml\` is ` +
        `\`${name} ${DEFAULT_COMMAND} -c config.yaml\`. It runs until SIGTERM or SIGINT; ` +
        "SIGHUP reloads the config file.",
    ),
    ...aliases.flatMap((alias) => [
      ".PP",
      roffEscape(`\`${alias.name} [options]\` is \`${name} ${alias.path.join(" ")} [options]\`.`),
    ]),
    ".PP",
    roffEscape(
      `\`${name} help [command...]\` and \`${name} <command> --help\` print a command's help.`,
    ),
  ];
}

/** OPTIONS: the root's, then the default command's, which are taken with no command too. */
function optionsSection(program: Command): string[] {
  const lines = [".SH OPTIONS", ...optionItems(new Help().visibleOptions(program))];
  const run = program.commands.find((command) => command.name() === DEFAULT_COMMAND);
  if (run !== undefined) {
    lines.push(
      ".SS Daemon options",
      roffEscape(
        `The options of \`${program.name()} ${DEFAULT_COMMAND}\`, taken with no command as well:`,
      ),
      ...optionItems(run.options),
    );
  }
  return lines;
}

/** COMMANDS: every command, nested ones too, then `help`. */
function commandsSection(program: Command): string[] {
  const name = program.name();
  return [
    ".SH COMMANDS",
    ...subcommands(program).flatMap(commandSection),
    `.SS ${quoted(`${name} help [command...]`)}`,
    roffEscape(
      "Prints the help of a command, the same as its `--help`; nested commands are named " +
        `in turn, as in \`${name} help descriptor decode\`.`,
    ),
  ];
}

/** ENVIRONMENT, FILES, EXIT STATUS and SEE ALSO: what the command tree does not hold. */
function referenceSections(): string[] {
  const lines = [".SH ENVIRONMENT"];
  for (const variable of ENVIRONMENT) {
    lines.push(".TP", `.B ${variable.name}`, roffEscape(variable.text));
  }
  lines.push(".SH FILES");
  for (const file of FILES) lines.push(".TP", `.I ${quoted(file.name)}`, roffEscape(file.text));
  lines.push('.SH "EXIT STATUS"');
  for (const [key, code] of Object.entries(ExitCode)) {
    lines.push(".TP", `.B ${code}`, roffEscape(EXIT_STATUS[key] ?? key));
  }
  lines.push('.SH "SEE ALSO"', ".BR tor (1)");
  return lines;
}
