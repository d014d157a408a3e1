import assert from "node:assert/strict";
import { toBase64, toBase64NoPad, toHex } from "../../src/bytes/mod.ts";
import { sha256 } from "../../src/crypto/mod.ts";
import { parseMicrodescConsensus, parseProtocols } from "../../src/netdoc/consensus.ts";
import { NetdocSyntaxError } from "../../src/netdoc/errors.ts";
import { MicrodescCache, parseMicrodescriptors } from "../../src/netdoc/microdesc.ts";

const MD1 =
  "onion-key\n-----BEGIN RSA PUBLIC KEY-----\nMIGJAoGBALYA\n-----END RSA PUBLIC KEY-----\n" +
  "ntor-onion-key FCYA/K3ArWucNWCj+z0xTiF9nf4W0OYdT5jcGNQBhS8=\n" +
  `id ed25519 ${toBase64NoPad(new Uint8Array(32).fill(0x11))}\n`;
// After prop350 the onion-key line may carry no object.
const MD2 = "onion-key\nntor-onion-key WEGYwHhRqOx3i9AeGiL0GfYdwtW32K6WzTCLXgYFJU0=\n" +
  `id ed25519 ${toBase64NoPad(new Uint8Array(32).fill(0x22))}\n`;

function consensus(extraHeader = "", relays = ""): string {
  return `network-status-version 3 microdesc
vote-status consensus
consensus-method 33
valid-after 2026-11-24 17:00:00
fresh-until 2026-11-24 18:00:00
valid-until 2026-11-24 20:00:00
params CircuitPriorityHalflifeMsec=30000 hsdir_spread_store=3 some_negative=-5
shared-rand-previous-value 9 ${toBase64(new Uint8Array(32).fill(0x2a))}
shared-rand-current-value 9 ${toBase64(new Uint8Array(32).fill(0x29))}
${extraHeader}dir-source test0 0232AF901C31A04EE9848595AF9BB7620D4C5B2E 127.0.0.1 127.0.0.1 7000 5000
${relays}r relay1 ${
    toBase64NoPad(new Uint8Array(20).fill(0xab))
  } 2026-11-24 16:59:01 127.0.0.1 5001 0
m ${toBase64NoPad(sha256(MD1))}
s Fast Guard HSDir Running Stable V2Dir Valid
v Tor 0.4.9.11
pr Conflux=1 Cons=1-2 Desc=1-2 DirCache=2 FlowCtrl=1-2 HSDir=2 HSIntro=4-5 HSRend=1-2 Link=1-5 LinkAuth=1,3 Microdesc=1-2 Relay=1-4
w Bandwidth=0 Unmeasured=1
r relay2 ${toBase64NoPad(new Uint8Array(20).fill(0xcd))} 2026-11-24 16:59:02 127.0.0.1 5002 0
m ${toBase64NoPad(sha256(MD2))}
s Fast Running Valid
directory-footer
bandwidth-weights Wbd=0
directory-signature 0232AF901C31A04EE9848595AF9BB7620D4C5B2E 1234
-----BEGIN SIGNATURE-----
AAAA
-----END SIGNATURE-----
`;
}

Deno.test("parseMicrodescConsensus() reads times, params, SRVs and router entries", () => {
  const c = parseMicrodescConsensus(consensus());
  assert.equal(c.validAfter, Date.UTC(2026, 10, 24, 17) / 1000);
  assert.equal(c.freshUntil - c.validAfter, 3600);
  assert.equal(c.validUntil - c.validAfter, 3 * 3600);
  assert.equal(c.params.get("hsdir_spread_store"), 3);
  assert.equal(c.params.get("some_negative"), -5);
  assert.equal(toHex(c.srvCurrent!.toBytes()), "29".repeat(32));
  assert.equal(toHex(c.srvPrevious!.toBytes()), "2a".repeat(32));
  assert.equal(c.relays.length, 2);
  const [r1, r2] = c.relays;
  assert.equal(r1!.nickname, "relay1");
  assert.equal(r1!.fingerprint, "AB".repeat(20));
  assert.equal(r1!.orPort, 5001);
  assert.ok(r1!.flags.has("HSDir"));
  assert.equal(r1!.version, "Tor 0.4.9.11");
  assert.deepEqual([...r1!.protocols!.get("HSDir")!], [2]);
  assert.deepEqual([...r1!.protocols!.get("LinkAuth")!], [1, 3]);
  assert.equal(r2!.protocols, undefined);
  assert.equal(r2!.flags.has("HSDir"), false);
});

