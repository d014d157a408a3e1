/**
 * Deno's native primitives (`src/crypto/_native.ts`) against noble's (`_noble.ts`), the
 * independent oracle: equal results on random inputs, and the public functions of `src/crypto/`
 * (which pick one per use) equal to both. Ed25519 verification differs from noble's on purpose in
 * one case (a small-order component in R: noble multiplies by the cofactor, tor does not), shown
 * here with a signature made for it.
 */

import assert from "node:assert/strict";
import { fromHex, toBase64NoPad, toHex } from "../../src/bytes/mod.ts";
import fc from "fast-check";
import {
  nativeSha256,
  nativeSha3,
  nativeSha512,
  nativeShake,
  nativeVerify,
} from "../../src/crypto/_native.ts";
import {
  bytesToNumberLE,
  ed25519,
  numberToBytesLE,
  sha256 as nobleSha256,
  sha3_256,
  sha512 as nobleSha512,
  shake256,
  x25519,
} from "../../src/crypto/_noble.ts";
import {
  ED25519_L,
  expandSeed,
  publicKeyFromSeed,
  SeedSigningKey,
  sha256,
  sha256Base64NoPad,
  sha3,
  sha512,
  shake,
  signExpanded,
  verify,
  x25519PublicKey,
} from "../../src/crypto/mod.ts";

const RUNS = { numRuns: 300 };
/** Inputs around every size the balancer hashes, split into 1–3 parts. */
const parts = fc.array(fc.uint8Array({ maxLength: 3000 }), { minLength: 1, maxLength: 3 });
const joined = (p: Uint8Array[]) => {
  const out = new Uint8Array(p.reduce((n, x) => n + x.length, 0));
  let at = 0;
  for (const x of p) out.set(x, (at += x.length) - x.length);
  return out;
};

Deno.test("native SHA3-256, SHAKE-256, SHA-256 and SHA-512 equal noble's on random inputs", () => {
  fc.assert(
    fc.property(parts, fc.integer({ min: 1, max: 200 }), (p, n) => {
      const m = joined(p);
      assert.equal(toHex(nativeSha3(p)), toHex(sha3_256(m)));
      assert.equal(toHex(nativeShake(n, p)), toHex(shake256(m, { dkLen: n })));
      assert.equal(toHex(nativeSha256(p)), toHex(nobleSha256(m)));
      assert.equal(toHex(nativeSha512(p)), toHex(nobleSha512(m)));
      // And the gate's functions, whichever they pick for this size.
      assert.equal(toHex(sha3(...p)), toHex(sha3_256(m)));
      assert.equal(toHex(shake(n, ...p)), toHex(shake256(m, { dkLen: n })));
      assert.equal(toHex(sha256(...p)), toHex(nobleSha256(m)));
      assert.equal(toHex(sha512(...p)), toHex(nobleSha512(m)));
    }),
    RUNS,
  );
});

Deno.test("sha256Base64NoPad() is the unpadded base64 of noble's SHA-256", () => {
  fc.assert(
    fc.property(parts, (p) => {
      assert.equal(sha256Base64NoPad(...p), toBase64NoPad(nobleSha256(joined(p))));
    }),
    RUNS,
  );
});

Deno.test("string parts hash as their UTF-8 bytes, ASCII labels and others alike", () => {
  const utf8 = (t: string) => new TextEncoder().encode(t);
  for (const label of ["node-idx", "", "x".repeat(65), "caf\u00e9", "\u{1F9C5} onion"]) {
    assert.equal(toHex(sha3(label, "|")), toHex(sha3_256(utf8(`${label}|`))), label);
    assert.equal(toHex(sha256(label)), toHex(nobleSha256(utf8(label))), label);
  }
});

Deno.test("the hashes' results are arrays of their own, not views into a shared pool", () => {
  for (const h of [sha3(new Uint8Array(5)), sha256(new Uint8Array(5000)), shake(80, "x")]) {
    assert.equal(h.byteOffset, 0);
    assert.equal(h.buffer.byteLength, h.length);
    assert.equal(Object.getPrototypeOf(h), Uint8Array.prototype);
  }
});

const signed = fc.record({
  seed: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  message: fc.uint8Array({ maxLength: 2000 }),
});

Deno.test("native Ed25519 verification agrees with noble's on honest and corrupted signatures", () => {
  fc.assert(
    fc.property(signed, fc.nat(), fc.nat(7), (s, where, bit) => {
      const pub = ed25519.getPublicKey(s.seed);
      const sig = ed25519.sign(s.message, s.seed);
      assert.equal(nativeVerify(pub, s.message, sig), true);
      assert.equal(verify(pub, s.message, sig), true);
      // One bit flipped in the signature, the message or the key: both refuse it.
      for (const target of ["sig", "message", "key"] as const) {
        const sigX = sig.slice();
        const messageX = s.message.slice();
        const pubX = pub.slice();
        const bytes = target === "sig" ? sigX : target === "message" ? messageX : pubX;
        if (bytes.length === 0) continue;
        bytes[where % bytes.length]! ^= 1 << bit;
        let noble: boolean;
        try {
          noble = ed25519.verify(sigX, messageX, pubX, { zip215: false });
        } catch {
          noble = false;
        }
        assert.equal(verify(pubX, messageX, sigX), noble, target);
      }
    }),
    { numRuns: 100 },
  );
});

