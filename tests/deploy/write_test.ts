import assert from "node:assert/strict";
import { loadConfig } from "../../src/config/mod.ts";
import { seededRng } from "../../src/crypto/mod.ts";
import {
  DeployError,
  type DeploymentPlan,
  planDeployment,
  writeDeployment,
  writeFileAtomic,
} from "../../src/deploy/mod.ts";
import { loadServiceKeys } from "../../src/balancer/mod.ts";
import { decodeHostnameFile, encodeOnionAddress, loadIdentityKey } from "../../src/keys/mod.ts";

// loadConfig's YAML parser reads LOG_TOKENS and LOG_STREAM from the environment.
const TMP: Deno.PermissionOptionsObject = {
  read: ["/tmp"],
  write: ["/tmp"],
  env: ["LOG_TOKENS", "LOG_STREAM"],
};

function tmpTest(name: string, fn: (dir: string) => Promise<void>): void {
  Deno.test({
    name,
    permissions: TMP,
    fn: async () => {
      const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "ob-deploy-" });
      try {
        await fn(dir);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}

function plan(seed = "write-test"): DeploymentPlan {
  return planDeployment({ services: [{ backends: 2, tag: "node" }] }, { rng: seededRng(seed) });
}

async function mode(path: string): Promise<number> {
  return ((await Deno.lstat(path)).mode ?? 0) & 0o777;
}

async function listTree(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(`${dir}/${prefix}`)) {
    const rel = `${prefix}${entry.name}`;
    out.push(entry.isDirectory ? `${rel}/` : rel);
    if (entry.isDirectory) out.push(...await listTree(dir, `${rel}/`));
  }
  return out.sort();
}

tmpTest("writeDeployment() creates folders 0700 and files 0600, and nothing else", async (tmp) => {
  const out = `${tmp}/a/b/deploy`;
  const p = plan();
  const report = await writeDeployment(out, p);
  assert.deepEqual(report, { createdOutput: true, replaced: [] });
  assert.equal(await mode(out), 0o700);
  for (const dir of p.dirs) assert.equal(await mode(`${out}/${dir}`), 0o700, dir);
  for (const file of p.files) {
    assert.equal(await mode(`${out}/${file.path}`), 0o600, file.path);
    assert.deepEqual(await Deno.readFile(`${out}/${file.path}`), file.bytes(), file.path);
  }
  const expected = [...p.dirs.map((d) => `${d}/`), ...p.files.map((f) => f.path)].sort();
  assert.deepEqual(await listTree(out), expected); // no temporary file left behind
});

tmpTest("A written deployment loads with src/config and src/keys", async (tmp) => {
  const p = plan();
  await writeDeployment(tmp, p);
  const { config, warnings } = await loadConfig(`${tmp}/config.yaml`);
  assert.deepEqual(warnings, []);
  const [service] = config.services;
  assert.ok(service);
  const key = await loadIdentityKey(service.keyPath);
  assert.equal(encodeOnionAddress(key.keypair.public), p.services[0]!.address);
  for (const [i, instance] of service.instances.entries()) {
    const name = p.services[0]!.backends[i]!.name;
    const dir = `${tmp}/${name}/hidden_service`;
    const host = decodeHostnameFile(await Deno.readTextFile(`${dir}/hostname`));
    assert.ok(host.equals(instance.identity));
    const secret = await loadIdentityKey(`${dir}/hs_ed25519_secret_key`);
    assert.equal(secret.format, "tor");
    assert.ok(secret.keypair.public.equals(host));
    assert.equal(
      await Deno.readTextFile(`${dir}/ob_config`),
      `MasterOnionAddress ${p.services[0]!.address}\n`,
    );
  }
});

tmpTest(
  "An offline deployment writes offline/ 0700, and the balancer loads its bundle",
  async (tmp) => {
    const now = Date.UTC(2026, 0, 15, 12) / 1000;
    const passphrase = new TextEncoder().encode("write test passphrase");
    const p = planDeployment({
      services: [{ backends: 1, tag: "node" }],
      offline: { days: 3, from: now, now, lengthMinutes: 1440 },
      passphrase,
    }, { rng: seededRng("offline write") });
    await writeDeployment(tmp, p);
    const [service] = p.services;
    assert.ok(service?.bundle);
    assert.equal(await mode(`${tmp}/offline`), 0o700);
    assert.equal(await mode(`${tmp}/${service.keyFile}`), 0o600);
    assert.equal(await mode(`${tmp}/${service.bundle.file}`), 0o600);
    const expected = [...p.dirs.map((d) => `${d}/`), ...p.files.map((f) => f.path)].sort();
    assert.deepEqual(await listTree(tmp), expected);
    const { config, warnings } = await loadConfig(`${tmp}/config.yaml`);
    assert.deepEqual(warnings, []);
    await Deno.writeFile(`${tmp}/passphrase`, passphrase, { mode: 0o600 });
    const keys = await loadServiceKeys(config, {
      file: `${tmp}/passphrase`,
      env: { get: () => undefined },
    });
    assert.equal(keys.length, 1);
    const [loaded] = keys;
    assert.ok(loaded?.kind === "offline");
    assert.equal(loaded.path, `${tmp}/${service.bundle.file}`);
    assert.equal(`${loaded.bundle.address}.onion`, service.address);
    const identity = await loadIdentityKey(`${tmp}/${service.keyFile}`, { passphrase });
    assert.equal(encodeOnionAddress(identity.keypair.public), service.address);
  },
);

tmpTest(
  "writeDeployment() refuses to replace anything without force, and writes nothing",
  async (tmp) => {
    const first = plan("first");
    await writeDeployment(tmp, first);
    const before = await listTree(tmp);
    const keyBytes = await Deno.readFile(`${tmp}/${first.services[0]!.keyFile}`);
    // The same key again (an imported key): its file, the backend folders and the rest exist.
    const again = plan("first");
    const error = await writeDeployment(tmp, again).catch((e) => e);
    assert.ok(error instanceof DeployError, String(error));
    assert.equal(error.kind, "Exists");
    assert.deepEqual(error.paths, [
      `${tmp}/node1/`,
      `${tmp}/node2/`,
      `${tmp}/${first.services[0]!.keyFile}`,
      `${tmp}/torrc-frontend`,
      `${tmp}/README.md`,
      `${tmp}/config.yaml`,
    ]);
    assert.match(
      error.message,
      /already exist; use --force to replace them \(replaced keys are lost\)$/,
    );
    assert.deepEqual(await listTree(tmp), before);
    assert.deepEqual(await Deno.readFile(`${tmp}/${first.services[0]!.keyFile}`), keyBytes);
  },
);

tmpTest(
  "writeDeployment() with force replaces files atomically and tightens modes",
  async (tmp) => {
    await writeDeployment(tmp, plan("old"));
    await Deno.chmod(`${tmp}/node1`, 0o755);
    await Deno.chmod(`${tmp}/node1/hidden_service/hostname`, 0o644);
    await Deno.writeTextFile(`${tmp}/node1/hidden_service/extra`, "kept");
    const p = plan("new");
    const report = await writeDeployment(tmp, p, { force: true });
    assert.equal(report.createdOutput, false);
    assert.ok(report.replaced.includes("node1/") && report.replaced.includes("config.yaml"));
    assert.equal(await mode(`${tmp}/node1`), 0o700);
    assert.equal(await mode(`${tmp}/node1/hidden_service/hostname`), 0o600);
    assert.equal(
      await Deno.readTextFile(`${tmp}/node1/hidden_service/hostname`),
      `${p.services[0]!.backends[0]!.address}\n`,
    );
    assert.equal(await Deno.readTextFile(`${tmp}/node1/hidden_service/extra`), "kept");
  },
);

tmpTest("writeDeployment() reports an existing output folder open to others", async (tmp) => {
  await Deno.chmod(tmp, 0o755);
  const report = await writeDeployment(tmp, plan());
  assert.equal(report.looseOutputMode, 0o755);
  assert.equal(await mode(tmp), 0o755); // an existing folder is the operator's: not changed
  for (const f of plan().files) assert.equal(await mode(`${tmp}/${f.path}`), 0o600);
});

tmpTest("writeDeployment() fails clearly when a file stands where a folder goes", async (tmp) => {
  await Deno.writeTextFile(`${tmp}/node1`, "");
  const error = await writeDeployment(tmp, plan(), { force: true }).catch((e) => e);
  assert.ok(error instanceof DeployError, String(error));
  assert.equal(error.kind, "WriteFailed");
  assert.match(error.message, /node1": it exists and is not a folder/);
});

tmpTest(
  "writeFileAtomic() never replaces without { replace: true } and leaves no temporary file",
  async (tmp) => {
    const path = `${tmp}/key`;
    await writeFileAtomic(path, new Uint8Array([1, 2, 3]));
    const error = await writeFileAtomic(path, new Uint8Array([4])).catch((e) => e);
    assert.ok(error instanceof DeployError && error.kind === "Exists", String(error));
    assert.deepEqual(await Deno.readFile(path), new Uint8Array([1, 2, 3]));
    await writeFileAtomic(path, new Uint8Array([5]), { replace: true });
    assert.deepEqual(await Deno.readFile(path), new Uint8Array([5]));
    assert.deepEqual(await listTree(tmp), ["key"]);
    assert.equal(await mode(path), 0o600);
  },
);
