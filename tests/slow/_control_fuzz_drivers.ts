/**
 * What one fuzzed input of the control-port fuzz cases (`control_fuzz_slow_test.ts`) goes
 * through: every parser that applies to a reply ({@link parseTyped}), a fresh
 * {@link ReplyFramer} fed in chunks ({@link frame}), the request helpers on a requester that
 * answers with one reply ({@link answering}), a {@link ControlConnection} with requests pending
 * ({@link runConnection}), and a whole {@link ControlClient} session ({@link runSession}), the
 * last two on a fake tor socket. Each counts its outcomes and fails on
 * any error that is not typed, on a buffer beyond the limits, or on a handler that threw.
 *
 * Spec: control-spec §2.3 "Replies from Tor to the controller", §3.9 GETINFO, §3.21
 * PROTOCOLINFO, §3.26 HSFETCH, §3.29 HSPOST, §4.1 "Asynchronous events".
 * <https://spec.torproject.org/control-spec/>
 *
 * Role: never touches the network (the socket is {@link FakeSocket}).
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  checkTorVersion,
  ControlClient,
  ControlConnection,
  ControlError,
  ControlOperationFailed,
  ControlProtocolError,
  type ControlRequester,
  ControlSocketClosed,
  ControlTimeoutError,
  EVENT_STATUS,
  getBootstrapPhase,
  getInfo,
  hsFetch,
  hsPost,
  isConsensusArrival,
  parseEvent,
  parseGetInfoReply,
  parseProtocolInfo,
  parseReply,
  type Reply,
  ReplyFramer,
  signal,
  splitReplyLine,
  subscribeEvents,
  torHandshake,
  unknownValues,
} from "../../src/control/mod.ts";
import { failureLog, FakeSocket } from "../control/_fake_tor_socket.ts";
import {
  count,
  describe,
  type ErrorClass,
  type FuzzStats,
  LIMITS,
  outcome,
  REQUEST_ERRORS,
  typed,
} from "./_control_fuzz_harness.ts";
import { ADDRESS, COMMANDS, DESCRIPTOR, FP_A, FP_B, utf8 } from "./_control_fuzz_seeds.ts";

// ---------------------------------------------------------------------------------------------
// The framer and the parsers

/** Runs every parser that applies to `reply`; each must succeed or throw a typed error. */
export function parseTyped(reply: Reply, stats: FuzzStats): void {
  if (reply.status === EVENT_STATUS) {
    outcome(stats, "event", () => {
      const event = parseEvent(reply);
      unknownValues(event);
      isConsensusArrival(event);
    });
    return;
  }
  for (const line of reply.lines) outcome(stats, "tokens", () => splitReplyLine(line.text));
  if (reply.status < 200 || reply.status > 299) return;
  outcome(stats, "getinfo", () => {
    const version = parseGetInfoReply(reply).get("version");
    if (version !== undefined) checkTorVersion(version);
  });
  outcome(stats, "protocolinfo", () => checkTorVersion(parseProtocolInfo(reply).torVersion));
}

export interface Framed {
  replies: Reply[];
  error?: ControlProtocolError;
  pending: number;
}

/** Feeds `chunks` to a fresh framer; checks that what it buffers stays within its limits. */
export function frame(chunks: readonly Uint8Array[]): Framed {
  const framer = new ReplyFramer(LIMITS);
  const replies: Reply[] = [];
  for (const piece of chunks) {
    try {
      replies.push(...framer.push(piece));
    } catch (error) {
      typed(error, [ControlProtocolError], "ReplyFramer.push()");
      // A failed framer stays failed, with the same error.
      assert.throws(() => framer.push(new Uint8Array(0)), (again) => again === error);
      return { replies, error: error as ControlProtocolError, pending: framer.pendingBytes };
    }
    const pending = framer.pendingBytes;
    assert.ok(pending <= LIMITS.maxLineBytes + LIMITS.maxReplyBytes, `buffers ${pending} bytes`);
  }
  return { replies, pending: framer.pendingBytes };
}

const OK_REPLY = parseReply("250 OK\r\n");

/** A requester answering every command with `reply`, and AUTHENTICATE with 250 OK. */
export function answering(reply: Reply): ControlRequester {
  return {
    request: (command) => Promise.resolve(command.startsWith("AUTHENTICATE") ? OK_REPLY : reply),
  };
}

// ---------------------------------------------------------------------------------------------
// A ControlConnection and a ControlClient on a fake socket

