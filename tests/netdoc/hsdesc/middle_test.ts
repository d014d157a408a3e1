import assert from "node:assert/strict";
import {
  DescAuthEphemeralKeypair,
  encodeHsDescMiddle,
  type NetdocErrorKind,
  NetdocSyntaxError,
  parseHsDescMiddle,
} from "../../../src/netdoc/mod.ts";
import { fill } from "./_fixtures.ts";

const ephemeral = DescAuthEphemeralKeypair.fromSecret(fill(32, 0x33));
const clients = Array.from({ length: 16 }, (_, i) => ({
  clientId: fill(8, i),
  iv: fill(16, i),
  encryptedCookie: fill(16, 0x80 + i),
}));
const middle = encodeHsDescMiddle({
  ephemeralKey: ephemeral.public,
  authClients: clients,
  encrypted: fill(60, 7),
});

function assertSyntax(text: string, kind: NetdocErrorKind, line?: number): void {
  assert.throws(() => parseHsDescMiddle(text), (e: unknown) => {
    assert.ok(e instanceof NetdocSyntaxError, `not a NetdocSyntaxError: ${e}`);
    assert.equal(e.kind, kind, e.message);
    assert.equal(e.document, "middle");
    if (line !== undefined) assert.equal(e.line, line, e.message);
    return true;
  });
}

Deno.test("encodeHsDescMiddle() writes tor's layout with no newline after END", () => {
  assert.ok(
    middle.startsWith(`desc-auth-type x25519\ndesc-auth-ephemeral-key ${ephemeral.public}\n`),
  );
  assert.ok(
    middle.includes("\nauth-client AAAAAAAAAAA AAAAAAAAAAAAAAAAAAAAAA gICAgICAgICAgICAgICAgA\n"),
  );
  assert.ok(middle.endsWith("\n-----END MESSAGE-----"));
});

Deno.test("parseHsDescMiddle() reads what encodeHsDescMiddle() wrote, with or without final newline", () => {
  for (const text of [middle, middle + "\n"]) {
    const parsed = parseHsDescMiddle(text);
    assert.equal(parsed.authType, "x25519");
    assert.ok(parsed.ephemeralKey.equals(ephemeral.public));
    assert.deepEqual(parsed.authClients, clients);
    assert.deepEqual(parsed.encrypted, fill(60, 7));
  }
});

Deno.test("parseHsDescMiddle() follows tor's superencrypted token table", () => {
  assertSyntax(middle.replace("desc-auth-type x25519", "desc-auth-type ed25519"), "BadArgument", 1);
  assertSyntax(middle.replace("desc-auth-type x25519\n", ""), "MissingKeyword");
  assertSyntax(middle.replace(/auth-client .*\n/g, ""), "MissingKeyword");
  assertSyntax(
    middle.replace(/desc-auth-ephemeral-key (\S+)/, "desc-auth-ephemeral-key $1A"),
    "BadArgument",
    2,
  );
  assertSyntax(
    middle.replace("auth-client AAAAAAAAAAA ", "auth-client AAAAAAAAAAAA "),
    "BadArgument",
    3,
  );
  assertSyntax(
    middle.replace(/auth-client (\S+) (\S+) \S+\n/, "auth-client $1 $2\n"),
    "TooFewArguments",
    3,
  );
  assertSyntax(middle.replace("encrypted\n", "encrypted 1\n"), "TooManyArguments");
  assertSyntax(
    middle.replace("BEGIN MESSAGE", "BEGIN X").replace("END MESSAGE", "END X"),
    "WrongObjectType",
  );
  assertSyntax("future 1\n" + middle, "WrongStartingToken", 1);
  // An "auth-client" with extra arguments and an unknown line are accepted (GE(3), forward compatibility).
  const extra = parseHsDescMiddle(middle.replace(/(auth-client .*)\n/, "$1 more\nnew-thing 1\n"));
  assert.deepEqual(extra.unrecognized.map((i) => [i.keyword, i.line]), [["new-thing", 4]]);
});
