import assert from "node:assert/strict";
import {
  ControlProtocolError,
  encodeCommand,
  parseReplies,
  parseReply,
  type Reply,
  ReplyFramer,
} from "../../src/control/mod.ts";

const VECTORS = new URL("../vectors/control/", import.meta.url);
const readVectors = { permissions: { read: [VECTORS] } };
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

function summary(reply: Reply): string[] {
  return reply.lines.map((l) => `${l.status}${l.divider}${l.text}${l.data ? `|${l.data}` : ""}`);
}

function assertProtocolError(kind: string, body: () => unknown): void {
  assert.throws(body, (error) => {
    assert.ok(error instanceof ControlProtocolError, String(error));
    assert.equal(error.kind, kind);
    return true;
  });
}

// A13: the replies of a tor 0.4.9.11 control session on loopback (`DisableNetwork 1`, cookie and
// password authentication), written out as the bytes tor sends. tests/vectors/control/ holds
// captured sessions of the same tor.
const A13 = [
  '250-PROTOCOLINFO 1\r\n250-AUTH METHODS=COOKIE,SAFECOOKIE,HASHEDPASSWORD COOKIEFILE="/var/lib/tor/control_auth_cookie"\r\n250-VERSION Tor="0.4.9.11"\r\n250 OK\r\n',
  "250-version=0.4.9.11\r\n250 OK\r\n",
  '250-status/bootstrap-phase=NOTICE BOOTSTRAP PROGRESS=0 TAG=starting SUMMARY="Starting"\r\n250 OK\r\n',
  '250-net/listeners/control="127.0.0.1:39051"\r\n250 OK\r\n',
  "551 Could not open cached consensus. Make sure FetchUselessDescriptors is set to 1.\r\n",
  "250-md/all=\r\n250 OK\r\n",
  '552 Unrecognized key "nonexistent/key"\r\n',
  "551 Not found in cache\r\n",
  "250+config-text=\r\nControlPort 39051\r\nDataDirectory /tmp/x\r\n.\r\n250 OK\r\n",
  '552 Unrecognized event "BOGUS_EVENT"\r\n',
  '513 Invalid argument "x.onion"\r\n',
  "554 Invalid descriptor\r\n",
  '510 Unrecognized command "FOOBAR"\r\n',
  "250 OK\r\n650-CONF_CHANGED\r\n650-MaxCircuitDirtiness=700\r\n650-NumEntryGuards=2\r\n650 OK\r\n",
  "515 Authentication failed: Password did not match HashedControlPassword *or* authentication cookie.\r\n",
  "514 Authentication required.\r\n",
].join("");

Deno.test("parseReplies() splits the A.13 transcript into its replies and events", () => {
  const replies = parseReplies(A13);
  assert.deepEqual(replies.map((r) => r.status), [
    250,
    250,
    250,
    250,
    551,
    250,
    552,
    551,
    250,
    552,
    513,
    554,
    510,
    250,
    650,
    515,
    514,
  ]);
  assert.deepEqual(summary(replies[0]!), [
    "250-PROTOCOLINFO 1",
    '250-AUTH METHODS=COOKIE,SAFECOOKIE,HASHEDPASSWORD COOKIEFILE="/var/lib/tor/control_auth_cookie"',
    '250-VERSION Tor="0.4.9.11"',
    "250 OK",
  ]);
  assert.deepEqual(summary(replies[8]!), [
    "250+config-text=|ControlPort 39051\nDataDirectory /tmp/x\n",
    "250 OK",
  ]);
  assert.deepEqual(summary(replies[14]!), [
    "650-CONF_CHANGED",
    "650-MaxCircuitDirtiness=700",
    "650-NumEntryGuards=2",
    "650 OK",
  ]);
});

Deno.test("ReplyFramer gives the same replies when the bytes arrive one at a time", () => {
  const framer = new ReplyFramer();
  const replies: Reply[] = [];
  for (const byte of bytes(A13)) replies.push(...framer.push(Uint8Array.of(byte)));
  assert.deepEqual(replies, parseReplies(A13));
  assert.equal(framer.pendingBytes, 0);
});

