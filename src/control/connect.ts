/**
 * Connecting to tor: endpoint → socket → PROTOCOLINFO → version check → authentication, wired
 * into a reconnecting {@link ControlClient}.
 *
 * Spec: control-spec §3.21 PROTOCOLINFO, §3.5 AUTHENTICATE; tor `control_cmd.c:
 * handle_control_protocolinfo`, `control_auth.c`.
 *
 * Role: the entry point the balancer calls once at start-up. The same handshake runs again on
 * every reconnect, so a restarted tor (new cookie, maybe new version) is re-checked and
 * re-authenticated before any request or SETEVENTS is sent.
 *
 * @module
 */

import type { Logger } from "../log/mod.ts";
import { authenticate, type AuthOptions } from "./auth.ts";
import {
  ControlClient,
  type ControlClientOptions,
  type Handshake,
  type ReconnectOptions,
} from "./client.ts";
import type { ReplyFramerOptions } from "./framing.ts";
import { requestProtocolInfo } from "./protocol_info.ts";
import { checkTorVersion, MIN_TOR_VERSION } from "./tor_version.ts";
import { type ControlEndpoint, describeEndpoint, openEndpoint } from "./transport.ts";

/** Options of {@link torHandshake}. */
export interface TorHandshakeOptions {
  /** How to name the endpoint in messages. */
  name: string;
  /** Where the success line goes (debug level). */
  log: Logger;
  /** Password source, forced method, cookie path. */
  auth?: Omit<AuthOptions, "signal">;
  /** Oldest tor accepted. Default {@link MIN_TOR_VERSION}. */
  minTorVersion?: string;
}

/**
 * The handshake for a fresh connection: PROTOCOLINFO, version check, AUTHENTICATE.
 *
 * @param options Endpoint name, logger, authentication and minimum version.
 * @returns A {@link Handshake} for {@link ControlClient.connect}.
 */
export function torHandshake(options: TorHandshakeOptions): Handshake {
  return async (connection, signal) => {
    const info = await requestProtocolInfo(connection, { name: options.name, signal });
    checkTorVersion(info.torVersion, options.minTorVersion ?? MIN_TOR_VERSION);
    const method = await authenticate(connection, info, { ...options.auth, signal });
    options.log.debug(`Authenticated to tor ${info.torVersion} on ${options.name} with ${method}`);
  };
}

/** Options of {@link connectControl}. */
export interface ConnectControlOptions {
  /** TCP address or Unix socket path of tor's control port. */
  endpoint: ControlEndpoint;
  /** Where connection messages go. */
  log: Logger;
  /** Password source, forced method, cookie path. Default: whatever tor offers, no password. */
  auth?: Omit<AuthOptions, "signal">;
  /** Oldest tor accepted. Default {@link MIN_TOR_VERSION}. */
  minTorVersion?: string;
  /** Default request deadline in ms. Default 30 000. */
  timeoutMs?: number;
  /** Deadline to connect and authenticate, in ms. Default 30 000. */
  connectTimeoutMs?: number;
  /** Reconnection policy, or `false`. Default: reconnect forever with backoff. */
  reconnect?: ReconnectOptions | false;
  /** Wall clock in ms, for the "events were missed" log line. */
  now?: () => number;
  /** Limits of the reply framer. */
  framer?: ReplyFramerOptions;
}

/**
 * Connects and authenticates to tor, returning a client that reconnects on its own.
 *
 * @param options Endpoint, logger, authentication, deadlines, reconnection.
 * @returns The connected client.
 * @throws {ControlConnectError} If the endpoint cannot be reached.
 * @throws {ControlProtocolError} Of kind `NotTorControlPort` if the peer is not tor.
 * @throws {ControlVersionError} If tor is older than the minimum.
 * @throws {ControlAuthError} If authentication fails.
 * @throws {ControlTimeoutError} If this takes longer than `connectTimeoutMs`.
 *
 * @example
 * ```ts ignore
 * import { connectControl, getInfo } from "./mod.ts";
 * import { Logger } from "../log/mod.ts";
 * const client = await connectControl({
 *   endpoint: { transport: "tcp", hostname: "127.0.0.1", port: 9051 },
 *   auth: { password: { passwordEnv: "ONIONBALANCE_CONTROL_PASSWORD" } },
 *   log: new Logger({ level: "info" }),
 * });
 * console.log(await getInfo(client, ["version"]));
 * await client.close();
 * ```
 */
export function connectControl(options: ConnectControlOptions): Promise<ControlClient> {
  const name = describeEndpoint(options.endpoint);
  const clientOptions: ControlClientOptions = {
    open: (signal) => openEndpoint(options.endpoint, signal),
    handshake: torHandshake({
      name,
      log: options.log,
      auth: options.auth,
      minTorVersion: options.minTorVersion,
    }),
    log: options.log,
    name,
    timeoutMs: options.timeoutMs,
    connectTimeoutMs: options.connectTimeoutMs,
    reconnect: options.reconnect,
    now: options.now,
    framer: options.framer,
  };
  return ControlClient.connect(clientOptions);
}
