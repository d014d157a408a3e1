/**
 * Property tests for the key encodings: every decoder inverts its encoder,
 * and random or mutated input gives a typed `KeyError`, never another error.
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import { toBase64 } from "../../src/bytes/mod.ts";
import {
  decodeHostnameFile,
  decodeIdentityKey,
  decodePkcs8Pem,
  decodeTorPublicKeyFile,
  decodeTorSecretKeyFile,
  encodeHostnameFile,
  encodeOnionAddress,
  encodePkcs8Pem,
  encodeTorPublicKeyFile,
  encodeTorSecretKeyFile,
  HsIdKeypair,
  KeyError,
  parseOnionAddress,
  PKCS8_ED25519_PREFIX,
  RelayEd25519Id,
  TOR_PUBLIC_KEY_HEADER,
  TOR_SECRET_KEY_HEADER,
} from "../../src/keys/mod.ts";

const seed = fc.uint8Array({ minLength: 32, maxLength: 32 });
const RUNS = { numRuns: 300 };

/** Runs `fn`; any throw must be a KeyError. */
function onlyKeyErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof KeyError)) throw new Error(`Not a KeyError: ${e}`, { cause: e });
  }
}

Deno.test("parseOnionAddress(encodeOnionAddress(k)) = k, in any letter case", () => {
  fc.assert(
    fc.property(seed, fc.boolean(), (s, upper) => {
      const key = HsIdKeypair.fromSeed(s).public;
      const address = encodeOnionAddress(key);
      assert.ok(parseOnionAddress(upper ? address.toUpperCase() : address).equals(key));
    }),
    RUNS,
  );
});

Deno.test("key files round-trip: tor secret, tor public, hostname, PEM", () => {
  fc.assert(
    fc.property(seed, (s) => {
      const keypair = HsIdKeypair.fromSeed(s);
      const secret = encodeTorSecretKeyFile(keypair);
      const fromTor = decodeTorSecretKeyFile(secret);
      assert.deepEqual(fromTor.expandedSecret(), keypair.expandedSecret());
      assert.deepEqual(encodeTorSecretKeyFile(fromTor), secret);
      assert.ok(
        decodeTorPublicKeyFile(encodeTorPublicKeyFile(keypair.public)).equals(keypair.public),
      );
      assert.ok(decodeHostnameFile(encodeHostnameFile(keypair.public)).equals(keypair.public));
      const pem = encodePkcs8Pem(keypair);
      const fromPem = decodePkcs8Pem(pem);
      assert.deepEqual(fromPem.seed(), s);
      assert.equal(encodePkcs8Pem(fromPem), pem);
      assert.equal(decodeIdentityKey(new TextEncoder().encode(pem)).format, "pem");
      assert.equal(decodeIdentityKey(secret).format, "tor");
    }),
    { numRuns: 100 },
  );
});

Deno.test("random strings to parseOnionAddress() give a KeyError or a key", () => {
  const b32 = fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz234567ABCXYZ01.-?".split(""));
  fc.assert(
    fc.property(
      fc.oneof(fc.string(), fc.string({ unit: b32, minLength: 50, maxLength: 62 })),
      fc.boolean(),
      (text, suffix) => onlyKeyErrors(() => parseOnionAddress(suffix ? `${text}.onion` : text)),
    ),
    { numRuns: 2000 },
  );
});

Deno.test("random bytes to every key-file decoder give a KeyError or a key", () => {
  const headed = (header: Uint8Array, n: number) =>
    fc.uint8Array({ minLength: 0, maxLength: n }).map((tail) => {
      const out = new Uint8Array(header.length + tail.length);
      out.set(header);
      out.set(tail, header.length);
      return out;
    });
  const input = fc.oneof(
    fc.uint8Array({ maxLength: 200 }),
    headed(TOR_SECRET_KEY_HEADER, 70),
    headed(TOR_PUBLIC_KEY_HEADER, 40),
    headed(new TextEncoder().encode("-----BEGIN PRIVATE KEY-----\n"), 120),
  );
  fc.assert(
    fc.property(input, (bytes) => {
      onlyKeyErrors(() => decodeTorSecretKeyFile(bytes, { file: "f" }));
      onlyKeyErrors(() => decodeTorPublicKeyFile(bytes, { file: "f" }));
      onlyKeyErrors(() => decodeHostnameFile(bytes, { file: "f" }));
      onlyKeyErrors(() => decodePkcs8Pem(bytes, { file: "f" }));
      onlyKeyErrors(() => decodeIdentityKey(bytes, { file: "f" }));
      onlyKeyErrors(() => RelayEd25519Id.fromBase64(new TextDecoder().decode(bytes)));
    }),
    { numRuns: 2000 },
  );
});

Deno.test("mutated valid key files decode to a key or give a KeyError", () => {
  fc.assert(
    fc.property(seed, fc.nat(), fc.integer({ min: 1, max: 255 }), (s, at, xor) => {
      const keypair = HsIdKeypair.fromSeed(s);
      const files = [
        encodeTorSecretKeyFile(keypair),
        encodeTorPublicKeyFile(keypair.public),
        new TextEncoder().encode(encodeHostnameFile(keypair.public)),
        new TextEncoder().encode(encodePkcs8Pem(keypair)),
      ];
      for (const file of files) {
        const mutated = file.slice();
        mutated[at % mutated.length]! ^= xor;
        onlyKeyErrors(() => decodeIdentityKey(mutated));
        onlyKeyErrors(() => decodeTorSecretKeyFile(mutated));
        onlyKeyErrors(() => decodeTorPublicKeyFile(mutated));
        onlyKeyErrors(() => decodeHostnameFile(mutated));
        onlyKeyErrors(() => decodePkcs8Pem(mutated));
        onlyKeyErrors(() => decodeIdentityKey(mutated.subarray(0, at % mutated.length)));
      }
      // A PEM around random DER of the right shape.
      const der = new Uint8Array(48);
      der.set(PKCS8_ED25519_PREFIX);
      der[at % 48]! ^= xor;
      onlyKeyErrors(() =>
        decodePkcs8Pem(`-----BEGIN PRIVATE KEY-----\n${toBase64(der)}\n-----END PRIVATE KEY-----\n`)
      );
    }),
    RUNS,
  );
});
