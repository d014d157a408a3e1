import assert from "node:assert/strict";
import fc from "fast-check";
import { toHex, u64be } from "../../src/bytes/mod.ts";

Deno.test("u64be() writes INT_8 big-endian, numbers and bigints alike, and refuses what does not fit", () => {
  assert.equal(toHex(u64be(0)), "0000000000000000");
  assert.equal(toHex(u64be(1440)), "00000000000005a0");
  assert.equal(toHex(u64be(Number.MAX_SAFE_INTEGER)), "001fffffffffffff");
  assert.equal(toHex(u64be(2n ** 64n - 1n)), "ffffffffffffffff");
  fc.assert(
    fc.property(fc.maxSafeNat(), (n) => {
      assert.deepEqual(u64be(n), u64be(BigInt(n)));
    }),
  );
  for (const bad of [-1, 2n ** 64n, -1n]) assert.throws(() => u64be(bad), RangeError);
});