Deno.test("parseMicrodescConsensus() accepts a consensus without shared random values", () => {
  const text = consensus().replace(/^shared-rand-.*\n/gm, "");
  const c = parseMicrodescConsensus(text);
  assert.equal(c.srvCurrent, undefined);
  assert.equal(c.srvPrevious, undefined);
});

Deno.test("parseMicrodescConsensus() rejects missing times and malformed fields with a line number", () => {
  assert.throws(
    () => parseMicrodescConsensus(consensus().replace(/^fresh-until.*\n/m, "")),
    (e: unknown) =>
      e instanceof NetdocSyntaxError && e.kind === "MissingKeyword" && e.document === "consensus",
  );
  assert.throws(
    () =>
      parseMicrodescConsensus(
        consensus().replace("valid-after 2026-11-24 17:00:00", "valid-after yesterday"),
      ),
    /^NetdocSyntaxError: Cannot parse consensus at line 4: bad time "yesterday "$/,
  );
  assert.throws(
    () =>
      parseMicrodescConsensus(consensus().replace("hsdir_spread_store=3", "hsdir_spread_store=x")),
    /^NetdocSyntaxError: Cannot parse consensus at line 7: bad parameter "hsdir_spread_store=x"$/,
  );
  assert.throws(
    () =>
      parseMicrodescConsensus(
        consensus().replace(/shared-rand-current-value 9 \S+/, "shared-rand-current-value 9 AAAA"),
      ),
    /Cannot parse consensus at line \d+: bad shared random value/,
  );
});

Deno.test("parseProtocols() expands ranges and rejects garbage", () => {
  assert.deepEqual([...parseProtocols(["Link=1-3,5"]).get("Link")!], [1, 2, 3, 5]);
  assert.throws(() => parseProtocols(["Link=3-1"]), NetdocSyntaxError);
  assert.throws(() => parseProtocols(["Link"]), NetdocSyntaxError);
});

Deno.test("parseMicrodescriptors() digests each microdescriptor with its final newline", () => {
  // GETINFO md/all loses the final newline of the last microdescriptor.
  const mds = parseMicrodescriptors(MD1 + MD2.slice(0, -1));
  assert.equal(mds.length, 2);
  assert.equal(mds[0]!.digest, toBase64NoPad(sha256(MD1)));
  assert.equal(mds[1]!.digest, toBase64NoPad(sha256(MD2)));
  assert.equal(toHex(mds[0]!.ed25519Id!.toBytes()), "11".repeat(32));
  assert.equal(toHex(mds[1]!.ed25519Id!.toBytes()), "22".repeat(32));
});

Deno.test("parseMicrodescriptors() leaves a malformed ed25519 id undefined and accepts empty input", () => {
  assert.deepEqual(parseMicrodescriptors(""), []);
  const [md] = parseMicrodescriptors("onion-key\nid ed25519 not-base64!\n");
  assert.equal(md!.ed25519Id, undefined);
});

Deno.test("MicrodescCache.parse() gives what parseMicrodescriptors() gives, reusing the objects of unchanged microdescriptors", () => {
  const cache = new MicrodescCache();
  const first = cache.parse(MD1 + MD2.slice(0, -1)); // md/all loses the final newline
  assert.deepEqual(first, parseMicrodescriptors(MD1 + MD2.slice(0, -1)));
  // Next consensus: MD2 now in the middle with its newline, MD1 unchanged, a third one new.
  const md3 = MD1.replace("onion-key", "onion-key\nfamily $AAAA");
  const second = cache.parse(MD2 + MD1 + md3);
  assert.deepEqual(second, parseMicrodescriptors(MD2 + MD1 + md3));
  assert.equal(second[0], first[1], "MD2 (its lost newline restored before) is the same text");
  assert.equal(second[1], first[0]);
  assert.notEqual(second[2]!.digest, first[0]!.digest);
  assert.equal(cache.size, 3);
  // Only the last parse is kept.
  cache.parse(md3);
  assert.equal(cache.size, 1);
});
