/**
 * Cross-check against OnionBalance 0.2.2's own code: it loads a generated
 * `config.yaml` and frontend keys (tor's format, PEM, and imported keys of
 * both formats) the way `onionbalance -c` does before it talks to tor, and
 * must derive the same frontend addresses and see the same backends.
 */

import assert from "node:assert/strict";
import { seededRng } from "../../src/crypto/mod.ts";
import {
  type DeploymentInputs,
  type DeploymentPlan,
  planDeployment,
  wipePlan,
  writeDeployment,
} from "../../src/deploy/mod.ts";
import {
  HsIdKeypair,
  loadIdentityKey,
  parseOnionAddress,
  TOR_KEY_FILE_NAMES,
  writeIdentityKeyPem,
  writeTorKeyFiles,
} from "../../src/keys/mod.ts";
import { PYTHON_PERMISSIONS, runPythonScript } from "../_python.ts";

interface ObLoaded {
  services: { address: string; tor_format: boolean; instances: string[] }[];
  log: [string, string][];
}

const ADOPTED = "25njqamcweflpvkl73j4szahhihoc4xt3ktcgjnpaingr5yhkenl5sid.onion";

/** Writes the plan to `dir`, has OnionBalance load it, and compares. */
async function crossCheck(dir: string, plan: DeploymentPlan, torFormat: boolean[]): Promise<void> {
  await writeDeployment(dir, plan);
  wipePlan(plan);
  const ob = await runPythonScript<ObLoaded>("ob_load_config.py", { config: `${dir}/config.yaml` });
  assert.deepEqual(ob.log.filter(([level]) => level === "ERROR" || level === "CRITICAL"), []);
  assert.deepEqual(
    ob.services.map((s) => s.address),
    plan.services.map((s) => s.address),
    "frontend addresses",
  );
  assert.deepEqual(
    ob.services.map((s) => s.instances.map((i) => `${i}.onion`)),
    plan.services.map((s) => s.backends.map((b) => b.address)),
    "instances",
  );
  assert.deepEqual(ob.services.map((s) => s.tor_format), torFormat, "key formats");
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "ob-deploy-interop-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name: "OnionBalance 0.2.2 loads generated deployments and derives the same addresses",
  permissions: PYTHON_PERMISSIONS,
  fn: async () => {
    const inputs: DeploymentInputs = {
      services: [
        { backends: 2, tag: "node" },
        { backends: 1, tag: "node", instances: [parseOnionAddress(ADOPTED)] },
      ],
    };
    await withDir(async (dir) => {
      await crossCheck(dir, planDeployment(inputs, { rng: seededRng("ob-tor") }), [true, true]);
    });
    await withDir(async (dir) => {
      const plan = planDeployment({ ...inputs, keyFormat: "pem" }, { rng: seededRng("ob-pem") });
      await crossCheck(dir, plan, [false, false]);
    });
  },
});

Deno.test({
  name: "OnionBalance 0.2.2 loads imported frontend keys of both formats after generation",
  permissions: PYTHON_PERMISSIONS,
  fn: async () => {
    await withDir(async (dir) => {
      await Deno.mkdir(`${dir}/keys/tor`, { recursive: true });
      const a = HsIdKeypair.generate(seededRng("ob-import-a"));
      const b = HsIdKeypair.generate(seededRng("ob-import-b"));
      await writeTorKeyFiles(`${dir}/keys/tor`, a);
      await writeIdentityKeyPem(`${dir}/keys/b.pem`, b);
      const plan = planDeployment({
        services: [
          {
            key: await loadIdentityKey(`${dir}/keys/tor/${TOR_KEY_FILE_NAMES.secret}`),
            backends: 1,
            tag: "a",
          },
          { key: await loadIdentityKey(`${dir}/keys/b.pem`), backends: 1, tag: "b" },
        ],
      }, { rng: seededRng("ob-import") });
      await crossCheck(`${dir}/out`, plan, [true, false]);
    });
  },
});
