/**
 * Opening the socket to tor's control port: TCP (`ControlPort`) or a Unix socket
 * (`ControlSocket`), with clear errors for the usual operator mistakes.
 *
 * Spec: control-spec §1 "Protocol outline" (a stream socket; TCP or Unix); tor(1) `ControlPort`,
 * `ControlSocket`.
 *
 * Role: the only place in `src/control/` that calls `Deno.connect`. Deno needs `--allow-net` for
 * the TCP address. For a Unix socket, Deno 2.9 needs three grants, all for the exact path (a
 * directory does not cover the files in it): `--allow-net=unix:<path>`, `--allow-read=<path>` and
 * `--allow-write=<path>`.
 *
 * @module
 */

import { ControlConnectError } from "./errors.ts";

/** Where tor's control port is. */
export type ControlEndpoint =
  | { readonly transport: "tcp"; readonly hostname: string; readonly port: number }
  | { readonly transport: "unix"; readonly path: string };

/**
 * A short name for messages: `127.0.0.1:9051`, `[::1]:9051` or `unix:/run/tor/control`.
 *
 * @param endpoint The endpoint.
 * @returns Its name.
 */
export function describeEndpoint(endpoint: ControlEndpoint): string {
  if (endpoint.transport === "unix") return `unix:${endpoint.path}`;
  const host = endpoint.hostname.includes(":") ? `[${endpoint.hostname}]` : endpoint.hostname;
  return `${host}:${endpoint.port}`;
}

/** Why a connect failed, in words an operator can act on. */
function explain(error: unknown, endpoint: ControlEndpoint): string {
  const unix = endpoint.transport === "unix";
  if (error instanceof Deno.errors.ConnectionRefused) {
    return unix
      ? "connection refused (is tor running with this ControlSocket?)"
      : "connection refused (is tor running with this ControlPort?)";
  }
  if (error instanceof Deno.errors.NotFound) {
    return "no such socket file (is tor running with this ControlSocket?)";
  }
  if (error instanceof Deno.errors.PermissionDenied) {
    return "permission denied (is this user in the group that owns the socket, e.g. debian-tor?)";
  }
  if (error instanceof Deno.errors.NotCapable) {
    return unix
      ? `Deno was not given --allow-net=unix:${endpoint.path} and --allow-read, --allow-write on it`
      : "Deno was not given --allow-net for this address";
  }
  return error instanceof Error ? error.message : String(error);
}

/**
 * Opens a socket to `endpoint`.
 *
 * @param endpoint TCP host and port, or Unix socket path.
 * @param signal Aborts the attempt; the promise then rejects with `signal.reason`.
 * @returns The connected socket.
 * @throws {ControlConnectError} If the connection cannot be made.
 */
export async function openEndpoint(
  endpoint: ControlEndpoint,
  signal: AbortSignal,
): Promise<Deno.Conn> {
  signal.throwIfAborted();
  const attempt: Promise<Deno.Conn> = endpoint.transport === "unix"
    ? Deno.connect({ transport: "unix", path: endpoint.path })
    : Deno.connect({ hostname: endpoint.hostname, port: endpoint.port, signal });
  try {
    const socket = await abortable(attempt, signal);
    // Commands are small and pipelined: do not let Nagle's algorithm hold them back.
    if (endpoint.transport === "tcp") (socket as Deno.TcpConn).setNoDelay(true);
    return socket;
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    const kind = endpoint.transport === "unix" ? "socket" : "port";
    throw new ControlConnectError(
      `Cannot connect to the tor control ${kind} "${describeEndpoint(endpoint)}": ${
        explain(error, endpoint)
      }`,
      { cause: error },
    );
  }
}

/** Rejects when `signal` aborts; a socket that connects afterwards is closed at once. */
function abortable(attempt: Promise<Deno.Conn>, signal: AbortSignal): Promise<Deno.Conn> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    attempt.then(
      (socket) => {
        signal.removeEventListener("abort", onAbort);
        if (signal.aborted) socket.close();
        else resolve(socket);
      },
      (error) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}
