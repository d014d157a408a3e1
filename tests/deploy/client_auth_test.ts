/**
 * Client authorization in a planned deployment (`src/deploy/_client_auth.ts`): the clients'
 * `.auth` files (the balancer's) match their `.auth_private` files (each client's), restricted
 * backends' `authorized_clients/balancer.auth` match the balancer's `backend-keys/`, no secret
 * reaches a file that does not need it, and without these options nothing changes.
 */

import assert from "node:assert/strict";
import { toBase32, toBase64, toHex } from "../../src/bytes/mod.ts";
import { parseConfig } from "../../src/config/mod.ts";
import { seededRng } from "../../src/crypto/mod.ts";
import {
  DeployError,
  type DeploymentInputs,
  type DeploymentPlan,
  planDeployment,
  type PlannedFile,
  wipePlan,
  writeDeployment,
} from "../../src/deploy/mod.ts";
import { encodeOnionAddress, parseOnionAddress } from "../../src/keys/mod.ts";
import {
  type ClientAuthKeyFile,
  parseAuthorizedClientFile,
  parseClientAuthKeyFile,
} from "../../src/netdoc/mod.ts";

const A = "25njqamcweflpvkl73j4szahhihoc4xt3ktcgjnpaingr5yhkenl5sid.onion";
/** 2026-01-15 12:00 UTC. */
const T = Date.UTC(2026, 0, 15, 12, 0) / 1000;

function plan(inputs: DeploymentInputs, seed = "client-auth-test"): DeploymentPlan {
  return planDeployment(inputs, { rng: seededRng(seed) });
}

function file(p: DeploymentPlan, path: string): PlannedFile {
  const found = p.files.find((f) => f.path === path);
  assert.ok(found, `no planned file "${path}"`);
  return found;
}

function badInput(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof DeployError, String(error));
    assert.equal(error.kind, "BadInput");
    assert.match(error.message, pattern);
    return true;
  });
}

/** Every form a 32-byte x25519 secret could leak in, as text. */
function secretTexts(key: ClientAuthKeyFile): string[] {
  const secret = key.key.secret();
  const b32 = toBase32(secret);
  return [b32, b32.toUpperCase(), toHex(secret), toBase64(secret)];
}

