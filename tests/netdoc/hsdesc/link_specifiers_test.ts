import assert from "node:assert/strict";
import { BytesError, fromHex, toHex } from "../../../src/bytes/mod.ts";
import { LinkSpecifiers, linkSpecifierType } from "../../../src/netdoc/mod.ts";

// A73: the link specifiers of a real intro point of arti's hsdesc2.txt (made by tor; arti
// crates/tor-netdoc/testdata/hsdesc2.txt).
const A73 =
  "040006904c51c620fb021438f732dd349a2e59078434651162a2f4201934a50320c357a59f7c97556c2a4887d7d5d18a710425e52e37fd8d174de6348418406a8c01122a0104f8019203c5000000000000000220fb";

Deno.test("LinkSpecifiers.decode() reads the A.7.3 block in tor's order", () => {
  const block = LinkSpecifiers.decode(fromHex(A73));
  assert.equal(
    block.toString(),
    "ipv4 144.76.81.198:8443, legacy $38F732DD349A2E59078434651162A2F4201934A5, " +
      "ed25519 w1eln3yXVWwqSIfX1dGKcQQl5S43/Y0XTeY0hBhAaow, ipv6 [2a01:4f8:192:3c5::2]:8443",
  );
  assert.deepEqual(block.specifiers.map(linkSpecifierType), [0, 2, 3, 1]);
  assert.deepEqual(block.specifiers.map((s) => s.kind), [
    "ipv4",
    "legacy-id",
    "ed25519-id",
    "ipv6",
  ]);
  assert.equal(toHex(block.toBytes()), A73);
  assert.ok(LinkSpecifiers.encode(block.specifiers).equals(block));
});

Deno.test("LinkSpecifiers keeps unknown types byte for byte", () => {
  const block = LinkSpecifiers.decode(fromHex("0209030a0b0c00060102030400ff"));
  assert.deepEqual(block.specifiers[0], { kind: "unknown", type: 9, data: fromHex("0a0b0c") });
  assert.equal(block.toString(), "type 9 0a0b0c, ipv4 1.2.3.4:255");
  assert.equal(
    toHex(LinkSpecifiers.encode(block.specifiers).toBytes()),
    "0209030a0b0c00060102030400ff",
  );
});

Deno.test("LinkSpecifiers.decode() rejects wrong lengths and trailing bytes (trunnel)", () => {
  for (
    const bad of [
      "",
      "01",
      "010005010203040a",
      "010007010203040a0b0c",
      "0100060102030400ff00",
      "0102",
    ]
  ) {
    assert.throws(() => LinkSpecifiers.decode(fromHex(bad)), BytesError, bad);
  }
  assert.equal(LinkSpecifiers.decode(fromHex("00")).specifiers.length, 0);
});

Deno.test("LinkSpecifiers.encode() writes IPv6 and checks addresses", () => {
  const block = LinkSpecifiers.encode([{ kind: "ipv6", address: "2001:db8::1", port: 443 }]);
  assert.equal(toHex(block.toBytes()), "01011220010db8000000000000000000000001" + "01bb");
  assert.equal(block.toString(), "ipv6 [2001:db8::1]:443");
  assert.equal(
    LinkSpecifiers.encode([{ kind: "ipv6", address: "::", port: 1 }]).toString(),
    "ipv6 [::]:1",
  );
  assert.throws(
    () => LinkSpecifiers.encode([{ kind: "ipv4", address: "1.2.3", port: 1 }]),
    RangeError,
  );
  assert.throws(
    () => LinkSpecifiers.encode([{ kind: "ipv6", address: "1::2::3", port: 1 }]),
    RangeError,
  );
  assert.throws(
    () => LinkSpecifiers.encode([{ kind: "ipv4", address: "1.2.3.4", port: 65536 }]),
    RangeError,
  );
});
