import assert from "node:assert/strict";
import { BytesError, checkLength, FixedBytes } from "../../src/bytes/mod.ts";
import { Ed25519Identity } from "../../src/cert/mod.ts";
import { HsDirIndex, HsIndex } from "../../src/hashring/mod.ts";
import {
  HsBlindIdKey,
  HsIdKey,
  HsIdKeypair,
  RelayEd25519Id,
  Subcredential,
} from "../../src/keys/mod.ts";
import {
  DescAuthEphemeralKey,
  DescAuthEphemeralKeypair,
  DescriptorCookie,
  HsClientDescEncKey,
  HsClientDescEncKeypair,
  HsDescSigningKey,
  HsDescSigningKeypair,
  HsIntroPtSessionIdKey,
  HsSvcNtorKey,
  IntroPtNtorKey,
} from "../../src/netdoc/mod.ts";
import { SharedRandomValue } from "../../src/time/mod.ts";

/** Two roles of the same length: only the brand tells them apart. */
class Apple extends FixedBytes {
  declare protected readonly role: "Apple";
  static fromBytes(bytes: Uint8Array): Apple {
    return new Apple(bytes, 4, "apple");
  }
}

class Pear extends FixedBytes {
  declare protected readonly role: "Pear";
  static fromBytes(bytes: Uint8Array): Pear {
    return new Pear(bytes, 4, "pear");
  }
}

function isBadLength(e: unknown): boolean {
  assert.ok(e instanceof BytesError);
  assert.ok(e instanceof RangeError);
  assert.equal(e.name, "BytesError");
  assert.equal(e.kind, "BadLength");
  return true;
}

Deno.test("FixedBytes rejects any other length with BytesError BadLength", () => {
  for (const n of [0, 3, 5, 32]) {
    assert.throws(() => Apple.fromBytes(new Uint8Array(n)), isBadLength);
  }
  assert.throws(() => Apple.fromBytes(new Uint8Array(3)), {
    message: "Cannot use apple: expected 4 bytes, got 3",
  });
  // Plain JavaScript callers can pass anything.
  assert.throws(() => Apple.fromBytes("abcd" as unknown as Uint8Array), {
    message: "Cannot use apple: expected 4 bytes, got a string",
  });
  assert.throws(() => Apple.fromBytes([1, 2, 3, 4] as unknown as Uint8Array), isBadLength);
});

Deno.test("checkLength() passes the exact length only", () => {
  checkLength(new Uint8Array(64), 64, "expanded secret key");
  assert.throws(() => checkLength(new Uint8Array(63), 64, "expanded secret key"), isBadLength);
  assert.throws(() => checkLength(new Uint8Array(63), 64, "expanded secret key"), {
    message: "Cannot use expanded secret key: expected 64 bytes, got 63",
  });
});

Deno.test("FixedBytes copies its input and its output", () => {
  const input = new Uint8Array([1, 2, 3, 4]);
  const apple = Apple.fromBytes(input);
  input[0] = 9;
  assert.deepEqual(apple.toBytes(), new Uint8Array([1, 2, 3, 4]));
  const out = apple.toBytes();
  out[1] = 9;
  assert.deepEqual(apple.toBytes(), new Uint8Array([1, 2, 3, 4]));
  assert.notEqual(apple.toBytes(), apple.toBytes());
  // A view on a larger buffer is copied to exactly its own bytes.
  const big = new Uint8Array([0, 5, 6, 7, 8, 0]);
  assert.equal(Apple.fromBytes(big.subarray(1, 5)).toBytes().buffer.byteLength, 4);
});

Deno.test("FixedBytes.equals() compares the bytes of one role", () => {
  const a = Apple.fromBytes(new Uint8Array([1, 2, 3, 4]));
  assert.ok(a.equals(a));
  assert.ok(a.equals(Apple.fromBytes(new Uint8Array([1, 2, 3, 4]))));
  assert.equal(a.equals(Apple.fromBytes(new Uint8Array([1, 2, 3, 5]))), false);
});

