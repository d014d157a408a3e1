import assert from "node:assert/strict";
import {
  ControlProtocolError,
  quoteString,
  readQuotedString,
  splitReplyLine,
  tokenizeReplyLine,
} from "../../src/control/mod.ts";

Deno.test("splitReplyLine() separates positional and keyword arguments", () => {
  const { positional, keywords } = splitReplyLine(
    'NOTICE BOOTSTRAP PROGRESS=0 TAG=starting SUMMARY="Starting up"',
  );
  assert.deepEqual(positional, ["NOTICE", "BOOTSTRAP"]);
  assert.deepEqual([...keywords], [["PROGRESS", "0"], ["TAG", "starting"], [
    "SUMMARY",
    "Starting up",
  ]]);
});

Deno.test("splitReplyLine() reads PROTOCOLINFO's AUTH line with a quoted cookie path", () => {
  const { keywords } = splitReplyLine(
    'METHODS=COOKIE,SAFECOOKIE,HASHEDPASSWORD COOKIEFILE="/var/lib/tor/control_auth_cookie"',
  );
  assert.equal(keywords.get("METHODS"), "COOKIE,SAFECOOKIE,HASHEDPASSWORD");
  assert.equal(keywords.get("COOKIEFILE"), "/var/lib/tor/control_auth_cookie");
});

Deno.test("tokenizeReplyLine() keeps $FP=nick positional and reads bare quoted strings", () => {
  assert.deepEqual(tokenizeReplyLine('$0123456789ABCDEF0123456789ABCDEF01234567=nick "a b" x'), [
    { value: "$0123456789ABCDEF0123456789ABCDEF01234567=nick", quoted: false },
    { value: "a b", quoted: true },
    { value: "x", quoted: false },
  ]);
});

Deno.test("readQuotedString() unescapes C escapes, including octal", () => {
  assert.deepEqual(readQuotedString('"a\\"b\\\\c\\n\\101" rest', 0), {
    value: 'a"b\\c\nA',
    end: 15,
  });
});

Deno.test("readQuotedString() rejects an unterminated string and an unknown escape", () => {
  assert.throws(() => readQuotedString('"abc', 0), ControlProtocolError);
  assert.throws(() => readQuotedString('"a\\qb"', 0), ControlProtocolError);
});

Deno.test("quoteString() escapes quotes and backslashes and round-trips", () => {
  const value = 'C:\\tor "data"';
  const quoted = quoteString(value);
  assert.equal(quoted, '"C:\\\\tor \\"data\\""');
  assert.equal(readQuotedString(quoted, 0).value, value);
});

Deno.test("quoteString() rejects a line break", () => {
  assert.throws(() => quoteString("a\r\nSIGNAL HALT"), TypeError);
});
