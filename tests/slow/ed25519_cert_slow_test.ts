import assert from "node:assert/strict";
import fc from "fast-check";
import {
  CertError,
  decodeEd25519Cert,
  Ed25519Identity,
  encodeEd25519Cert,
  EXT_SIGNED_WITH_KEY,
} from "../../src/cert/mod.ts";

const key = fc.uint8Array({ minLength: 32, maxLength: 32 });
const extension = fc.oneof(
  fc.record({
    type: fc.constant(EXT_SIGNED_WITH_KEY),
    flags: fc.integer({ min: 0, max: 255 }),
    data: key,
  }),
  fc.record({
    type: fc.integer({ min: 0, max: 255 }).filter((t) => t !== EXT_SIGNED_WITH_KEY),
    flags: fc.integer({ min: 0, max: 255 }),
    data: fc.uint8Array({ maxLength: 80 }),
  }),
);
const fields = fc.record({
  certType: fc.integer({ min: 0, max: 255 }),
  expirationHours: fc.integer({ min: 0, max: 0xffffffff }),
  certKeyType: fc.integer({ min: 0, max: 255 }),
  certifiedKey: key.map((b) => Ed25519Identity.fromBytes(b)),
  extensions: fc.array(extension, { maxLength: 5 }),
});
const signature = fc.uint8Array({ minLength: 64, maxLength: 64 });

Deno.test("decodeEd25519Cert(encodeEd25519Cert(x)) = x for any fields and signature", () => {
  fc.assert(
    fc.property(fields, signature, (f, sig) => {
      const encoded = encodeEd25519Cert(f, sig);
      const cert = decodeEd25519Cert(encoded);
      assert.equal(cert.certType, f.certType);
      assert.equal(cert.expirationHours, f.expirationHours);
      assert.equal(cert.certKeyType, f.certKeyType);
      assert.ok(cert.certifiedKey.equals(f.certifiedKey));
      assert.deepEqual(
        cert.extensions.map((e) => [e.type, e.flags, [...e.data]]),
        f.extensions.map((e) => [e.type, e.flags, [...e.data]]),
      );
      assert.deepEqual(cert.signature(), sig);
      assert.deepEqual(cert.encode(), encoded);
    }),
    { numRuns: 2000 },
  );
});

Deno.test("decodeEd25519Cert() and check() throw only CertError on garbage", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      try {
        decodeEd25519Cert(bytes).check({ now: new Date(0) });
      } catch (error) {
        assert.ok(error instanceof CertError, `not a CertError: ${error}`);
      }
    }),
    { numRuns: 20000 },
  );
});

Deno.test("decodeEd25519Cert() and check() throw only CertError on mutated valid certs", () => {
  const valid = encodeEd25519Cert({
    certType: 8,
    expirationHours: 500000,
    certKeyType: 1,
    certifiedKey: Ed25519Identity.fromBytes(new Uint8Array(32).fill(1)),
    extensions: [{ type: EXT_SIGNED_WITH_KEY, flags: 0, data: new Uint8Array(32).fill(2) }],
  }, new Uint8Array(64));
  const mutation = fc.tuple(
    fc.integer({ min: 0, max: valid.length - 1 }),
    fc.integer({ min: 0, max: 255 }),
    fc.integer({ min: 0, max: valid.length }),
  );
  fc.assert(
    fc.property(mutation, ([at, value, cut]) => {
      const bytes = valid.slice(0, cut);
      if (at < bytes.length) bytes[at] = value;
      try {
        decodeEd25519Cert(bytes).check({ now: new Date(0) });
      } catch (error) {
        assert.ok(error instanceof CertError, `not a CertError: ${error}`);
      }
    }),
    { numRuns: 20000 },
  );
});