function includesBytes(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

/** Asserts that no file but those `allowed` holds `key`'s secret in any form. */
function assertSecretOnlyIn(
  p: DeploymentPlan,
  key: ClientAuthKeyFile,
  allowed: (path: string) => boolean,
): void {
  const secret = key.key.secret();
  for (const f of p.files.filter((f) => !allowed(f.path))) {
    const bytes = f.bytes();
    const text = new TextDecoder("latin1").decode(bytes);
    assert.ok(!includesBytes(bytes, secret), f.path);
    for (const form of secretTexts(key)) assert.ok(!text.includes(form), f.path);
  }
}

Deno.test("planDeployment() with clients: each .auth matches its client's .auth_private", () => {
  const p = plan({
    services: [{ backends: 1, tag: "node" }, { backends: 1, tag: "node" }],
    clients: 3,
  });
  assert.ok(p.dirs.includes("clients"));
  for (const service of p.services) {
    const label = service.address.slice(0, 56);
    const clients = service.clients;
    assert.ok(clients);
    assert.equal(clients.dir, `${label}.authorized_clients`);
    assert.ok(p.dirs.includes(clients.dir));
    assert.equal(clients.names.length, 3);
    for (const name of clients.names) {
      const pub = file(p, `${clients.dir}/${name}.auth`);
      const priv = file(p, `clients/${name}/${label}.auth_private`);
      assert.ok(p.dirs.includes(`clients/${name}`));
      assert.deepEqual([pub.secret, priv.secret, pub.mode, priv.mode], [false, true, 0o600, 0o600]);
      assert.match(pub.text(), /^descriptor:x25519:[A-Z2-7]{52}\n$/);
      const key = parseAuthorizedClientFile(pub.text());
      const parsed = parseClientAuthKeyFile(priv.text());
      assert.equal(encodeOnionAddress(parsed.service), service.address);
      assert.ok(parsed.key.public.equals(key), name);
      assertSecretOnlyIn(p, parsed, (path) => path === priv.path);
    }
  }
  // Several services: names carry the tag and count on across services, as backends do.
  assert.deepEqual(p.services.map((s) => s.clients?.names), [
    ["node-client1", "node-client2", "node-client3"],
    ["node-client4", "node-client5", "node-client6"],
  ]);
  const one = plan({ services: [{ backends: 1, tag: "node" }], clients: 2 });
  assert.deepEqual(one.services[0]!.clients?.names, ["client1", "client2"]);
  // All client keys differ.
  const keys = p.files.filter((f) => f.path.endsWith(".auth")).map((f) => f.text());
  assert.equal(new Set(keys).size, 6);
});

Deno.test("planDeployment() with clients writes authorized-clients-dir into config.yaml", () => {
  const p = plan({
    services: [{ backends: 2, tag: "node" }, {
      backends: 0,
      tag: "web",
      instances: [parseOnionAddress(A)],
    }],
    clients: 1,
  });
  const yaml = file(p, "config.yaml").text();
  const { config, warnings } = parseConfig(yaml, {
    path: "config.yaml",
    baseDir: "/etc/onionbalance",
  });
  assert.deepEqual(warnings, []);
  assert.deepEqual(
    config.services.map((s) => s.authorizedClientsDir),
    p.services.map((s) => `/etc/onionbalance/${s.clients!.dir}`),
  );
  assert.ok(config.services.every((s) => s.instances.every((i) => i.clientKeyPath === undefined)));
  assert.match(yaml, /^# .*OnionBalance 0\.2\.x ignores both: do not give it this file/m);
  const readme = file(p, "README.md").text();
  assert.match(readme, /## Client authorization \(restricted discovery\)/);
  assert.match(readme, /`<frontend address>\.authorized_clients\/` stays with the balancer/);
  assert.match(readme, /`clients\/<client>\/` goes to that one person/);
  assert.match(readme, /\*\*secret\*\* key/);
  assert.match(readme, /`ClientOnionAuthDir \/path\/to\/that\/folder`/);
  assert.match(
    readme,
    /Tor Browser:\n {2}at the onion service authentication prompt, paste the key/,
  );
  assert.match(readme, /new `<name>\.auth` file in that folder/);
  assert.match(readme, /`systemctl reload onionbalance`/);
  assert.match(readme, /To revoke a client, delete their `\.auth` file\nand reload/);
  assert.match(readme, /at most 3 hours/);
  assert.ok(readme.includes("- 1 authorized client(s): `clients/web-client1/`"));
  assert.doesNotMatch(readme, /## Restricted backends/);
});

Deno.test("planDeployment() with restrictBackends: backends serve the balancer's key alone", () => {
  const p = plan({
    services: [
      { backends: 2, tag: "node" },
      { backends: 1, tag: "web", instances: [parseOnionAddress(A)] },
    ],
    restrictBackends: true,
  });
  assert.ok(p.dirs.includes("backend-keys"));
  assert.ok(!p.dirs.includes("clients"));
  const { config, warnings } = parseConfig(file(p, "config.yaml").text(), {
    path: "config.yaml",
    baseDir: "/etc/onionbalance",
  });
  assert.deepEqual(warnings, []);
  const perService: string[] = [];
  for (const [i, service] of p.services.entries()) {
    const balancerKeys = new Set<string>();
    for (const [j, backend] of service.backends.entries()) {
      const instance = config.services[i]!.instances[j]!;
      if (backend.kind === "adopted") {
        assert.equal(backend.clientKey, undefined);
        assert.equal(instance.clientKeyPath, undefined);
        continue;
      }
      const label = backend.address.slice(0, 56);
      assert.equal(backend.clientKey, `backend-keys/${label}.auth_private`);
      assert.equal(instance.clientKeyPath, `/etc/onionbalance/${backend.clientKey}`);
      const dir = `${backend.name}/hidden_service/authorized_clients`;
      assert.ok(p.dirs.indexOf(dir) > p.dirs.indexOf(`${backend.name}/hidden_service`));
      const pub = file(p, `${dir}/balancer.auth`);
      const priv = file(p, backend.clientKey);
      assert.deepEqual([pub.secret, priv.secret], [false, true]);
      const parsed = parseClientAuthKeyFile(priv.text());
      assert.equal(encodeOnionAddress(parsed.service), backend.address);
      assert.ok(parsed.key.public.equals(parseAuthorizedClientFile(pub.text())));
      // The service's balancer key: in the balancer's backend-keys/ only.
      assertSecretOnlyIn(p, parsed, (path) => path.startsWith("backend-keys/"));
      balancerKeys.add(pub.text());
      assert.match(
        file(p, `${backend.name}/torrc`).text(),
        /\n# Restricted: tor encrypts this backend's descriptor to the keys in\n/,
      );
    }
    // One balancer key per service.
    assert.equal(balancerKeys.size, 1);
    perService.push(...balancerKeys);
  }
  assert.equal(new Set(perService).size, 2);
  const readme = file(p, "README.md").text();
  assert.match(readme, /## Restricted backends/);
  assert.match(readme, /gives an outsider nothing to connect to/);
  assert.match(readme, /The balancer needs `backend-keys\/` next to `config\.yaml`/);
  assert.match(readme, /must find `authorized_clients\/` inside its HiddenServiceDir/);
  assert.match(readme, /The existing backends \(`web2`\) are not restricted/);
  assert.match(readme, /folder `node1\/`, restricted to the balancer\n/);
  assert.match(readme, /`web2`: .*\(no folder; see below\), not restricted\n/);
});

Deno.test("planDeployment() draws client keys last: the other files keep their bytes", () => {
  const inputs: DeploymentInputs = {
    services: [{ backends: 2, tag: "node" }, { backends: 1, tag: "web" }],
    offline: { periods: 2, from: T, now: T, lengthMinutes: 1440 },
  };
  const base = plan(inputs, "same seed");
  const clients = plan({ ...inputs, clients: 2 }, "same seed");
  const both = plan({ ...inputs, clients: 2, restrictBackends: true }, "same seed");
  const changed = /^(config\.yaml|README\.md|[a-z]+\d+\/torrc)$/;
  for (const p of [clients, both]) {
    for (const f of base.files) {
      if (changed.test(f.path)) continue;
      assert.deepEqual(file(p, f.path).bytes(), f.bytes(), f.path);
    }
  }
  // Restricting the backends does not change the clients' keys.
  for (const f of clients.files.filter((f) => !changed.test(f.path))) {
    assert.deepEqual(file(both, f.path).bytes(), f.bytes(), f.path);
  }
  // Without the options (or with their defaults), every file is the same as before.
  const off = plan({ ...inputs, clients: 0, restrictBackends: false }, "same seed");
  assert.deepEqual(off.dirs, base.dirs);
  assert.deepEqual(
    off.files.map((f) => [f.path, f.bytes()]),
    base.files.map((f) => [f.path, f.bytes()]),
  );
});

Deno.test("planDeployment() refuses client authorization it cannot plan", () => {
  for (const clients of [-1, 501, 1.5]) {
    badInput(
      () => plan({ services: [{ backends: 1, tag: "node" }], clients }),
      new RegExp(`Cannot generate "${clients}" client keys: expected 0 to 500`),
    );
  }
  badInput(
    () =>
      plan({
        services: [{ backends: 0, tag: "node", instances: [parseOnionAddress(A)] }],
        restrictBackends: true,
      }),
    /Cannot restrict the backends: none is generated/,
  );
});

Deno.test("A plan with clients never shows their keys, and wipePlan() clears them", () => {
  const p = plan({ services: [{ backends: 1, tag: "node" }], clients: 2, restrictBackends: true });
  const secrets = p.files.filter((f) => f.path.endsWith(".auth_private"));
  assert.equal(secrets.length, 3);
  const forms = secrets.flatMap((f) => secretTexts(parseClientAuthKeyFile(f.text())));
  for (const text of [Deno.inspect(p, { depth: 10 }), JSON.stringify(p)]) {
    for (const form of forms) assert.ok(!text.includes(form));
    assert.ok(!text.includes("descriptor:x25519:"));
  }
  wipePlan(p);
  for (const f of secrets) assert.ok(f.bytes().every((b) => b === 0), f.path);
  assert.ok(
    !file(p, "node1/hidden_service/authorized_clients/balancer.auth").bytes().every((b) => b === 0),
  );
});

Deno.test({
  name: "writeDeployment() writes the client authorization folders 0700 and their files 0600",
  permissions: { read: ["/tmp"], write: ["/tmp"] },
  fn: async () => {
    const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "ob-deploy-clients-" });
    try {
      const p = plan({
        services: [{ backends: 2, tag: "node" }],
        clients: 2,
        restrictBackends: true,
      });
      await writeDeployment(dir, p);
      const mode = async (path: string) => ((await Deno.lstat(path)).mode ?? 0) & 0o777;
      for (const d of p.dirs) assert.equal(await mode(`${dir}/${d}`), 0o700, d);
      for (const f of p.files) {
        assert.equal(await mode(`${dir}/${f.path}`), 0o600, f.path);
        assert.deepEqual(await Deno.readFile(`${dir}/${f.path}`), f.bytes(), f.path);
      }
      wipePlan(p);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
