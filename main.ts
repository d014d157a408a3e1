/**
 * Entry point of the `onionbalance` program: parses argv, dispatches the
 * subcommand, and maps errors to exit codes. Nothing else happens here.
 *
 * @module
 */

import { runCli } from "./src/cli/program.ts";
import { ExitCode, UsageError } from "./src/cli/exit_codes.ts";
import { argsForExecutable } from "./src/cli/config_command.ts";

/** Runs the command line and returns the process exit code. */
export async function main(args: readonly string[]): Promise<number> {
  const encoder = new TextEncoder();
  const io = {
    out: (text: string) => void Deno.stdout.writeSync(encoder.encode(text)),
    err: (text: string) => void Deno.stderr.writeSync(encoder.encode(text)),
  };
  try {
    const outcome = await runCli(args, io);
    return outcome.exitCode;
  } catch (error) {
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