Deno.test("FixedBytes.equals() does not type-check across roles", () => {
  const apple = Apple.fromBytes(new Uint8Array(4));
  const pear = Pear.fromBytes(new Uint8Array(4));
  // @ts-expect-error: a pear is not an apple, though both are 4 bytes
  assert.ok(apple.equals(pear)); // the type is the guard: at run time the bytes match
  const bytes = new Uint8Array(32).fill(0x42);
  const blinded = HsBlindIdKey.fromBytes(bytes);
  const relay = RelayEd25519Id.fromBytes(bytes);
  const identity = HsIdKeypair.fromSeed(new Uint8Array(32)).public;
  // @ts-expect-error: rend-spec [KEYBLIND]: A' is not A
  blinded.equals(identity);
  // @ts-expect-error: a relay identity is not a blinded key
  blinded.equals(relay);
  // @ts-expect-error: a certificate key names no role; wrap it in the role's type first
  blinded.equals(Ed25519Identity.fromBytes(bytes));
  // @ts-expect-error: two roles of HsDescSigningKey's base class
  HsDescSigningKey.fromBytes(bytes).equals(HsIntroPtSessionIdKey.fromBytes(bytes));
  // @ts-expect-error: a role's own methods take the same role only
  HsDirIndex.fromBytes(bytes).compare(HsIndex.fromBytes(bytes));
});

Deno.test("a FixedBytes subclass must declare its role", () => {
  // @ts-expect-error: Non-abstract class does not implement inherited abstract member 'role'
  class Nameless extends FixedBytes {
    static make(): Nameless {
      return new Nameless(new Uint8Array(1), 1, "nameless");
    }
  }
  assert.equal(Nameless.make().toBytes().length, 1);
});

Deno.test("every fixed-length key and value rejects a bad length with BytesError BadLength", () => {
  const makers: [string, (b: Uint8Array) => unknown][] = [
    ["HsIndex", HsIndex.fromBytes],
    ["HsDirIndex", HsDirIndex.fromBytes],
    ["HsBlindIdKey", HsBlindIdKey.fromBytes],
    ["Subcredential", Subcredential.fromBytes],
    ["HsIdKey", HsIdKey.fromBytes],
    ["RelayEd25519Id", RelayEd25519Id.fromBytes],
    ["SharedRandomValue", SharedRandomValue.fromBytes],
    ["Ed25519Identity", Ed25519Identity.fromBytes],
    ["HsDescSigningKey", HsDescSigningKey.fromBytes],
    ["HsIntroPtSessionIdKey", HsIntroPtSessionIdKey.fromBytes],
    ["HsSvcNtorKey", HsSvcNtorKey.fromBytes],
    ["IntroPtNtorKey", IntroPtNtorKey.fromBytes],
    ["DescAuthEphemeralKey", DescAuthEphemeralKey.fromBytes],
    ["HsClientDescEncKey", HsClientDescEncKey.fromBytes],
    ["DescriptorCookie", DescriptorCookie.fromBytes],
    ["HsIdKeypair.fromSeed", HsIdKeypair.fromSeed],
    ["HsIdKeypair.fromExpanded", HsIdKeypair.fromExpanded],
    ["HsDescSigningKeypair.fromSeed", HsDescSigningKeypair.fromSeed],
    ["DescAuthEphemeralKeypair.fromSecret", DescAuthEphemeralKeypair.fromSecret],
    ["HsClientDescEncKeypair.fromSecret", HsClientDescEncKeypair.fromSecret],
  ];
  for (const [name, make] of makers) {
    for (const n of [0, 31, 33]) {
      assert.throws(() => make(new Uint8Array(n)), isBadLength, `${name} with ${n} bytes`);
    }
  }
});

Deno.test("secret roles (subcredential, descriptor cookie) compare in constant time, with the same answers", () => {
  const a = Subcredential.fromBytes(new Uint8Array(32).fill(1));
  assert.equal(a.equals(Subcredential.fromBytes(new Uint8Array(32).fill(1))), true);
  assert.equal(a.equals(Subcredential.fromBytes(new Uint8Array(32).fill(2))), false);
  const c = DescriptorCookie.fromBytes(new Uint8Array(16).fill(3));
  assert.equal(c.equals(DescriptorCookie.fromBytes(new Uint8Array(16).fill(3))), true);
  const other = new Uint8Array(16).fill(3);
  other[15] = 4;
  assert.equal(c.equals(DescriptorCookie.fromBytes(other)), false);
});