Deno.test({
  name: "parseReplies() parses the captured tor 0.4.9.11 SAFECOOKIE session, one reply per command",
  ...readVectors,
  fn: async () => {
    const server = await Deno.readTextFile(
      new URL("tor-0.4.9.11-safecookie-session.server.txt", VECTORS),
    );
    const client = await Deno.readTextFile(
      new URL("tor-0.4.9.11-safecookie-session.client.txt", VECTORS),
    );
    const replies = parseReplies(server);
    const commands = client.split("\r\n").filter((l) => /^\+?[A-Z]+( |$)/.test(l));
    const answers = replies.filter((r) => r.status !== 650);
    assert.equal(answers.length, commands.length);
    assert.deepEqual(
      replies.filter((r) => r.status === 650).map((r) => r.lines[0]?.text),
      ["CONF_CHANGED"],
    );
    const last = answers.at(-1)!;
    assert.deepEqual(summary(last), ["250 closing connection"]);
  },
});

Deno.test({
  name: "ReplyFramer un-stuffs the leading dots tor added in a real GETINFO data block",
  ...readVectors,
  fn: async () => {
    const server = await Deno.readTextFile(
      new URL("tor-0.4.9.11-safecookie-session.server.txt", VECTORS),
    );
    const reply = parseReplies(server).find((r) =>
      r.lines[0]?.text === "dir/status-vote/current/consensus-microdesc="
    );
    // capture.py wrote this file into tor's DataDirectory; tor served it with dots doubled.
    assert.equal(
      reply?.lines[0]?.data,
      "network-status-version 3 microdesc\n.leading dot\n..two dots\n.\nlast line\n",
    );
    assert.ok(server.includes("\r\n..leading dot\r\n...two dots\r\n..\r\n"));
  },
});

Deno.test({
  name: "parseReplies() parses every captured transcript without leftover bytes",
  ...readVectors,
  fn: async () => {
    for await (const entry of Deno.readDir(VECTORS)) {
      if (!entry.name.endsWith(".server.txt")) continue;
      const text = decoder.decode(await Deno.readFile(new URL(entry.name, VECTORS)));
      assert.ok(parseReplies(text).length > 0, entry.name);
    }
  },
});

Deno.test("parseReply() reads an HS_DESC_CONTENT event with an empty data block", () => {
  const reply = parseReply(
    "650+HS_DESC_CONTENT 25njqamcweflpvkl73j4szahhihoc4xt3ktcgjnpaingr5yhkenl5sid AAAA $0123456789ABCDEF0123456789ABCDEF01234567~relay\r\n\r\n.\r\n650 OK\r\n",
  );
  assert.equal(reply.status, 650);
  assert.equal(reply.lines[0]?.data, "\n");
  assert.equal(reply.lines[1]?.text, "OK");
});

Deno.test("parseReply() reads several data blocks in one reply", () => {
  const reply = parseReply("250+a=\r\nx\r\n.\r\n250-b=y\r\n250+c=\r\n.\r\n250 OK\r\n");
  assert.deepEqual(summary(reply), ["250+a=|x\n", "250-b=y", "250+c=", "250 OK"]);
  assert.equal(reply.lines[2]?.data, "");
});

Deno.test("parseReply() rejects a line without CRLF", () => {
  assertProtocolError("BareLineFeed", () => parseReply("250 OK\n"));
});

Deno.test("parseReply() rejects an empty line ending in a bare LF", () => {
  assertProtocolError("BareLineFeed", () => parseReplies("250-a=b\r\n\n250 OK\r\n"));
});

Deno.test("parseReply() rejects a bare LF inside a data block", () => {
  assertProtocolError("BareLineFeed", () => parseReply("250+a=\r\nx\ny\r\n.\r\n250 OK\r\n"));
});

Deno.test("parseReply() rejects a line that does not start with three digits", () => {
  assertProtocolError(
    "MalformedLine",
    () => parseReply("HTTP/1.0 501 Tor is not an HTTP Proxy\r\n"),
  );
  assertProtocolError("MalformedLine", () => parseReply("25 OK\r\n"));
});

Deno.test("parseReply() rejects an unknown divider and a line that is too short", () => {
  assertProtocolError("MalformedLine", () => parseReply("250?OK\r\n"));
  assertProtocolError("MalformedLine", () => parseReply("250\r\n"));
});

Deno.test("parseReply() rejects lines of one reply with different status codes", () => {
  assertProtocolError("MixedStatus", () => parseReply("250-version=1\r\n650 OK\r\n"));
});

Deno.test("parseReply() rejects text that ends inside a reply or a data block", () => {
  assertProtocolError("MalformedReply", () => parseReply("250-version=0.4.9.11\r\n"));
  assertProtocolError("MalformedReply", () => parseReply("250+a=\r\nline\r\n"));
  assertProtocolError("MalformedReply", () => parseReply("250 OK"));
});

