/**
 * Typed asynchronous events: HS_DESC, HS_DESC_CONTENT, STATUS_CLIENT and NEWCONSENSUS.
 *
 * Spec: control-spec §4.1.25 HS_DESC, §4.1.26 HS_DESC_CONTENT, §4.1.10 STATUS_CLIENT, §4.1.12
 * NEWCONSENSUS; tor `feature/control/control_events.c: control_event_hs_descriptor_*`,
 * `control_event_hsv3_descriptor_*` (the forms tor 0.4.9 actually emits).
 *
 * Role: pure parsers from a raw 650 {@link Reply} to a typed event, plus {@link subscribeEvents},
 * which wraps `ControlClient.subscribe`. As control-spec §4.1 asks, unknown actions, reasons and
 * keyword arguments are kept (`extra`, the raw `action` string), never rejected; the subscription
 * logs each unknown value once. A malformed event is logged and skipped, never silently dropped.
 *
 * @module
 */

import type { Logger } from "../log/mod.ts";
import type { EventHandler, Subscription } from "./client.ts";
import { ControlProtocolError } from "./errors.ts";
import type { Reply } from "./framing.ts";
import { splitReplyLine } from "./reply_line.ts";

/** HS_DESC actions of control-spec §4.1.25. */
export const HS_DESC_ACTIONS = [
  "REQUESTED",
  "UPLOAD",
  "RECEIVED",
  "UPLOADED",
  "IGNORE",
  "FAILED",
  "CREATED",
] as const;

/** HS_DESC `REASON=` values of control-spec §4.1.25. */
export const HS_DESC_REASONS = [
  "BAD_DESC",
  "QUERY_REJECTED",
  "UPLOAD_REJECTED",
  "NOT_FOUND",
  "UNEXPECTED",
  "QUERY_NO_HSDIR",
  "QUERY_RATE_LIMITED",
] as const;

/** A known HS_DESC action. */
export type HsDescAction = typeof HS_DESC_ACTIONS[number];

/** `650 HS_DESC <Action> <HSAddress> <AuthType> <HsDir> [<DescriptorID>] [KEY=value…]`. */
export interface HsDescEvent {
  readonly type: "HS_DESC";
  /** One of {@link HS_DESC_ACTIONS}, or an unknown action as tor wrote it. */
  readonly action: HsDescAction | (string & Record<never, never>);
  /** The 56-character address without `.onion`; undefined for `UNKNOWN`. */
  readonly address: string | undefined;
  /** `NO_AUTH`, `REND_V3_AUTH`, `UNKNOWN`, … */
  readonly authType: string;
  /** The HSDir as tor named it (`$FP~nick`); undefined for `UNKNOWN`. */
  readonly hsDir: string | undefined;
  /** The HSDir's 40-hex-digit fingerprint in upper case, when `hsDir` has one. */
  readonly hsDirFingerprint: string | undefined;
  /** The blinded key in unpadded base64 (v3); absent on UPLOADED. */
  readonly descriptorId: string | undefined;
  /** `REASON=` of FAILED events. */
  readonly reason: string | undefined;
  /** `REPLICA=`, if given. */
  readonly replica: number | undefined;
  /** `HSDIR_INDEX=` (64 hex digits), if given. */
  readonly hsDirIndex: string | undefined;
  /** Keyword arguments this parser does not know, kept as sent. */
  readonly extra: ReadonlyMap<string, string>;
}

/** `650+HS_DESC_CONTENT <HSAddress> <DescId> <HsDir>` with the descriptor as data. */
export interface HsDescContentEvent {
  readonly type: "HS_DESC_CONTENT";
  /** The address without `.onion`; undefined for `UNKNOWN`. */
  readonly address: string | undefined;
  /** The blinded key in unpadded base64. */
  readonly descriptorId: string;
  /** The HSDir as tor named it; undefined for `UNKNOWN`. */
  readonly hsDir: string | undefined;
  /** Its fingerprint, when it has one. */
  readonly hsDirFingerprint: string | undefined;
  /** The descriptor (LF line ends); undefined when the block is empty (a failed fetch). */
  readonly descriptor: string | undefined;
}

/** `650 STATUS_CLIENT <Severity> <Action> [arguments]`. */
export interface StatusClientEvent {
  readonly type: "STATUS_CLIENT";
  /** `NOTICE`, `WARN` or `ERR`. */
  readonly severity: string;
  /** E.g. `CONSENSUS_ARRIVED`, `BOOTSTRAP`, `CIRCUIT_ESTABLISHED`. */
  readonly action: string;
  /** Keyword arguments (`PROGRESS=`, `TAG=`, …). */
  readonly arguments: ReadonlyMap<string, string>;
}

