import assert from "node:assert/strict";
import { checkFile, checkTree } from "../../scripts/check_layers.ts";

Deno.test("checkFile() accepts an import of a lower layer", () => {
  assert.deepEqual(checkFile("src/keys/x.ts", `import { a } from "../crypto/mod.ts";\n`), []);
});

Deno.test("checkFile() rejects an import of a higher layer", () => {
  const v = checkFile("src/crypto/x.ts", `import { a } from "../keys/mod.ts";\n`);
  assert.equal(v.length, 1);
  assert.match(v[0]!.reason, /src\/crypto\/ \(layer 1\) may not import src\/keys\//);
  assert.equal(v[0]!.line, 1);
});

Deno.test("checkFile() rejects an import of a folder of the same layer", () => {
  const v = checkFile("src/bytes/x.ts", `\nexport { b } from "../log/mod.ts";\n`);
  assert.equal(v.length, 1);
  assert.equal(v[0]!.line, 2);
});

Deno.test("checkFile() rejects another folder's private file", () => {
  const v = checkFile("src/keys/x.ts", `import { a } from "../crypto/_noble.ts";\n`);
  assert.equal(v.length, 1);
  assert.match(v[0]!.reason, /private/);
});

Deno.test("checkFile() allows noble only in the crypto gate", () => {
  assert.equal(
    checkFile("src/keys/x.ts", `import { ed25519 } from "@noble/curves/ed25519.js";`).length,
    1,
  );
  assert.equal(
    checkFile("src/crypto/_noble.ts", `import { ed25519 } from "@noble/curves/ed25519.js";`).length,
    0,
  );
});

Deno.test("checkFile() allows node:crypto only in src/crypto/ (and outside src/)", () => {
  const text = `import { createHash } from "node:crypto";`;
  assert.equal(checkFile("src/netdoc/x.ts", text).length, 1);
  assert.equal(checkFile("src/crypto/_native.ts", text).length, 0);
  assert.equal(checkFile("scripts/bench/primitives.ts", text).length, 0);
});

Deno.test("checkFile() sees dynamic imports and side-effect imports", () => {
  assert.equal(checkFile("src/bytes/x.ts", `await import("../cli/mod.ts");`).length, 1);
  assert.equal(checkFile("src/bytes/x.ts", `import "../cli/mod.ts";`).length, 1);
});

Deno.test("the src/ tree passes the layer check", async () => {
  assert.deepEqual(await checkTree("src"), []);
});