/** Feeds `chunks` to a connection with `requests` pending; each must settle typed. */
export async function runConnection(
  chunks: readonly Uint8Array[],
  requests: number,
  silent: boolean,
  stats: FuzzStats,
): Promise<void> {
  const failures: string[] = [];
  const socket = new FakeSocket({ chunks, end: silent ? "silent" : "eof" });
  const conn = new ControlConnection(socket.conn, {
    log: failureLog(failures),
    name: "fuzz",
    timeoutMs: silent ? 5 : 4_000,
    framer: LIMITS,
    onEvent: (event) => {
      if (event.status !== EVENT_STATUS) failures.push(`an event with status ${event.status}`);
      try {
        outcome(stats, "event", () => parseEvent(event));
      } catch (error) {
        failures.push(describe(error)); // The connection would only log it.
      }
    },
  });
  const settled = await Promise.all(
    Array.from({ length: requests }, (_, i) => {
      const [command, data] = COMMANDS[i % COMMANDS.length]!;
      return conn.request(command, data === undefined ? {} : { data }).then(
        (reply) => ({ reply }),
        (error: unknown) => ({ error }),
      );
    }),
  );
  // Only a silent tor lets a request run into its deadline; at EOF all fail at once.
  const allowed: ErrorClass[] = [ControlOperationFailed, ControlProtocolError, ControlSocketClosed];
  if (silent) allowed.push(ControlTimeoutError);
  for (const result of settled) {
    if ("reply" in result) {
      assert.ok(result.reply.status >= 200 && result.reply.status < 300);
      count(stats, "request: reply");
      continue;
    }
    count(stats, `request: ${typed(result.error, allowed, "request()")}`);
    if (result.error instanceof ControlOperationFailed) {
      const code = result.error.code;
      assert.ok((code < 200 || code > 299) && code !== EVENT_STATUS, `refused with ${code}`);
    }
  }
  if (!silent) {
    await conn.done;
    count(stats, `closed: ${typed(conn.closeReason, [ControlError], "closeReason")}`);
  }
  await conn.close();
  assert.deepEqual(failures, []);
}

const SESSION_ERRORS = [...REQUEST_ERRORS, ControlSocketClosed];

/**
 * A client session against the fake tor: connect (PROTOCOLINFO, version check, AUTHENTICATE),
 * subscribe, GETINFO, HSFETCH from two HSDirs, HSPOST waiting for the upload, SIGNAL. Each step
 * must succeed or fail typed, and none may wait for its deadline (the fake tor hangs up first).
 *
 * @returns The result of each step that succeeded.
 */
export async function runSession(
  responses: ReadonlyMap<string, readonly Uint8Array[]>,
  stats: FuzzStats,
): Promise<Map<string, unknown>> {
  const failures: string[] = [];
  const log = failureLog(failures);
  const results = new Map<string, unknown>();
  const socket = new FakeSocket({
    end: "idle",
    respond: (keyword) => responses.get(keyword) ?? [utf8('510 Unrecognized command "x"\r\n')],
  });
  const step = async (what: string, fn: () => Promise<unknown>) => {
    try {
      results.set(what, await fn());
      count(stats, `${what}: ok`);
    } catch (error) {
      if (error instanceof ControlTimeoutError) assert.fail(`${what}: waited for its deadline`);
      count(stats, `${what}: ${typed(error, SESSION_ERRORS, what)}`);
    }
  };
  await step("connect", () =>
    ControlClient.connect({
      open: () => Promise.resolve(socket.conn),
      handshake: torHandshake({ name: "fuzz", log }),
      log,
      name: "fuzz",
      reconnect: false,
      timeoutMs: 4_000,
      connectTimeoutMs: 4_000,
      framer: LIMITS,
    }));
  const client = results.get("connect") as ControlClient | undefined;
  if (client === undefined) return results;
  try {
    const types = ["HS_DESC", "HS_DESC_CONTENT", "STATUS_CLIENT", "CONF_CHANGED"];
    await step(
      "subscribe",
      () => client.subscribe(types, (event) => outcome(stats, "event", () => parseEvent(event))),
    );
    await step("subscribeEvents", () => subscribeEvents(client, types, { onEvent: () => {}, log }));
    await step("getInfo", () => getInfo(client, ["version", "net/listeners/socks", "md/all"]));
    await step("getBootstrapPhase", () => getBootstrapPhase(client));
    const [servers, timeoutMs] = [[FP_A, FP_B], 4_000];
    await step("hsFetch", () => hsFetch(client, ADDRESS, { servers, timeoutMs }));
    const post = { address: ADDRESS, hsDir: FP_A, awaitUpload: true, timeoutMs };
    await step("hsPost", () => hsPost(client, DESCRIPTOR, post));
    await step("signal", () => signal(client, "ACTIVE"));
  } finally {
    await client.close();
  }
  assert.deepEqual(failures, []);
  return results;
}