Deno.test("parseReply() rejects two replies where one is expected", () => {
  assertProtocolError("MalformedReply", () => parseReply("250 OK\r\n250 OK\r\n"));
});

Deno.test("ReplyFramer rejects a line longer than its limit before the line ends", () => {
  const framer = new ReplyFramer({ maxLineBytes: 16 });
  assertProtocolError("LineTooLong", () => framer.push(bytes("250-".padEnd(40, "x"))));
});

Deno.test("ReplyFramer rejects a reply larger than its limit", () => {
  const framer = new ReplyFramer({ maxReplyBytes: 64 });
  framer.push(bytes("250+big=\r\n"));
  assertProtocolError("ReplyTooLarge", () => {
    for (let i = 0; i < 10; i++) framer.push(bytes("0123456789\r\n"));
  });
});

Deno.test("ReplyFramer takes linear time for a long line that arrives in small chunks", () => {
  // Regression (found while writing tests/slow/control_fuzz_slow_test.ts): the framer
  // copied the incomplete line again for every chunk, so this 1 MiB line took about 10 s.
  const framer = new ReplyFramer();
  const piece = bytes("x".repeat(16));
  const started = performance.now();
  const pieces = 1024 * 1024 / 16 - 1; // "250-", the pieces and CRLF: just under the 1 MiB limit.
  framer.push(bytes("250-"));
  for (let i = 0; i < pieces; i++) framer.push(piece);
  const [reply] = framer.push(bytes("\r\n250 OK\r\n"));
  const ms = performance.now() - started;
  assert.equal(reply?.lines[0]?.text.length, pieces * 16);
  assert.equal(framer.pendingBytes, 0);
  assert.ok(ms < 2000, `took ${ms.toFixed(0)} ms`);
});

Deno.test("ReplyFramer stays failed after a protocol error", () => {
  const framer = new ReplyFramer();
  assertProtocolError("MalformedLine", () => framer.push(bytes("garbage\r\n")));
  assertProtocolError("MalformedLine", () => framer.push(bytes("250 OK\r\n")));
});

Deno.test("ReplyFramer reports the bytes and status of an incomplete reply", () => {
  const framer = new ReplyFramer();
  assert.deepEqual(framer.push(bytes("650+HS_DESC_CONTENT a b c\r\nhs-desc")), []);
  assert.equal(framer.pendingStatus, 650);
  assert.equal(framer.pendingBytes, "650+HS_DESC_CONTENT a b c\r\nhs-desc".length);
});

Deno.test("encodeCommand() ends a command with CRLF", () => {
  assert.equal(decoder.decode(encodeCommand("GETINFO version")), "GETINFO version\r\n");
});

Deno.test("encodeCommand() dot-stuffs a data block and ends it with a dot line", () => {
  const wire = decoder.decode(
    encodeCommand("+HSPOST HSADDRESS=x", "hs-descriptor 3\n.x\n..y\nend\n"),
  );
  assert.equal(wire, "+HSPOST HSADDRESS=x\r\nhs-descriptor 3\r\n..x\r\n...y\r\nend\r\n.\r\n");
});

Deno.test("encodeCommand() and ReplyFramer are inverse on a data block", () => {
  const data = "a\n.b\n..\n.\n\nlast\n";
  const wire = decoder.decode(encodeCommand("+X", data)).replace(/^\+X\r\n/, "250+k=\r\n");
  assert.equal(parseReply(`${wire}250 OK\r\n`).lines[0]?.data, data);
});

Deno.test("encodeCommand() accepts CRLF data and data without a final newline", () => {
  assert.equal(decoder.decode(encodeCommand("+X", "a\r\nb")), "+X\r\na\r\nb\r\n.\r\n");
  assert.equal(decoder.decode(encodeCommand("+X", "")), "+X\r\n.\r\n");
});

Deno.test("encodeCommand() rejects a line break in the command line", () => {
  assert.throws(() => encodeCommand("GETINFO version\r\nSIGNAL HALT"), TypeError);
  assert.throws(() => encodeCommand("GETINFO a\nb"), TypeError);
  assert.throws(() => encodeCommand("GETINFO a\0"), TypeError);
});

Deno.test("encodeCommand() requires data exactly for + commands", () => {
  assert.throws(() => encodeCommand("+HSPOST"), TypeError);
  assert.throws(() => encodeCommand("HSPOST", "x"), TypeError);
  assert.throws(() => encodeCommand("+HSPOST", "a\rb"), TypeError);
});