/** `650+NEWCONSENSUS` with the NS-format router status entries as data. */
export interface NewConsensusEvent {
  readonly type: "NEWCONSENSUS";
  /** The data block (LF line ends). */
  readonly body: string;
}

/** Any other event, left raw. */
export interface OtherEvent {
  readonly type: "OTHER";
  /** The event keyword, e.g. `CONF_CHANGED`. */
  readonly keyword: string;
  /** The raw reply. */
  readonly reply: Reply;
}

/** Every event this module types. */
export type ControlEvent =
  | HsDescEvent
  | HsDescContentEvent
  | StatusClientEvent
  | NewConsensusEvent
  | OtherEvent;

const FINGERPRINT = /^\$([0-9A-Fa-f]{40})(?:[~=].*)?$/;
const HS_DESC_KEYWORDS = new Set(["REASON", "REPLICA", "HSDIR_INDEX"]);

function malformed(keyword: string, why: string): ControlProtocolError {
  return new ControlProtocolError("MalformedReply", `Cannot parse a "${keyword}" event: ${why}`);
}

function unknownToUndefined(value: string | undefined): string | undefined {
  return value === undefined || value === "UNKNOWN" ? undefined : value;
}

/** The 40-hex fingerprint of a LongName such as `$FP~nick`, upper case. */
function fingerprintOf(hsDir: string | undefined): string | undefined {
  const match = hsDir === undefined ? null : FINGERPRINT.exec(hsDir);
  return match ? match[1]!.toUpperCase() : undefined;
}

/** Splits the first line of an event into its keyword and the rest. */
function firstLine(reply: Reply): { keyword: string; rest: string; data: string | undefined } {
  const line = reply.lines[0];
  const text = line?.text ?? "";
  const space = text.indexOf(" ");
  return {
    keyword: space < 0 ? text : text.slice(0, space),
    rest: space < 0 ? "" : text.slice(space + 1),
    data: line?.data,
  };
}

/**
 * Parses an HS_DESC event.
 *
 * @param reply The raw 650 reply.
 * @returns The typed event; unknown keywords are kept in `extra`.
 * @throws {ControlProtocolError} If it is not HS_DESC or has fewer than four positional fields.
 */
export function parseHsDescEvent(reply: Reply): HsDescEvent {
  const { keyword, rest } = firstLine(reply);
  if (keyword !== "HS_DESC") throw malformed("HS_DESC", `the keyword is "${keyword}"`);
  const { positional, keywords } = splitReplyLine(rest);
  const [action, address, authType, hsDir, descriptorId] = positional;
  if (
    action === undefined || address === undefined || authType === undefined || hsDir === undefined
  ) {
    throw malformed("HS_DESC", `expected at least 4 fields, found ${positional.length}`);
  }
  const replica = keywords.get("REPLICA");
  return {
    type: "HS_DESC",
    action,
    address: unknownToUndefined(address),
    authType,
    hsDir: unknownToUndefined(hsDir),
    hsDirFingerprint: fingerprintOf(hsDir),
    descriptorId,
    reason: keywords.get("REASON"),
    replica: replica !== undefined && /^\d+$/.test(replica) ? Number(replica) : undefined,
    hsDirIndex: keywords.get("HSDIR_INDEX"),
    extra: new Map([...keywords].filter(([key]) => !HS_DESC_KEYWORDS.has(key))),
  };
}

/**
 * Parses an HS_DESC_CONTENT event.
 *
 * @param reply The raw 650 reply (its first line carries the data block).
 * @returns The typed event.
 * @throws {ControlProtocolError} If it is not HS_DESC_CONTENT, lacks fields or lacks the data block.
 */
export function parseHsDescContentEvent(reply: Reply): HsDescContentEvent {
  const { keyword, rest, data } = firstLine(reply);
  if (keyword !== "HS_DESC_CONTENT") {
    throw malformed("HS_DESC_CONTENT", `the keyword is "${keyword}"`);
  }
  const [address, descriptorId, hsDir] = splitReplyLine(rest).positional;
  if (address === undefined || descriptorId === undefined || hsDir === undefined) {
    throw malformed("HS_DESC_CONTENT", "expected HSAddress, DescId and HsDir");
  }
  if (data === undefined) throw malformed("HS_DESC_CONTENT", "no data block");
  return {
    type: "HS_DESC_CONTENT",
    address: unknownToUndefined(address),
    descriptorId,
    hsDir: unknownToUndefined(hsDir),
    hsDirFingerprint: fingerprintOf(hsDir),
    descriptor: data.trim() === "" ? undefined : data,
  };
}

