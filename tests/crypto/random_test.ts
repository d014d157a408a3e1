import assert from "node:assert/strict";
import { randomUnit, seededRng } from "../../src/crypto/mod.ts";

Deno.test("randomUnit() maps 53 random bits onto [0, 1)", () => {
  assert.equal(randomUnit((n) => new Uint8Array(n)), 0);
  assert.equal(randomUnit((n) => new Uint8Array(n).fill(0xff)), (2 ** 53 - 1) / 2 ** 53);
  // The first byte is the most significant: 0x80 followed by zeros is one half.
  assert.equal(
    randomUnit((n) => Uint8Array.from({ length: n }, (_, i) => i === 0 ? 0x80 : 0)),
    0.5,
  );
  // The last byte's low 3 bits are not used.
  assert.equal(randomUnit((n) => Uint8Array.from({ length: n }, (_, i) => i === 6 ? 7 : 0)), 0);
  assert.equal(
    randomUnit((n) => Uint8Array.from({ length: n }, (_, i) => i === 6 ? 8 : 0)),
    2 ** -53,
  );
});

Deno.test("randomUnit() from a seeded rng repeats; from the system it spreads over [0, 1)", () => {
  const a = seededRng("jitter");
  const b = seededRng("jitter");
  for (let i = 0; i < 5; i++) assert.equal(randomUnit(a), randomUnit(b));
  const values = Array.from({ length: 2000 }, () => randomUnit());
  assert.ok(values.every((v) => v >= 0 && v < 1));
  // 2000 draws: each tenth of [0, 1) gets some (the chance that one gets none is below 1e-90).
  for (let d = 0; d < 10; d++) {
    assert.ok(values.some((v) => Math.floor(v * 10) === d), `no value in tenth ${d}`);
  }
});
