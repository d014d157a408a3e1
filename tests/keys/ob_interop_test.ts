/**
 * Cross-check against OnionBalance 0.2.2's own code: key files written by our
 * code are loaded by OnionBalance's loader, and its `_get_revision_counter`
 * (with its clock pinned) must give exactly our counters, so that both can
 * publish the same address side by side during a migration.
 */

import assert from "node:assert/strict";
import { seededRng } from "../../src/crypto/mod.ts";
import {
  encodeOnionAddress,
  HsIdKeypair,
  loadIdentityKey,
  obRevisionCounter,
  TOR_KEY_FILE_NAMES,
  writeIdentityKeyPem,
  writeTorKeyFiles,
} from "../../src/keys/mod.ts";
import { HsTimeline } from "../../src/time/mod.ts";
import { PYTHON_PERMISSIONS, runPythonScript } from "../_python.ts";

interface ObAnswer {
  keys: Record<string, { address: string; tor_format: boolean; counters: number[] }>;
}

Deno.test({
  name: "obRevisionCounter() equals OnionBalance 0.2.2's counters for keys we wrote (PEM and tor)",
  permissions: PYTHON_PERMISSIONS,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "ob-interop-" });
    try {
      const a = HsIdKeypair.generate(seededRng("ob-interop-a"));
      const b = HsIdKeypair.generate(seededRng("ob-interop-b"));
      await writeIdentityKeyPem(`${dir}/a.pem`, a);
      await writeIdentityKeyPem(`${dir}/b.pem`, b);
      await Deno.mkdir(`${dir}/a_tor`);
      await writeTorKeyFiles(`${dir}/a_tor`, a); // the same key as a.pem, in tor's format
      const files = {
        "a.pem": `${dir}/a.pem`,
        "b.pem": `${dir}/b.pem`,
        "a.tor": `${dir}/a_tor/${TOR_KEY_FILE_NAMES.secret}`,
      };
      // Consensus times on both sides of 00:00 and 12:00 UTC, with a wall clock a little later.
      const cases: { valid_after: number; now: number; first: boolean }[] = [];
      const base = 1_955_880_000; // 2031-12-25 00:00:00 UTC
      for (const hour of [0, 13]) {
        for (const first of [true, false]) {
          const validAfter = base + hour * 3600;
          cases.push({ valid_after: validAfter, now: validAfter + 1234.5 + hour, first });
        }
      }
      const answer = await runPythonScript<ObAnswer>("ob_revision_counter.py", {
        keys: Object.entries(files).map(([name, path]) => ({ name, path })),
        cases,
      });
      for (const [name, path] of Object.entries(files)) {
        const loaded = await loadIdentityKey(path);
        const ob = answer.keys[name]!;
        assert.equal(ob.address, encodeOnionAddress(loaded.keypair.public), `${name}: address`);
        assert.equal(ob.tor_format, loaded.format === "tor", `${name}: format`);
        for (const [i, c] of cases.entries()) {
          const times = HsTimeline.fromConsensus({
            validAfter: c.valid_after,
            freshUntil: c.valid_after + 3600,
            validUntil: c.valid_after + 3 * 3600,
          }).descriptor(c.first ? "first" : "second");
          const ours = await obRevisionCounter(loaded.keypair, {
            now: c.now,
            srvRunStart: times.srvRunStart,
          });
          assert.equal(
            ours.toString(),
            String(ob.counters[i]),
            `${name}: counter for valid-after ${c.valid_after}, ${times.slot} descriptor`,
          );
        }
      }
      // The same key gives different counters in its two formats, in OnionBalance too.
      assert.notDeepEqual(answer.keys["a.pem"]!.counters, answer.keys["a.tor"]!.counters);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
