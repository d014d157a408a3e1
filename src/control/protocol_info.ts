/**
 * PROTOCOLINFO: the first command on a new connection, telling which authentication methods tor
 * accepts, where its cookie file is, and which tor version it is.
 *
 * Spec: control-spec §3.21 PROTOCOLINFO; tor `control_cmd.c:
 * handle_control_protocolinfo`.
 *
 * Role: called by the handshake in `connect.ts` before authenticating. It is also the check that
 * the peer is a Tor control port at all: a peer that answers with something other than a
 * PROTOCOLINFO reply gets a {@link ControlProtocolError} of kind `NotTorControlPort`.
 *
 * @module
 */

import type { ControlRequester } from "./connection.ts";
import { ControlProtocolError, ControlTimeoutError } from "./errors.ts";
import type { Reply } from "./framing.ts";
import { splitReplyLine } from "./reply_line.ts";

/** What PROTOCOLINFO reported. */
export interface ProtocolInfo {
  /** The PIVERSION tor answered with (`1`). */
  readonly protocolInfoVersion: string;
  /** Authentication methods as tor lists them (`COOKIE`, `SAFECOOKIE`, …; unknown ones kept). */
  readonly authMethods: readonly string[];
  /** Absolute path of the cookie file, when a cookie method is offered. */
  readonly cookieFile?: string;
  /** Tor's version, e.g. `0.4.9.11`. */
  readonly torVersion: string;
}

function malformed(why: string): ControlProtocolError {
  return new ControlProtocolError("MalformedReply", `Cannot parse the PROTOCOLINFO reply: ${why}`);
}

/**
 * Parses a PROTOCOLINFO reply. Unknown lines and keywords are ignored, as control-spec asks.
 *
 * @param reply The 250 reply to `PROTOCOLINFO 1`.
 * @returns Methods, cookie file and version.
 * @throws {ControlProtocolError} If the PROTOCOLINFO, AUTH or VERSION line is missing or malformed.
 */
export function parseProtocolInfo(reply: Reply): ProtocolInfo {
  let protocolInfoVersion: string | undefined;
  let authMethods: string[] | undefined;
  let cookieFile: string | undefined;
  let torVersion: string | undefined;
  for (const line of reply.lines) {
    const keyword = line.text.split(" ", 1)[0];
    const rest = line.text.slice((keyword ?? "").length + 1);
    if (keyword === "PROTOCOLINFO") {
      protocolInfoVersion = splitReplyLine(rest).positional[0];
    } else if (keyword === "AUTH") {
      const { keywords } = splitReplyLine(rest);
      authMethods = (keywords.get("METHODS") ?? "").split(",").filter((m) => m !== "");
      cookieFile = keywords.get("COOKIEFILE");
    } else if (keyword === "VERSION") {
      torVersion = splitReplyLine(rest).keywords.get("Tor");
    }
  }
  if (protocolInfoVersion === undefined) throw malformed('no "PROTOCOLINFO" line');
  if (authMethods === undefined) throw malformed('no "AUTH" line');
  if (torVersion === undefined) throw malformed('no "VERSION Tor=" line');
  return {
    protocolInfoVersion,
    authMethods,
    torVersion,
    ...(cookieFile !== undefined ? { cookieFile } : {}),
  };
}

/**
 * Sends `PROTOCOLINFO 1` and parses the answer.
 *
 * @param conn A fresh, unauthenticated connection (tor allows one PROTOCOLINFO before AUTHENTICATE).
 * @param options `name` of the endpoint for messages, and a `signal` to cancel.
 * @returns What tor reported.
 * @throws {ControlProtocolError} Of kind `NotTorControlPort` when the peer's answer is not a
 *   PROTOCOLINFO reply.
 * @throws {ControlTimeoutError} When the peer does not answer in time.
 */
export async function requestProtocolInfo(
  conn: ControlRequester,
  options: { name: string; signal?: AbortSignal },
): Promise<ProtocolInfo> {
  const notTor = (why: string, cause: unknown) =>
    new ControlProtocolError(
      "NotTorControlPort",
      `The endpoint "${options.name}" is not a Tor control port: ${why}`,
      { cause },
    );
  let reply: Reply;
  try {
    reply = await conn.request("PROTOCOLINFO 1", options.signal ? { signal: options.signal } : {});
  } catch (error) {
    if (error instanceof ControlProtocolError) {
      throw notTor("its answer to PROTOCOLINFO is not a control-port reply", error);
    }
    if (error instanceof ControlTimeoutError) {
      throw new ControlTimeoutError(
        `The endpoint "${options.name}" did not answer PROTOCOLINFO within ${error.timeoutMs} ms (is it a Tor control port?)`,
        error.timeoutMs,
        { cause: error },
      );
    }
    throw error;
  }
  try {
    return parseProtocolInfo(reply);
  } catch (error) {
    throw notTor("its answer to PROTOCOLINFO lacks the PROTOCOLINFO fields", error);
  }
}
