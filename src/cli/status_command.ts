/**
 * `onionbalance status`: reads the running daemon's status socket and prints
 * it as tables (`status_format.ts`), or the raw JSON with `--json`.
 *
 * Spec: OnionBalance 0.2.x's status socket (`onionbalance/hs_v3/status.py`):
 * a Unix stream socket that writes one JSON document per connection and
 * closes; `socat - unix-connect:PATH` reads it. The default path is
 * `$ONIONBALANCE_STATUS_SOCKET_LOCATION`, else `/run/onionbalance/control`.
 *
 * Role: writes through the `io` writers only; a missing, refusing or silent
 * socket is a {@link UsageError} with exit code 1 for `main.ts`. Deno needs
 * `--allow-net=unix:<path>` and read and write permission on the path.
 *
 * @module
 */

import type { Command } from "commander";
import { ExitCode, UsageError } from "./exit_codes.ts";
import type { CliIo } from "./program.ts";
import { formatStatus } from "./status_format.ts";

/** Where the daemon serves its status unless told otherwise (the Debian package's folder). */
export const DEFAULT_STATUS_SOCKET = "/run/onionbalance/control";

/** How long the daemon may take to answer. */
export const STATUS_READ_TIMEOUT_MS = 10_000;

/** Options of the `status` command, as commander parses them. */
export interface StatusOptions {
  /** The status socket. */
  socket?: string;
  /** Print the JSON as received. */
  json?: boolean;
}

/**
 * Reads the one document the daemon writes on a new connection.
 *
 * @param path The Unix socket.
 * @param options The deadline.
 * @returns The text, to the end of the stream.
 * @throws {UsageError} (exit code 1) When the socket is missing, refuses, or does not answer in time.
 */
export async function readStatusSocket(
  path: string,
  options: { timeoutMs?: number } = {},
): Promise<string> {
  let conn: Deno.UnixConn;
  try {
    conn = await Deno.connect({ transport: "unix", path });
  } catch (cause) {
    throw new UsageError(`Cannot read the status socket "${path}": ${why(cause)}`, {
      exitCode: ExitCode.Failure,
      cause,
    });
  }
  const timeoutMs = options.timeoutMs ?? STATUS_READ_TIMEOUT_MS;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    conn.close();
  }, timeoutMs);
  try {
    return await new Response(conn.readable).text();
  } catch (cause) {
    const reason = timedOut ? `no answer within ${timeoutMs} ms` : why(cause);
    throw new UsageError(`Cannot read the status socket "${path}": ${reason}`, {
      exitCode: ExitCode.Failure,
      cause,
    });
  } finally {
    clearTimeout(timer);
  }
}

function why(error: unknown): string {
  if (error instanceof Deno.errors.NotFound) {
    return "it does not exist (is the daemon running, with status-socket-location set?)";
  }
  if (error instanceof Deno.errors.ConnectionRefused) {
    return "connection refused (no daemon is listening on it)";
  }
  if (error instanceof Deno.errors.PermissionDenied) {
    return "permission denied (run as the daemon's user or group)";
  }
  if (error instanceof Deno.errors.NotCapable) {
    return `this build lacks the permission: ${error.message}`;
  }
  return error instanceof Error ? error.message : String(error);
}

/**
 * Reads and prints the status (see the module comment).
 *
 * @param path The status socket.
 * @param options `json`: print the document as received.
 * @param io Where to write.
 * @throws {UsageError} (exit code 1) When the socket cannot be read or does not hold JSON.
 */
export async function showStatus(
  path: string,
  options: { json?: boolean },
  io: CliIo,
): Promise<void> {
  const text = await readStatusSocket(path);
  let report: unknown;
  try {
    report = JSON.parse(text);
  } catch (cause) {
    throw new UsageError(
      `Cannot use the answer of the status socket "${path}": not JSON (${text.length} bytes)`,
      { exitCode: ExitCode.Failure, cause },
    );
  }
  if (options.json === true) io.out(text.endsWith("\n") ? text : `${text}\n`);
  else io.out(formatStatus(report));
}

/**
 * Adds the `status` command.
 *
 * @param program The root command.
 * @param io Writers for standard output and standard error.
 * @param env Where `$ONIONBALANCE_STATUS_SOCKET_LOCATION` is read (only when `-s` is not given).
 */
export function registerStatusCommand(program: Command, io: CliIo, env: Deno.Env = Deno.env): void {
  program.command("status")
    .description("show the running daemon's state, read from its status socket")
    .option(
      "-s, --socket <path>",
      `status socket (default: $ONIONBALANCE_STATUS_SOCKET_LOCATION or ${DEFAULT_STATUS_SOCKET})`,
    )
    .option("--json", "print the status JSON as the daemon wrote it")
    .action(async (options: StatusOptions) => {
      // The environment is read only when needed, so `--help` and `-s` need no permission.
      const path = options.socket ?? (env.get("ONIONBALANCE_STATUS_SOCKET_LOCATION") ||
        DEFAULT_STATUS_SOCKET);
      await showStatus(path, { json: options.json }, io);
    });
}
