import assert from "node:assert/strict";
import { seededRng } from "../../src/crypto/mod.ts";
import {
  backendTorrc,
  frontendTorrc,
  obConfig,
  planDeployment,
  type PlannedService,
} from "../../src/deploy/mod.ts";

const MASTER = "25njqamcweflpvkl73j4szahhihoc4xt3ktcgjnpaingr5yhkenl5sid.onion";

function settingLines(text: string): string[] {
  return text.split("\n").map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
}

Deno.test({
  name: "frontendTorrc() has the settings of the template config/torrc.frontend",
  permissions: { read: [new URL("../../config/", import.meta.url)] },
  fn: async () => {
    const template = await Deno.readTextFile(
      new URL("../../config/torrc.frontend", import.meta.url),
    );
    const { services } = planDeployment({ services: [{ backends: 1, tag: "n" }] }, {
      rng: seededRng("torrc"),
    });
    const generated = settingLines(frontendTorrc(services));
    assert.deepEqual(generated, settingLines(template));
    // The CookieAuthFile that CookieAuthFileGroupReadable needs (Debian's path).
    assert.ok(generated.includes("CookieAuthFile /run/tor/control.authcookie"));
    assert.ok(generated.includes("SocksPort 127.0.0.1:9050"));
  },
});

Deno.test({
  name: "backendTorrc() has the settings of the template config/torrc.backend",
  permissions: { read: [new URL("../../config/", import.meta.url)] },
  fn: async () => {
    const template = await Deno.readTextFile(
      new URL("../../config/torrc.backend", import.meta.url),
    );
    const service: PlannedService = {
      index: 1,
      address: MASTER,
      keyFile: "x.key",
      keyFormat: "tor",
      encrypted: false,
      imported: false,
      backends: [],
    };
    const text = backendTorrc(service, {
      name: "onionbalance-backend",
      address: MASTER,
      kind: "generated",
      hiddenServiceDir: "/var/lib/tor/onionbalance-backend",
    }, { virtualPort: 80, target: "127.0.0.1:8080" });
    assert.deepEqual(settingLines(text), settingLines(template));
    assert.throws(
      () =>
        backendTorrc(service, { name: "x", address: MASTER, kind: "adopted" }, {
          virtualPort: 80,
          target: "80",
        }),
      TypeError,
    );
  },
});

Deno.test("obConfig() writes one MasterOnionAddress line per master, .onion required", () => {
  assert.equal(obConfig([MASTER]), `MasterOnionAddress ${MASTER}\n`);
  assert.equal(obConfig([MASTER, MASTER]), `MasterOnionAddress ${MASTER}\n`.repeat(2));
  assert.throws(() => obConfig([MASTER.slice(0, 56)]), /not "<56 characters>\.onion"/);
  assert.throws(() => obConfig([]), TypeError);
});
