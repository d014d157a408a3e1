// deno-lint-ignore-file no-console -- a benchmark prints its figures
/**
 * The crypto primitives the balancer spends its first cycle in, timed in both implementations:
 * noble's JavaScript and Deno's native code (`node:crypto`: AWS-LC for SHA-256/512 and Ed25519,
 * RustCrypto for SHA3-256 and SHAKE-256; WebCrypto Ed25519, AWS-LC too), per call at the input
 * sizes the balancer hashes and verifies, and per batch. `src/crypto/` picks per use from these.
 *
 * Usage: `deno run scripts/bench/primitives.ts [--ms 300]` (each figure: calls for at least that
 * long after a warm-up, the best of 5 such runs).
 *
 * @module
 */

import { createPublicKey, verify as nodeVerify } from "node:crypto";
import {
  nativeSha256,
  nativeSha3,
  nativeSha512,
  nativeShake,
  nativeVerify,
} from "../../src/crypto/_native.ts";
import { ed25519, sha256, sha3_256, sha512, shake256 } from "../../src/crypto/_noble.ts";

const ms = Number(Deno.args[Deno.args.indexOf("--ms") + 1] || 300);

/** Nanoseconds per call of `f`: the best of 5 runs of at least `ms` each. */
function perCall(f: () => unknown): number {
  for (let i = 0; i < 200; i++) f();
  let best = Infinity;
  for (let run = 0; run < 5; run++) {
    let n = 0;
    const start = performance.now();
    let now = start;
    while (now - start < ms) {
      for (let i = 0; i < 50; i++) f();
      n += 50;
      now = performance.now();
    }
    best = Math.min(best, ((now - start) * 1e6) / n);
  }
  return best;
}

async function perCallAsync(f: () => Promise<unknown>, batch: number): Promise<number> {
  for (let i = 0; i < 3; i++) await Promise.all(Array.from({ length: batch }, f));
  let best = Infinity;
  for (let run = 0; run < 5; run++) {
    let n = 0;
    const start = performance.now();
    let now = start;
    while (now - start < ms) {
      await Promise.all(Array.from({ length: batch }, f));
      n += batch;
      now = performance.now();
    }
    best = Math.min(best, ((now - start) * 1e6) / n);
  }
  return best;
}

const bytes = (n: number) => crypto.getRandomValues(new Uint8Array(n));
const rows: string[][] = [];
const row = (what: string, size: number, noble: number, native: number, note = "") => {
  rows.push([
    what,
    String(size),
    (noble / 1000).toFixed(2),
    (native / 1000).toFixed(2),
    (noble / native).toFixed(2),
    note,
  ]);
};

// Sizes: 32 (a key), 90 (an hsdir_index / hs_index input), 400 (a microdescriptor), 2,000 and
// 16,000 (a descriptor's layers), 50,000 (the largest descriptor).
const hashes: [string, (m: Uint8Array) => unknown, (m: Uint8Array) => unknown][] = [
  ["SHA3-256", (m) => sha3_256(m), (m) => nativeSha3([m])],
  ["SHAKE-256 (80 out)", (m) => shake256(m, { dkLen: 80 }), (m) => nativeShake(80, [m])],
  ["SHA-256", (m) => sha256(m), (m) => nativeSha256([m])],
  ["SHA-512", (m) => sha512(m), (m) => nativeSha512([m])],
];
for (const size of [32, 90, 400, 2_000, 16_000, 50_000]) {
  const input = bytes(size);
  for (const [name, noble, native] of hashes) {
    row(name, size, perCall(() => noble(input)), perCall(() => native(input)));
  }
}

// Ed25519 verification: a certificate (about 100 bytes signed) and a descriptor (about 16,000).
const seed = bytes(32);
const pub = ed25519.getPublicKey(seed);
const jwk = {
  kty: "OKP",
  crv: "Ed25519",
  x: btoa(String.fromCharCode(...pub)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, ""),
};
const webKey = await crypto.subtle.importKey("raw", pub, { name: "Ed25519" }, false, ["verify"]);
for (const size of [100, 16_000]) {
  const message = bytes(size);
  const signature = ed25519.sign(message, seed);
  const noble = perCall(() => ed25519.verify(signature, message, pub, { zip215: false }));
  row(
    "Ed25519 verify",
    size,
    noble,
    perCall(() => nativeVerify(pub, message, signature)),
    "node:crypto, key object cached (_native.ts)",
  );
  row(
    "Ed25519 verify",
    size,
    noble,
    perCall(() =>
      nodeVerify(null, message, createPublicKey({ key: jwk, format: "jwk" }), signature)
    ),
    "node:crypto, key imported per call",
  );
  for (const batch of [1, 64]) {
    row(
      "Ed25519 verify",
      size,
      noble,
      await perCallAsync(() => crypto.subtle.verify("Ed25519", webKey, signature, message), batch),
      `WebCrypto, ${batch} at once`,
    );
  }
}

const headers = ["primitive", "bytes", "noble µs", "native µs", "native speed-up", "how"];
const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
console.log(`Deno ${Deno.version.deno}, V8 ${Deno.version.v8}; best of 5 runs of ${ms} ms each`);
console.log(line(headers));
console.log(line(widths.map((w) => "-".repeat(w))));
for (const r of rows) console.log(line(r));
