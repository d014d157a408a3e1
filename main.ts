/**
 * Entry point of the `onionbalance` program: parses argv, dispatches the
 * subcommand, and maps errors to exit codes. Nothing else happens here.
 *
 * @module
 */

import { runCli } from "./src/cli/program.ts";
import { ExitCode, UsageError } from "./src/cli/exit_codes.ts";
import { argsForExecutable } from "./src/cli/config_command.ts";
import { scopeErrorIn } from "./src/cli/scope.ts";

const encoder = new TextEncoder();

/** Writes to a standard stream; a closed stream drops the text instead of ending the process. */
function writeTo(stream: { writeSync(p: Uint8Array): number }, text: string): void {
  try {
    stream.writeSync(encoder.encode(text));
  } catch {
    // EPIPE or EBADF: nobody reads it any more.
  }
}

/** Runs the command line and returns the process exit code. */
export async function main(args: readonly string[]): Promise<number> {
  const io = {
    out: (text: string) => writeTo(Deno.stdout, text),
    err: (text: string) => writeTo(Deno.stderr, text),
  };
  try {
    const outcome = await runCli(args, io);
    return outcome.exitCode;
  } catch (error) {
    // Outside the permissions this process runs with (a compiled binary): one line, never
    // Deno's advice to pass a flag that a compiled binary cannot take.
    const denied = scopeErrorIn(error);
    if (denied !== undefined) {
      io.err(`onionbalance: ${denied.message}\n`);
      return ExitCode.Failure;
    }
    if (error instanceof UsageError) {
      io.err(`onionbalance: ${error.message}\n`);
      return error.exitCode;
    }
    // A bug: keep the stack so it can be reported.
    io.err(`onionbalance: internal error: ${error instanceof Error ? error.stack : error}\n`);
    return ExitCode.Failure;
  }
}

if (import.meta.main) {
  // OnionBalance users type `onionbalance-config`: a binary of that name runs `config`.
  Deno.exit(await main(argsForExecutable(Deno.execPath(), Deno.args)));
}
