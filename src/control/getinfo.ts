/**
 * GETINFO, and typed helpers for the keys the balancer reads.
 *
 * Spec: control-spec §3.9 GETINFO; tor `control_getinfo.c`
 * (`handle_control_getinfo` writes `250-key=value` for one-line values and `250+key=` with a data
 * block for values that contain a newline).
 *
 * Role: small functions taking any {@link ControlRequester}. Tor answers a multi-key GETINFO with
 * one error (552) if any key is unknown; that surfaces as {@link ControlOperationFailed}.
 *
 * @module
 */

import type { ControlRequester, RequestOptions } from "./connection.ts";
import { ControlProtocolError } from "./errors.ts";
import type { Reply } from "./framing.ts";
import { splitReplyLine, tokenizeReplyLine } from "./reply_line.ts";

/** Printable ASCII without spaces: what a GETINFO key can be. */
const KEY = /^[!-~]+$/;

/** Options of the GETINFO helpers: a deadline and a cancellation signal. */
export type GetInfoOptions = Pick<RequestOptions, "signal" | "timeoutMs">;

/**
 * Splits a GETINFO reply into key → value. Data-block values are returned as the block (LF line
 * ends, ending in `"\n"`); one-line values as they are.
 *
 * @param reply The 250 reply.
 * @returns The values by key, in reply order.
 * @throws {ControlProtocolError} If a line is not `key=value`.
 */
export function parseGetInfoReply(reply: Reply): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of reply.lines) {
    if (line.divider === " " && line.text === "OK") continue;
    const equals = line.text.indexOf("=");
    if (equals <= 0) {
      throw new ControlProtocolError(
        "MalformedReply",
        `Cannot parse a GETINFO reply line ${
          JSON.stringify(line.text.slice(0, 60))
        }: expected key=value`,
      );
    }
    const key = line.text.slice(0, equals);
    values.set(key, line.data ?? line.text.slice(equals + 1));
  }
  return values;
}

/**
 * Sends `GETINFO key…` and returns the values.
 *
 * @param client The control client or connection.
 * @param keys One or more keys, e.g. `["version", "md/all"]`.
 * @param options Deadline and signal.
 * @returns A map with exactly the requested keys.
 * @throws {TypeError} If no key is given or a key contains a space or control character.
 * @throws {ControlOperationFailed} 552 for an unknown key, 551 when tor cannot produce a value.
 * @throws {ControlProtocolError} If the reply lacks a requested key.
 */
export async function getInfo(
  client: ControlRequester,
  keys: readonly string[],
  options: GetInfoOptions = {},
): Promise<Map<string, string>> {
  if (keys.length === 0) throw new TypeError("Cannot send GETINFO: no key given");
  for (const key of keys) {
    if (!KEY.test(key)) throw new TypeError(`Cannot send GETINFO: bad key ${JSON.stringify(key)}`);
  }
  const values = parseGetInfoReply(await client.request(`GETINFO ${keys.join(" ")}`, options));
  const result = new Map<string, string>();
  for (const key of keys) {
    const value = values.get(key);
    if (value === undefined) {
      throw new ControlProtocolError("MalformedReply", `Cannot find "${key}" in the GETINFO reply`);
    }
    result.set(key, value);
  }
  return result;
}

async function getOne(
  client: ControlRequester,
  key: string,
  options: GetInfoOptions,
): Promise<string> {
  return (await getInfo(client, [key], options)).get(key)!;
}

/** `GETINFO version`: tor's version, e.g. `0.4.9.11`. */
export function getVersion(
  client: ControlRequester,
  options: GetInfoOptions = {},
): Promise<string> {
  return getOne(client, "version", options);
}

/** The parsed `status/bootstrap-phase` value. */
export interface BootstrapPhase {
  /** `NOTICE`, `WARN` or `ERR`. */
  readonly severity: string;
  /** 0–100; 100 means bootstrapped. */
  readonly progress: number;
  /** E.g. `starting`, `done`. */
  readonly tag: string;
  /** Human-readable summary. */
  readonly summary: string;
  /** Every keyword argument, including unknown ones (`WARNING=`, `REASON=`, …). */
  readonly arguments: ReadonlyMap<string, string>;
}

/**
 * `GETINFO status/bootstrap-phase`, e.g.
 * `NOTICE BOOTSTRAP PROGRESS=0 TAG=starting SUMMARY="Starting"`.
 *
 * @throws {ControlProtocolError} If the value does not have that shape.
 */
export async function getBootstrapPhase(
  client: ControlRequester,
  options: GetInfoOptions = {},
): Promise<BootstrapPhase> {
  const value = await getOne(client, "status/bootstrap-phase", options);
  const { positional, keywords } = splitReplyLine(value);
  const progress = Number(keywords.get("PROGRESS"));
  if (positional[1] !== "BOOTSTRAP" || !Number.isInteger(progress)) {
    throw new ControlProtocolError(
      "MalformedReply",
      `Cannot parse status/bootstrap-phase ${JSON.stringify(value.slice(0, 80))}`,
    );
  }
  return {
    severity: positional[0] ?? "",
    progress,
    tag: keywords.get("TAG") ?? "",
    summary: keywords.get("SUMMARY") ?? "",
    arguments: keywords,
  };
}

/**
 * `GETINFO dir/status-vote/current/consensus-microdesc`: the cached microdescriptor consensus
 * (needs tor ≥ 0.4.3.1-alpha). Tor answers 551 when it has none on disk.
 */
export function getMicrodescConsensus(
  client: ControlRequester,
  options: GetInfoOptions = {},
): Promise<string> {
  return getOne(client, "dir/status-vote/current/consensus-microdesc", options);
}

/** `GETINFO md/all`: every microdescriptor tor knows, concatenated (empty when none). */
export function getAllMicrodescs(
  client: ControlRequester,
  options: GetInfoOptions = {},
): Promise<string> {
  return getOne(client, "md/all", options);
}

/**
 * `GETINFO net/listeners/socks`: tor's SOCKS listeners, e.g. `["127.0.0.1:9050"]` (empty when
 * there is none, e.g. with `DisableNetwork 1`).
 *
 * @throws {ControlProtocolError} If an entry is not a QuotedString.
 */
export async function getSocksListeners(
  client: ControlRequester,
  options: GetInfoOptions = {},
): Promise<string[]> {
  const tokens = tokenizeReplyLine(await getOne(client, "net/listeners/socks", options));
  if (tokens.some((t) => !t.quoted)) {
    throw new ControlProtocolError(
      "MalformedReply",
      "Cannot parse net/listeners/socks: expected quoted addresses",
    );
  }
  return tokens.map((t) => t.value);
}
