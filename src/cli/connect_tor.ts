/**
 * Connects `onionbalance run` to tor's control port: the Unix socket
 * (`-s/--socket`, default `/var/run/tor/control`) when one is there, then
 * TCP (`-i/--ip`, `-p/--port`), as OnionBalance 0.2.x does; while tor is not
 * there, waits with backoff and tries again.
 *
 * Spec: control-spec §3.5 AUTHENTICATE, §3.21 PROTOCOLINFO (done by
 * `control/`'s `connectControl`) — https://spec.torproject.org/control-spec/;
 * stem `stem.connection.connect` (socket first, then port).
 *
 * Role: used by `run.ts` only. An endpoint the process's permissions do not
 * allow fails at once (`scope.ts`) instead of being retried as "tor is not
 * there". Reads the password's source (a file or an environment variable),
 * never the password itself: `connectControl` reads it when tor asks.
 *
 * @module
 */

import {
  backoffDelay,
  connectControl,
  ControlAuthError,
  type ControlClient,
  type ControlEndpoint,
  ControlProtocolError,
  ControlVersionError,
  describeEndpoint,
  type PasswordSource,
} from "../control/mod.ts";
import { randomUnit } from "../crypto/mod.ts";
import type { Logger } from "../log/mod.ts";
import { systemClock } from "../time/mod.ts";
import { UsageError } from "./exit_codes.ts";
import { requireGranted, scopeErrorOf } from "./scope.ts";

/** tor's control socket on Debian (OnionBalance's default). */
export const DEFAULT_CONTROL_SOCKET = "/var/run/tor/control";
/** The environment variable that may hold the control password. */
const PASSWORD_ENV = "ONIONBALANCE_CONTROL_PASSWORD";

/** Where tor's control port is, as the `run` command's flags give it. */
export interface ConnectTorOptions {
  /** `-i/--ip`: the control port's address. */
  ip: string;
  /** `-p/--port`, as typed (checked here). */
  port: string;
  /** `-s/--socket`: the control socket, tried first when it exists. */
  socket?: string;
  /** `--password-file`. */
  passwordFile?: string;
}

/** What {@link connectTor} needs besides the options. */
export interface ConnectTorContext {
  /** Where `$ONIONBALANCE_CONTROL_PASSWORD` is looked for. */
  env: Deno.Env;
  log: Logger;
  /** Stops the waiting: {@link connectTor} then returns undefined. */
  signal: AbortSignal;
}

/** An error that trying again cannot mend: authentication, version, not a control port. */
export type FinalControlError = ControlAuthError | ControlVersionError | ControlProtocolError;

/** Whether `error` is a {@link FinalControlError}. */
export function isFinalControlError(error: unknown): error is FinalControlError {
  return error instanceof ControlAuthError || error instanceof ControlVersionError ||
    error instanceof ControlProtocolError;
}

/**
 * The error's message, with the ways to give a password when tor asks for one.
 *
 * @param error What {@link connectTor} threw.
 * @returns The line to log.
 */
export function authAdvice(error: Error): string {
  if (error instanceof ControlAuthError && error.kind === "PasswordRequired") {
    return "Cannot authenticate: tor requires a password (HashedControlPassword); give it in a " +
      `file with --password-file FILE or in the environment variable ${PASSWORD_ENV}`;
  }
  return error.message;
}

/**
 * Connects to tor, waiting with backoff while it is not there (a daemon that
 * starts before tor keeps trying). Authentication, version, "not a tor
 * control port" and permission-scope errors are final.
 *
 * @param options The endpoints and the password file.
 * @param ctx The environment, the log and the stop signal.
 * @returns The client, or undefined when stopped first.
 * @throws {FinalControlError} When tor refuses us or is not tor.
 * @throws {ScopeError} When an endpoint asked for is outside this process's permissions.
 * @throws {UsageError} On a port that is not a port number.
 */
export async function connectTor(
  options: ConnectTorOptions,
  ctx: ConnectTorContext,
): Promise<ControlClient | undefined> {
  const { log, signal } = ctx;
  const password = passwordSource(options, ctx.env);
  const explicitSocket = options.socket !== DEFAULT_CONTROL_SOCKET;
  for (let attempt = 1; !signal.aborted; attempt++) {
    const tried: string[] = [];
    for (const endpoint of await endpoints(options, explicitSocket)) {
      try {
        const client = await connectControl({
          endpoint,
          log,
          auth: password === undefined ? {} : { password },
        });
        log.info(`Connected to tor at ${describeEndpoint(endpoint)}`);
        return client;
      } catch (error) {
        if (isFinalControlError(error)) throw error;
        const denied = scopeErrorOf(error);
        if (denied !== undefined) throw denied;
        const message = error instanceof Error ? error.message : String(error);
        tried.push(`${describeEndpoint(endpoint)}: ${message}`);
      }
    }
    const delay = backoffDelay(attempt, () => randomUnit(), {
      initialDelayMs: 1000,
      maxDelayMs: 30_000,
    });
    log.warning(`Waiting for tor (${tried.join("; ")}); retry in ${Math.round(delay / 1000)} s`);
    await systemClock.sleep(delay, signal).catch(() => {}); // stopped: the loop ends
  }
  return undefined;
}

/**
 * The endpoints to try: the Unix socket when it exists, then TCP. An endpoint outside this
 * process's permissions is a {@link ScopeError} (final), except the default socket path, which
 * is only skipped: the operator did not ask for it.
 */
async function endpoints(
  options: ConnectTorOptions,
  explicitSocket: boolean,
): Promise<ControlEndpoint[]> {
  const out: ControlEndpoint[] = [];
  const path = options.socket ?? DEFAULT_CONTROL_SOCKET;
  if (await isSocket(path)) {
    try {
      await requireGranted({ name: "net", host: `unix:${path}` });
      out.push({ transport: "unix", path });
    } catch (error) {
      if (explicitSocket) throw error;
    }
  }
  const port = Number(options.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new UsageError(`Cannot use control port "${options.port}": not a port number`);
  }
  const hostname = options.ip;
  await requireGranted({
    name: "net",
    host: `${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`,
  });
  out.push({ transport: "tcp", hostname, port });
  return out;
}

async function isSocket(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isSocket === true;
  } catch {
    return false; // No socket there (or not readable): TCP only.
  }
}

/** The control password's source: `--password-file`, else `$ONIONBALANCE_CONTROL_PASSWORD`. */
function passwordSource(options: ConnectTorOptions, env: Deno.Env): PasswordSource | undefined {
  if (options.passwordFile !== undefined) return { passwordFile: options.passwordFile };
  return env.get(PASSWORD_ENV) === undefined ? undefined : { passwordEnv: PASSWORD_ENV };
}
