import assert from "node:assert/strict";
import { CertError } from "../../../src/cert/mod.ts";
import {
  checkHsDescInner,
  encodeHsDescInner,
  type NetdocErrorKind,
  NetdocSyntaxError,
  parseHsDescInner,
} from "../../../src/netdoc/mod.ts";
import { A12, A12_SIGNING_KEY, fill, introPointText } from "./_fixtures.ts";

const ip = introPointText(0x44);
const check = { signingKey: A12_SIGNING_KEY.public, now: A12.now };

function assertSyntax(text: string, kind: NetdocErrorKind, line?: number): void {
  assert.throws(() => parseHsDescInner(text), (e: unknown) => {
    assert.ok(e instanceof NetdocSyntaxError, `not a NetdocSyntaxError: ${e}`);
    assert.equal(e.kind, kind, e.message);
    assert.equal(e.document, "inner");
    if (line !== undefined) assert.equal(e.line, line, e.message);
    return true;
  });
}

Deno.test("parseHsDescInner() reads the header lines and intro points", () => {
  const text = "create2-formats 2 3 x\nintro-auth-required ed25519\nsingle-onion-service\n" +
    "flow-control 1-2 31\npow-params v1 " + btoa("\x01".repeat(32)) + " 614 2024-04-11T05:15:37\n" +
    ip + ip;
  const inner = parseHsDescInner(text);
  assert.deepEqual(inner.create2Formats, [2, 3]);
  assert.deepEqual(inner.introAuthRequired, ["ed25519"]);
  assert.equal(inner.singleOnionService, true);
  assert.deepEqual(inner.flowControl, { versions: "1-2", sendmeInc: 31 });
  assert.deepEqual(inner.powParams, {
    type: "v1",
    seed: fill(32, 1),
    suggestedEffort: 614,
    expiration: new Date("2024-04-11T05:15:37Z"),
  });
  assert.deepEqual(inner.introPoints.map((p) => p.line), [6, 21]);
  assert.equal(checkHsDescInner(inner, check).introPoints.length, 2);
});

Deno.test("encodeHsDescInner() writes tor's order and parses back", () => {
  const powParams = {
    type: "v1" as const,
    seed: fill(32, 9),
    suggestedEffort: 7,
    expiration: new Date("2030-01-02T03:04:05Z"),
  };
  const text = encodeHsDescInner({
    introAuthRequired: true,
    singleOnionService: true,
    flowControl: { versions: "1-2", sendmeInc: 31 },
    powParams,
    introPoints: [],
  });
  assert.equal(
    text,
    "create2-formats 2\nintro-auth-required ed25519\nsingle-onion-service\nflow-control 1-2 31\n" +
      `pow-params v1 ${btoa("\x09".repeat(32))} 7 2030-01-02T03:04:05\n`,
  );
  assert.deepEqual(parseHsDescInner(text).powParams, powParams);
});

Deno.test("parseHsDescInner() accepts stem's inner layer without final newline", () => {
  const inner = parseHsDescInner(`create2-formats 2\n${ip}`.trimEnd());
  assert.equal(checkHsDescInner(inner, check).introPoints.length, 1);
  assert.deepEqual(parseHsDescInner("create2-formats 2").introPoints, []);
});

