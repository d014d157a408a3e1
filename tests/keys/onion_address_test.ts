import assert from "node:assert/strict";
import { fromHex, toHex } from "../../src/bytes/mod.ts";
import {
  encodeOnionAddress,
  HsIdKey,
  KeyError,
  type KeyErrorKind,
  onionAddressLabel,
  parseOnionAddress,
} from "../../src/keys/mod.ts";
import { readJsonVector, vectorTest } from "../_vectors.ts";

function assertKeyError(fn: () => unknown, kind: KeyErrorKind, what: string): KeyError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof KeyError, `${what}: expected KeyError, got ${e}`);
    assert.equal(e.kind, kind, `${what}: ${e.message}`);
    assert.equal(e.name, "KeyError");
    assert.match(e.message, /^Cannot use onion address "/);
    return e;
  }
  assert.fail(`${what}: no error`);
}

vectorTest("encodeOnionAddress() and parseOnionAddress() match tor, stem and arti", async () => {
  // tor test_build_address, stem HS_ADDRESS, arti TEST_HSID_2 (tests/vectors/README.md).
  const tor = (await readJsonVector<{ build_address: { pubkey: string; address: string } }>(
    "c_tor/test_hs_common.json",
  )).build_address;
  const stem = (await readJsonVector<{ address: { pubkey: string; address: string } }>(
    "stem/hidden_service_v3.json",
  )).address;
  const arti = (await readJsonVector<{ test_data_2: { hsid: string; address: string } }>(
    "arti/hscrypto.json",
  )).test_data_2;
  const cases = [
    { pubkey: tor.pubkey, address: `${tor.address}.onion` },
    stem,
    { pubkey: arti.hsid, address: arti.address },
  ];
  for (const { pubkey, address } of cases) {
    const key = HsIdKey.fromBytes(fromHex(pubkey));
    assert.equal(encodeOnionAddress(key), address);
    assert.equal(onionAddressLabel(key), address.slice(0, 56));
    assert.equal(toHex(parseOnionAddress(address).toBytes()), pubkey.toLowerCase());
    // Without ".onion", in upper case, and in mixed case (arti's weird_case).
    assert.ok(parseOnionAddress(address.slice(0, 56)).equals(key));
    assert.ok(parseOnionAddress(address.toUpperCase()).equals(key));
    const mixed = [...address].map((c, i) => (i % 2 ? c.toUpperCase() : c)).join("");
    assert.ok(parseOnionAddress(mixed).equals(key));
  }
});

vectorTest("parseOnionAddress() rejects tor's invalid addresses with the right kind", async () => {
  const { validate_address: v } = await readJsonVector<{
    validate_address: { valid: string[]; invalid: { address: string; tor_log: string }[] };
  }>("c_tor/test_hs_common.json");
  const kindOf: Record<string, KeyErrorKind> = {
    "Invalid length": "BadLength",
    "invalid checksum": "BadChecksum",
    "Unable to base32 decode": "NotBase32",
  };
  for (const { address, tor_log } of v.invalid) {
    assertKeyError(() => parseOnionAddress(address), kindOf[tor_log]!, address);
  }
  for (const address of v.valid) parseOnionAddress(address);
});

vectorTest("parseOnionAddress() rejects stem's and arti's bad addresses", async () => {
  const stem = await readJsonVector<{ bad_checksum: { address: string } }>(
    "stem/hidden_service_v3.json",
  );
  assertKeyError(() => parseOnionAddress(stem.bad_checksum.address), "BadChecksum", "'5' * 56");
  const { hsid_strings: arti } = await readJsonVector<{
    hsid_strings: { address: string; edits: { position: number; char: string }[] };
  }>("arti/hscrypto.json");
  for (const { position, char } of arti.edits) {
    const edited = arti.address.slice(0, position) + char + arti.address.slice(position + 1);
    // arti reports UnsupportedVersion(4) for the edit at 55 because it checks the version
    // first; tor (and we) check the checksum first, and it no longer matches.
    assertKeyError(() => parseOnionAddress(edited), "BadChecksum", edited);
  }
  assertKeyError(() => parseOnionAddress("www." + arti.address), "BadLength", "subdomain");
});

vectorTest(
  "parseOnionAddress() gives one error kind per rule (project negative vectors)",
  async () => {
    const { cases } = await readJsonVector<{
      cases: { kind: KeyErrorKind; what: string; address: string }[];
    }>("project/onion_address_negative.json");
    const kinds = new Set(cases.map((c) => c.kind));
    for (
      const k of ["BadVersion", "InvalidKey", "V2Address", "BadLength", "NotBase32", "BadChecksum"]
    ) {
      assert.ok(kinds.has(k as KeyErrorKind), `no vector for ${k}`);
    }
    for (const { kind, what, address } of cases) {
      assertKeyError(
        () => parseOnionAddress(address),
        kind,
        what,
      );
    }
  },
);

Deno.test("parseOnionAddress() says that Tor removed v2 onion services", () => {
  const e = assertKeyError(() => parseOnionAddress("expyuzz4wqqyqhjn.onion"), "V2Address", "v2");
  assert.match(e.message, /Tor removed v2 onion services/);
});

Deno.test("parseOnionAddress() error messages name the address and never a key", () => {
  const e = assertKeyError(() => parseOnionAddress("abc"), "BadLength", "short");
  assert.match(e.message, /"abc"/);
});
