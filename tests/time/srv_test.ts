import assert from "node:assert/strict";
import { toHex } from "../../src/bytes/mod.ts";
import { sha3 } from "../../src/crypto/mod.ts";
import { disasterSrv, SharedRandomValue, TimePeriod } from "../../src/time/mod.ts";
import { readJsonVector, vectorTest } from "../_vectors.ts";

vectorTest("disasterSrv() matches tor's test_disaster_srv byte for byte", async () => {
  const { disaster_srv: v } = await readJsonVector<{
    disaster_srv: { period_num: number; input: string; expected: string };
  }>("c_tor/test_hs_common.json");
  const input = Uint8Array.from(v.input, (c) => c.charCodeAt(0));
  assert.equal(input.length, 38);
  assert.equal(toHex(sha3(input)), v.expected.toLowerCase());
  assert.equal(
    toHex(disasterSrv(new TimePeriod(v.period_num)).toBytes()),
    v.expected.toLowerCase(),
  );
});

vectorTest("disasterSrv() matches OnionBalance's test_disaster_srv for TP 1..5", async () => {
  const { disaster_srv: v } = await readJsonVector<{
    disaster_srv: { by_period: Record<string, string> };
  }>("onionbalance/test_v3.json");
  for (const [tp, expected] of Object.entries(v.by_period)) {
    assert.equal(toHex(disasterSrv(new TimePeriod(Number(tp))).toBytes()), expected.toLowerCase());
  }
});

Deno.test("disasterSrv() uses the period length (a testing network differs)", () => {
  assert.equal(
    disasterSrv(new TimePeriod(7, 1440)).equals(disasterSrv(new TimePeriod(7, 8))),
    false,
  );
});

Deno.test("SharedRandomValue reads consensus base64 and checks its length", () => {
  const b64 = "KSkpKSkpKSkpKSkpKSkpKSkpKSkpKSkpKSkpKSkpKSk=";
  const srv = SharedRandomValue.fromBase64(b64);
  assert.deepEqual(srv.toBytes(), new Uint8Array(32).fill(0x29));
  assert.equal(srv.toString(), b64);
  assert.ok(SharedRandomValue.fromBase64(b64.slice(0, -1)).equals(srv));
  assert.throws(() => SharedRandomValue.fromBase64("KSkp"), RangeError);
  assert.throws(() => SharedRandomValue.fromBase64("!!!!"), RangeError);
  assert.throws(() => SharedRandomValue.fromBytes(new Uint8Array(31)), RangeError);
});