Deno.test("parseHsDescInner() rejects a malformed header with layer and line", () => {
  assertSyntax("create2-formats 3\n", "BadArgument", 1);
  assertSyntax("create2-formats\n", "BadArgument", 1);
  assertSyntax("single-onion-service\ncreate2-formats 2\n", "WrongStartingToken", 1);
  assertSyntax("create2-formats 2\nintro-auth-required password\n", "BadArgument", 2);
  assertSyntax("create2-formats 2\nflow-control 1-2 0\n", "BadArgument", 2);
  assertSyntax("create2-formats 2\nflow-control 1-2 256\n", "BadArgument", 2);
  assertSyntax("create2-formats 2\nflow-control 1-2\n", "TooFewArguments", 2);
  assertSyntax("create2-formats 2\nflow-control 1 31\nflow-control 1 31\n", "DuplicateKeyword", 3);
  const seed = btoa("\x01".repeat(32));
  assertSyntax(
    `create2-formats 2\npow-params v2 ${seed} 1 2024-04-11T05:15:37\n`,
    "BadArgument",
    2,
  );
  assertSyntax(`create2-formats 2\npow-params v1 AAAA 1 2024-04-11T05:15:37\n`, "BadArgument", 2);
  assertSyntax(
    `create2-formats 2\npow-params v1 ${seed} 4294967296 2024-04-11T05:15:37\n`,
    "BadArgument",
    2,
  );
  assertSyntax(
    `create2-formats 2\npow-params v1 ${seed} 1 2024-04-11 05:15:37\n`,
    "BadArgument",
    2,
  );
  assertSyntax(
    `create2-formats 2\npow-params v1 ${seed} 1 2024-13-11T05:15:37\n`,
    "BadArgument",
    2,
  );
  // A header keyword inside an intro-point section counts too (tor tokenizes the whole text).
  assertSyntax(
    `create2-formats 2\n${ip}single-onion-service\nsingle-onion-service\n`,
    "DuplicateKeyword",
  );
});

Deno.test("parseHsDescInner() drops malformed intro points and says where and why", () => {
  const cases: [string, NetdocErrorKind, string | undefined][] = [
    [
      ip.replace(/^introduction-point \S+/, "introduction-point AQ=="),
      "BadArgument",
      "introduction-point",
    ],
    [ip.replace(/onion-key ntor/, "onion-key x25519"), "BadArgument", "introduction-point"],
    [ip.replace(/onion-key ntor \S+/, "onion-key ntor AAAA"), "BadArgument", "onion-key"],
    [ip.replace(/enc-key ntor/, "enc-key ntor2"), "BadArgument", "enc-key"],
    [ip.replace(/auth-key\n/, "auth-key x\n"), "TooManyArguments", "auth-key"],
    [ip.replace(/enc-key-cert\n[^]*$/, ""), "MissingKeyword", "enc-key-cert"],
    [
      ip.replace("auth-key\n-----BEGIN ED25519 CERT", "auth-key\n-----BEGIN ED25519 KEY").replace(
        "-----END ED25519 CERT-----\nenc-key ",
        "-----END ED25519 KEY-----\nenc-key ",
      ),
      "WrongObjectType",
      "auth-key",
    ],
    [
      ip + "legacy-key\n-----BEGIN RSA PUBLIC KEY-----\nAAAA\n-----END RSA PUBLIC KEY-----\n",
      "MissingKeyword",
      "legacy-key",
    ],
  ];
  for (const [bad, kind, keyword] of cases) {
    const inner = parseHsDescInner(`create2-formats 2\n${ip}${bad}${ip}`);
    assert.equal(inner.introPoints.length, 2, kind);
    const [rejected] = inner.rejectedIntroPoints;
    assert.ok(rejected?.error instanceof NetdocSyntaxError);
    assert.equal(rejected.error.kind, kind, rejected.error.message);
    assert.equal(rejected.error.keyword, keyword, rejected.error.message);
    assert.equal(rejected.line, 17);
  }
});

Deno.test("checkHsDescInner() drops intro points whose certs fail, tor-style", () => {
  const expired = introPointText(0x10, { expirationHours: 525972 }); // now is hour 525973;
  const wrongType = introPointText(0x20, { authCertType: 0x0b });
  const inner = parseHsDescInner(`create2-formats 2\n${expired}${ip}${wrongType}`);
  // A wrong cert type is found when parsing; an expired cert when checking.
  assert.equal(inner.rejectedIntroPoints.length, 1);
  const checked = checkHsDescInner(inner, check);
  assert.equal(checked.introPoints.length, 1);
  assert.deepEqual(checked.rejectedIntroPoints.map((r) => r.line), [2, 32]);
  const [first] = checked.rejectedIntroPoints;
  assert.ok(first?.error instanceof CertError && first.error.kind === "Expired");
  assert.match(first.error.message, /^auth-key cert: /);
});
