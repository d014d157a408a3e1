/**
 * Small typed commands: SIGNAL and SETEVENTS.
 *
 * Spec: control-spec §3.7 SIGNAL, §3.4 SETEVENTS; tor `control_cmd.c: handle_control_signal,
 * handle_control_setevents`.
 *
 * Role: functions taking any {@link ControlRequester}. The balancer sends `SIGNAL ACTIVE` when it
 * starts fetching, at most once a minute (keeps its tor out of dormant mode); it never sends
 * `SIGNAL NEWNYM` (OnionBalance 0.2.x does before each fetch round). Prefer `ControlClient.subscribe` to {@link setEvents}: SETEVENTS replaces
 * tor's whole event set, and the client re-sends the union of its subscriptions after reconnects.
 *
 * @module
 */

import { setEventsCommand } from "./client.ts";
import type { ControlRequester, RequestOptions } from "./connection.ts";

/** Signals of control-spec §3.7. */
export type TorSignal =
  | "RELOAD"
  | "HUP"
  | "SHUTDOWN"
  | "INT"
  | "DUMP"
  | "USR1"
  | "DEBUG"
  | "USR2"
  | "HALT"
  | "TERM"
  | "NEWNYM"
  | "CLEARDNSCACHE"
  | "HEARTBEAT"
  | "ACTIVE"
  | "DORMANT";

/** Options of the commands here: a deadline and a cancellation signal. */
export type CommandOptions = Pick<RequestOptions, "signal" | "timeoutMs">;

/**
 * Sends `SIGNAL <name>`.
 *
 * @param client The control client or connection.
 * @param name The signal, e.g. `"ACTIVE"` or `"NEWNYM"`.
 * @param options Deadline and cancellation.
 * @throws {TypeError} If `name` is not an upper-case word.
 * @throws {ControlOperationFailed} 552 if tor does not know the signal.
 */
export async function signal(
  client: ControlRequester,
  name: TorSignal,
  options: CommandOptions = {},
): Promise<void> {
  if (!/^[A-Z0-9]+$/.test(name)) throw new TypeError(`Cannot send SIGNAL: bad name "${name}"`);
  await client.request(`SIGNAL ${name}`, options);
}

/**
 * Sends `SETEVENTS <type>…`, replacing tor's whole event set (none turns events off).
 *
 * @param client The control client or connection.
 * @param eventTypes Event keywords.
 * @param options Deadline and cancellation.
 * @throws {TypeError} If a type is not an upper-case keyword.
 * @throws {ControlOperationFailed} 552 if tor does not know a type (the set is then unchanged).
 */
export async function setEvents(
  client: ControlRequester,
  eventTypes: readonly string[],
  options: CommandOptions = {},
): Promise<void> {
  for (const type of eventTypes) {
    if (!/^[A-Z][A-Z0-9_]*$/.test(type)) {
      throw new TypeError(`Cannot send SETEVENTS: bad event type "${type}"`);
    }
  }
  await client.request(setEventsCommand(eventTypes), options);
}
