import assert from "node:assert/strict";
import { BytesError } from "../../src/bytes/mod.ts";
import { KeyError, RelayEd25519Id } from "../../src/keys/mod.ts";

Deno.test("RelayEd25519Id reads a microdescriptor's unpadded base64 and prints it back", () => {
  // 32 bytes of 0x01, as OnionBalance's hash-ring test builds its node identities.
  const b64 = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE";
  const id = RelayEd25519Id.fromBase64(b64);
  assert.deepEqual(id.toBytes(), new Uint8Array(32).fill(1));
  assert.equal(id.toString(), b64);
  assert.ok(RelayEd25519Id.fromBase64(`${b64}=`).equals(id));
  assert.equal(id.equals(RelayEd25519Id.fromBytes(new Uint8Array(32).fill(2))), false);
});

Deno.test("RelayEd25519Id rejects wrong lengths and non-base64", () => {
  for (const bad of ["", "AQEB", "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQ*"]) {
    assert.throws(() => RelayEd25519Id.fromBase64(bad), (e: unknown) => {
      assert.ok(e instanceof KeyError);
      assert.equal(e.kind, "BadRelayId");
      return true;
    });
  }
  assert.throws(() => RelayEd25519Id.fromBytes(new Uint8Array(20)), BytesError);
});