/** Every point of small order: the multiples of a point of order 8. */
function smallOrderPoints(): string[] {
  // A point of order 8: the torsion part of a point that is not torsion-free.
  const P = ed25519.Point;
  let t = P.ZERO;
  for (let y = 2n; t.is0() || t.multiplyUnsafe(4n).is0(); y++) {
    let candidate;
    try {
      candidate = P.fromBytes(numberToBytesLE(y, 32), false);
    } catch {
      continue; // no point with this y
    }
    // [l]P keeps only the small-order part (l·T = T·(l mod 8) for T of order 8, l odd).
    t = candidate.multiplyUnsafe(ED25519_L - 1n).add(candidate);
  }
  const out = new Set<string>();
  let q = P.ZERO;
  for (let i = 0; i < 8; i++) {
    out.add(toHex(q.toBytes()));
    q = q.add(t);
  }
  return [...out];
}

Deno.test("verify() refuses every small-order key, with a forgery AWS-LC alone accepts for each", () => {
  const P = ed25519.Point;
  const points = smallOrderPoints();
  assert.equal(points.length, 8);
  for (const a of points) {
    // S = 0 and R small-order: [0]B = R + [k]A holds when R = -[k]A, k = H(R | A | M) mod l;
    // some message and R among the 8 points make it so (about 1 in 8 tries).
    let found: { message: Uint8Array; signature: Uint8Array } | undefined;
    for (let i = 0; found === undefined && i < 1000; i++) {
      const message = new TextEncoder().encode(`forged ${i}`);
      for (const r of points) {
        const k = bytesToNumberLE(nobleSha512(joined([fromHex(r), fromHex(a), message]))) %
          ED25519_L;
        const kA = k === 0n ? P.ZERO : P.fromHex(a).multiplyUnsafe(k);
        if (P.fromHex(r).equals(kA.negate())) {
          found = { message, signature: joined([fromHex(r), new Uint8Array(32)]) };
          break;
        }
      }
    }
    assert.ok(found !== undefined, a);
    assert.equal(nativeVerify(fromHex(a), found.message, found.signature), true, `native, ${a}`);
    assert.equal(verify(fromHex(a), found.message, found.signature), false, a);
  }
});

Deno.test("verify() refuses non-canonical encodings of the key and an S of l or more", () => {
  const seed = new Uint8Array(32).fill(7);
  const pub = ed25519.getPublicKey(seed);
  const message = new TextEncoder().encode("m");
  const sig = ed25519.sign(message, seed);
  assert.equal(verify(pub, message, sig), true);
  // S + l: the same scalar mod l, refused (RFC 8032 §5.1.7; tor's code would take it).
  const big = sig.slice();
  big.set(numberToBytesLE(bytesToNumberLE(sig.subarray(32)) + ED25519_L, 32), 32);
  assert.equal(verify(pub, message, big), false);
  // y + p for a y below 19 - (2^255 - p): a non-canonical key; and x = 0 with a sign bit.
  const p = 2n ** 255n - 19n;
  const nonCanonical = numberToBytesLE(p + 1n, 32);
  assert.equal(verify(nonCanonical, message, sig), false);
  const signedIdentity = new Uint8Array(32);
  signedIdentity[0] = 1;
  signedIdentity[31] = 0x80;
  assert.equal(verify(signedIdentity, message, sig), false);
});

Deno.test("a small-order component in R: noble (cofactored) accepts, verify() refuses as tor does", () => {
  const seed = new Uint8Array(32).fill(9);
  const pub = ed25519.getPublicKey(seed);
  const message = new TextEncoder().encode("torsion");
  const sig = ed25519.sign(message, seed);
  // R' = R + T with T of order 8; S unchanged. k = H(R' | A | M) changes, so the signature is
  // made again from the secret: S' = r + k'·a with R' = rB + T.
  const P = ed25519.Point;
  const t = P.fromHex(
    smallOrderPoints().find((h) => {
      const q = P.fromHex(h);
      return !q.is0() && !q.multiplyUnsafe(4n).is0();
    })!,
  );
  const { scalar: a } = ed25519.utils.getExtendedPublicKey(seed);
  const r = 12345n;
  const R = P.BASE.multiplyUnsafe(r).add(t);
  const rBytes = R.toBytes();
  const k = bytesToNumberLE(nobleSha512(joined([rBytes, pub, message]))) % ED25519_L;
  const s = (r + k * a) % ED25519_L;
  const torsioned = joined([rBytes, numberToBytesLE(s, 32)]);
  assert.equal(ed25519.verify(torsioned, message, pub, { zip215: false }), true, "noble");
  assert.equal(verify(pub, message, torsioned), false, "ours, as tor (cofactorless)");
  assert.equal(verify(pub, message, sig), true);
});

Deno.test("native seed signing gives noble's public key and signatures, byte for byte", () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), parts, (seed, p) => {
      const message = joined(p);
      const key = new SeedSigningKey(seed);
      assert.deepEqual(key.publicKey, ed25519.getPublicKey(seed));
      assert.deepEqual(key.publicKey, publicKeyFromSeed(seed));
      const signature = key.sign(message);
      assert.deepEqual(signature, signExpanded(expandSeed(seed), message));
      assert.deepEqual(signature, ed25519.sign(message, seed));
    }),
    { numRuns: 100 },
  );
});

Deno.test("native X25519 public keys equal noble's, clamping included", () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (secret) => {
      assert.deepEqual(x25519PublicKey(secret), x25519.getPublicKey(secret));
    }),
    RUNS,
  );
  // All bits set: clamping clears the low three and the top one.
  const ones = new Uint8Array(32).fill(0xff);
  assert.deepEqual(x25519PublicKey(ones), x25519.getPublicKey(ones));
});