/**
 * Parses a STATUS_CLIENT event.
 *
 * @param reply The raw 650 reply.
 * @returns The typed event.
 * @throws {ControlProtocolError} If it is not STATUS_CLIENT or lacks severity and action.
 */
export function parseStatusClientEvent(reply: Reply): StatusClientEvent {
  const { keyword, rest } = firstLine(reply);
  if (keyword !== "STATUS_CLIENT") throw malformed("STATUS_CLIENT", `the keyword is "${keyword}"`);
  const { positional, keywords } = splitReplyLine(rest);
  const [severity, action] = positional;
  if (severity === undefined || action === undefined) {
    throw malformed("STATUS_CLIENT", "expected a severity and an action");
  }
  return { type: "STATUS_CLIENT", severity, action, arguments: keywords };
}

/**
 * Parses any event: the four types above are typed, every other one is returned as `OTHER`.
 *
 * @param reply A raw 650 reply.
 * @returns The typed event.
 * @throws {ControlProtocolError} If an event of a typed kind is malformed.
 */
export function parseEvent(reply: Reply): ControlEvent {
  const { keyword, data } = firstLine(reply);
  switch (keyword) {
    case "HS_DESC":
      return parseHsDescEvent(reply);
    case "HS_DESC_CONTENT":
      return parseHsDescContentEvent(reply);
    case "STATUS_CLIENT":
      return parseStatusClientEvent(reply);
    case "NEWCONSENSUS":
      if (data === undefined) throw malformed("NEWCONSENSUS", "no data block");
      return { type: "NEWCONSENSUS", body: data };
    default:
      return { type: "OTHER", keyword, reply };
  }
}

/**
 * Whether an event says a new consensus arrived: `STATUS_CLIENT … CONSENSUS_ARRIVED` (what
 * OnionBalance listens to) or `NEWCONSENSUS`.
 */
export function isConsensusArrival(event: ControlEvent): boolean {
  return event.type === "NEWCONSENSUS" ||
    (event.type === "STATUS_CLIENT" && event.action === "CONSENSUS_ARRIVED");
}

/**
 * Values in `event` that this module does not know (HS_DESC actions, reasons, keywords), as
 * short descriptions such as `HS_DESC action "FOO"`.
 */
export function unknownValues(event: ControlEvent): string[] {
  if (event.type !== "HS_DESC") return [];
  const found: string[] = [];
  if (!(HS_DESC_ACTIONS as readonly string[]).includes(event.action)) {
    found.push(`HS_DESC action "${event.action}"`);
  }
  if (
    event.reason !== undefined && !(HS_DESC_REASONS as readonly string[]).includes(event.reason)
  ) {
    found.push(`HS_DESC reason "${event.reason}"`);
  }
  for (const key of event.extra.keys()) found.push(`HS_DESC keyword "${key}"`);
  return found;
}

/** What {@link subscribeEvents} needs from the client. */
export interface EventSource {
  subscribe(eventTypes: readonly string[], handler: EventHandler): Promise<Subscription>;
}

/** Options of {@link subscribeEvents}. */
export interface SubscribeEventsOptions {
  /** Receives each typed event. */
  onEvent: (event: ControlEvent) => void;
  /** Where malformed events and unknown values are reported. */
  log: Logger;
}

/**
 * Subscribes to events and delivers them typed. Malformed events are logged at warning level and
 * skipped; each unknown action, reason or keyword is logged once at info level.
 *
 * @param client The control client.
 * @param eventTypes Event keywords, e.g. `["HS_DESC", "STATUS_CLIENT"]`.
 * @param options The typed handler and the logger.
 * @returns The subscription.
 */
export function subscribeEvents(
  client: EventSource,
  eventTypes: readonly string[],
  options: SubscribeEventsOptions,
): Promise<Subscription> {
  const reported = new Set<string>();
  return client.subscribe(eventTypes, (reply) => {
    let event: ControlEvent;
    try {
      event = parseEvent(reply);
    } catch (error) {
      if (!(error instanceof ControlProtocolError)) throw error;
      options.log.warning(`Ignored a malformed event: ${error.message}`);
      return;
    }
    for (const value of unknownValues(event)) {
      if (reported.has(value)) continue;
      reported.add(value);
      options.log.info(`Tor sent an unknown ${value}; kept as is`);
    }
    options.onEvent(event);
  });
}
