import assert from "node:assert/strict";
import fc from "fast-check";
import { BytesError, fromBase64, toBase64, toBase64NoPad } from "../../src/bytes/mod.ts";
import { fromBase64Portable } from "../../src/bytes/base64.ts";
import { bytesToText } from "../../src/netdoc/tokenize.ts";

const RFC4648 = [
  ["", ""],
  ["f", "Zg=="],
  ["fo", "Zm8="],
  ["foo", "Zm9v"],
  ["foob", "Zm9vYg=="],
  ["fooba", "Zm9vYmE="],
  ["foobar", "Zm9vYmFy"],
] as const;

Deno.test("base64: RFC 4648 §10 vectors, padded and unpadded, both ways", () => {
  for (const [plain, encoded] of RFC4648) {
    const bytes = new TextEncoder().encode(plain);
    assert.equal(toBase64(bytes), encoded);
    assert.equal(toBase64NoPad(bytes), encoded.replace(/=+$/, ""));
    assert.deepEqual(fromBase64(encoded), bytes);
    assert.deepEqual(fromBase64(encoded.replace(/=+$/, "")), bytes);
  }
});

/** What the decoder did with a text: its bytes, or the kind and message of its error. */
function outcome(decode: (text: string) => Uint8Array, text: string): string {
  try {
    return `ok ${toBase64(decode(text))}`;
  } catch (e) {
    if (!(e instanceof BytesError)) throw e;
    return `${e.kind}: ${e.message}`;
  }
}

Deno.test("base64: long texts (the native decoder's) decode as the JavaScript decoder does", () => {
  // Texts past the native threshold, from the alphabet plus padding, the whitespace tor skips
  // and a form feed (which tor refuses and the native decoder would skip).
  const char = fc.constantFrom(
    ..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
  );
  const odd = fc.constantFrom("=", "==", " ", "\n", "\t", "\r", "\f", "-", "é");
  const text = fc.array(fc.oneof({ weight: 30, arbitrary: char }, { weight: 1, arbitrary: odd }), {
    minLength: 60,
    maxLength: 400,
  }).map((parts) => parts.join(""));
  fc.assert(
    fc.property(text, (t) => {
      assert.equal(outcome(fromBase64, t), outcome(fromBase64Portable, t));
    }),
    { numRuns: 2000 },
  );
});

Deno.test("base64: any bytes round-trip, with or without padding, wrapped at 64 columns", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 1200 }), fc.boolean(), (bytes, pad) => {
      const encoded = pad ? toBase64(bytes) : toBase64NoPad(bytes);
      const wrapped = encoded.replace(/(.{64})/g, "$1\n");
      assert.deepEqual(fromBase64(wrapped), bytes);
      assert.equal(outcome(fromBase64, wrapped), outcome(fromBase64Portable, wrapped));
    }),
    { numRuns: 500 },
  );
});

Deno.test("base64: a form feed in a long text is refused, as tor's decoder refuses it", () => {
  const text = `${toBase64(new Uint8Array(300)).slice(0, 200)}\f${"A".repeat(200)}`;
  assert.throws(() => fromBase64(text), (e) => e instanceof BytesError && e.kind === "BadBase64");
});

Deno.test("bytesToText: one char per byte, for ASCII, high bytes, bad UTF-8 and a BOM", () => {
  const cases = [
    new TextEncoder().encode("hs-descriptor 3\n"),
    Uint8Array.of(0x80, 0x9f, 0xff, 0x41),
    Uint8Array.of(0xef, 0xbb, 0xbf, 0x41), // a UTF-8 BOM is kept, byte by byte
    Uint8Array.of(0xc3, 0xa9), // "é" in UTF-8: two chars, not one
  ];
  for (const bytes of cases) {
    const text = bytesToText(bytes);
    assert.equal(text.length, bytes.length);
    assert.deepEqual(Array.from(text, (c) => c.charCodeAt(0)), Array.from(bytes));
  }
});
