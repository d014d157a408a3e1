import assert from "node:assert/strict";
import {
  buildServices,
  type FrontendDeps,
  frontendOptions,
  loadServiceKeys,
  publicKeyOf,
} from "../../src/balancer/mod.ts";
import { ConfigError, parseConfig } from "../../src/config/mod.ts";
import { seededRng } from "../../src/crypto/mod.ts";
import { makeOfflineBundle, writeOfflineBundle } from "../../src/custody/mod.ts";
import { onionAddressLabel, writeIdentityKeyPem } from "../../src/keys/mod.ts";
import { FakeClock } from "../../src/time/mod.ts";
import { captureLog, FakePoster } from "./_fake_tor.ts";
import { fixtureBackend, frontendKey } from "./_fixtures.ts";

// The YAML parser reads LOG_TOKENS and LOG_STREAM from the environment.
const YAML_ENV: Deno.PermissionOptionsObject = { env: ["LOG_TOKENS", "LOG_STREAM"] };
const DEPS: FrontendDeps = {
  post: new FakePoster().post,
  rng: seededRng("services test"),
  log: captureLog().log,
  clock: new FakeClock(0),
};
const A = frontendKey("a");
const B = frontendKey("b");
const KA = { kind: "key", keypair: A } as const;
const KB = { kind: "key", keypair: B } as const;
const [b0, b1, b2] = [0, 1, 2].map((i) => fixtureBackend(`services ${i}`).address);

/** A config naming `services` (key path → instance addresses and names). */
function config(
  services: { key: string; instances: (string | [string, string])[] }[],
  extra = "",
) {
  const text = "services:\n" + services.map((s) =>
    `  - key: ${s.key}\n    instances:\n` +
    s.instances.map((i) =>
      typeof i === "string"
        ? `      - address: ${i}.onion\n`
        : `      - address: ${i[0]}.onion\n        name: ${i[1]}\n`
    ).join("")
  ).join("") + extra;
  return parseConfig(text, { path: "/etc/onionbalance/config.yaml", baseDir: "/etc/onionbalance" })
    .config;
}

Deno.test({
  name: "buildServices() makes one frontend per service with its backends and settings",
  permissions: YAML_ENV,
}, () => {
  const cfg = config(
    [{ key: "a.key", instances: [[b0!, "web-0"], b1!] }],
    "republish-interval: 1800\n",
  );
  const [service, ...rest] = buildServices(cfg, [KA], DEPS);
  assert.equal(rest.length, 0);
  assert.equal(service!.address, onionAddressLabel(A.public));
  assert.deepEqual(service!.backends.map((b) => b.address), [b0, b1]);
  assert.equal(service!.backends[0]!.name, "web-0");
  assert.equal(service!.backends[1]!.name, undefined);
  assert.deepEqual(service!.options, frontendOptions(cfg));
  assert.equal(service!.options.republishIntervalMs, 1800_000);
});

Deno.test({
  name: "buildServices() keeps services (same key) and backends (same address) across a reload",
  permissions: YAML_ENV,
}, () => {
  const first = buildServices(
    config([{ key: "a.key", instances: [b0!, b1!] }, { key: "b.key", instances: [b1!] }]),
    [KA, KB],
    DEPS,
  );
  const [a, b] = first;
  // Shared: one backend object serves both frontends.
  assert.equal(a!.backends[1], b!.backends[0]);
  a!.backends[0]!.fetchFailed("kept state");
  a!.requestRepublish("marker");

  const reloaded = buildServices(
    config(
      [{ key: "a.key", instances: [[b0!, "renamed"], b2!] }, { key: "c.key", instances: [b1!] }],
      "intro-points-per-instance: 3\n",
    ),
    [KA, { kind: "key", keypair: frontendKey("c") }],
    DEPS,
    first,
  );
  assert.equal(reloaded[0], a, "same key: the same service object, publish state kept");
  assert.equal(reloaded[0]!.backends[0], first[0]!.backends[0], "same address: same backend");
  assert.equal(reloaded[0]!.backends[0]!.fetchFailures, 1);
  assert.equal(reloaded[0]!.backends[0]!.name, "renamed");
  assert.equal(reloaded[0]!.backends[1]!.address, b2);
  assert.equal(reloaded[0]!.options.perBackend, 3);
  assert.notEqual(reloaded[1], b, "another key: a new service");
  assert.equal(
    reloaded[1]!.backends[0],
    first[1]!.backends[0],
    "b1 kept even under a new frontend",
  );
});

Deno.test({
  name: "buildServices() rejects the frontend's own address as one of its instances",
  permissions: YAML_ENV,
}, () => {
  const own = onionAddressLabel(A.public);
  const cfg = config([{ key: "a.key", instances: [b0!, own] }]);
  assert.throws(() => buildServices(cfg, [KA], DEPS), (error) => {
    assert.ok(error instanceof ConfigError);
    assert.equal(
      error.message,
      `/etc/onionbalance/config.yaml:5:9: The frontend's own address ${own}.onion is listed as ` +
        "an instance of itself",
    );
    return true;
  });
});

Deno.test({
  name: "buildServices() rejects a service configured twice (the same key)",
  permissions: YAML_ENV,
}, () => {
  const cfg = config([{ key: "a.key", instances: [b0!] }, { key: "copy.key", instances: [b1!] }]);
  assert.throws(() => buildServices(cfg, [KA, KA], DEPS), (error) => {
    assert.ok(error instanceof ConfigError);
    assert.equal(
      error.message,
      `/etc/onionbalance/config.yaml:5:5: Service ${onionAddressLabel(A.public)}.onion is ` +
        "configured twice",
    );
    return true;
  });
});

Deno.test({
  name: "loadServiceKeys() loads each key and names the service's place in the file on error",
  permissions: { ...YAML_ENV, read: ["/tmp"], write: ["/tmp"] },
  fn: async () => {
    const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "ob-services-" });
    try {
      await writeIdentityKeyPem(`${dir}/a.key`, A);
      await Deno.writeTextFile(`${dir}/bad.key`, "not a key\n", { mode: 0o600 });
      const parse = (keys: string[]) =>
        parseConfig(
          "services:\n" +
            keys.map((k) => `  - key: ${k}\n    instances:\n      - address: ${b0}.onion\n`).join(
              "",
            ),
          { path: "config.yaml", baseDir: dir },
        ).config;

      const keys = await loadServiceKeys(parse(["a.key"]));
      assert.equal(keys[0]!.kind, "key");
      assert.equal(onionAddressLabel(publicKeyOf(keys[0]!)), onionAddressLabel(A.public));

      await assert.rejects(loadServiceKeys(parse(["a.key", "missing.key"])), (error) => {
        assert.ok(error instanceof ConfigError);
        assert.match(
          error.message,
          new RegExp(
            `^config\\.yaml:5:5: Cannot load the key of this service: Cannot read key file ` +
              `"${dir}/missing\\.key": No such file`,
          ),
        );
        return true;
      });
      await assert.rejects(loadServiceKeys(parse(["bad.key"])), (error) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /^config\.yaml:2:5: Cannot load the key of this service: /);
        return true;
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "loadServiceKeys() refuses the frontend's own address as an instance, before tor is asked",
  permissions: { ...YAML_ENV, read: ["/tmp"], write: ["/tmp"] },
  fn: async () => {
    const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "ob-services-" });
    try {
      await writeIdentityKeyPem(`${dir}/a.key`, A);
      const own = onionAddressLabel(A.public);
      const cfg = parseConfig(
        `services:\n  - key: a.key\n    instances:\n      - address: ${b0}.onion\n` +
          `      - address: ${own}.onion\n`,
        { path: "config.yaml", baseDir: dir },
      ).config;
      await assert.rejects(loadServiceKeys(cfg), (error) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(
          error.message,
          `config.yaml:5:9: The frontend's own address ${own}.onion is listed as an instance ` +
            "of itself",
        );
        return true;
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "loadServiceKeys() asks for a passphrase only for an encrypted key or bundle: config file, --passphrase-file, credential, terminal",
  permissions: { ...YAML_ENV, read: ["/tmp"], write: ["/tmp"] },
  fn: async () => {
    const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "ob-services-" });
    const encoder = new TextEncoder();
    try {
      const pass = encoder.encode("s3cret");
      await writeIdentityKeyPem(`${dir}/a.key`, A, { passphrase: pass });
      await writeIdentityKeyPem(`${dir}/b.key`, B);
      await writeOfflineBundle(
        `${dir}/a.keys`,
        makeOfflineBundle(A, { from: 1.8e9, periods: 2, now: 1.8e9, rng: seededRng("b") }),
        { passphrase: pass },
      );
      await Deno.writeTextFile(`${dir}/pass`, "s3cret\n", { mode: 0o600 });
      await Deno.mkdir(`${dir}/creds`, { mode: 0o700 });
      await Deno.writeTextFile(`${dir}/creds/onionbalance-key-passphrase`, "s3cret", {
        mode: 0o400,
      });
      const parse = (service: string) =>
        parseConfig(`services:\n  - ${service}\n    instances:\n      - address: ${b0}.onion\n`, {
          path: "config.yaml",
          baseDir: dir,
        }).config;
      const noEnv = { get: () => undefined };
      let asked = 0;
      const prompt = () => (asked++, Promise.resolve(encoder.encode("s3cret")));

      // A plain key: no source is asked.
      await loadServiceKeys(parse("key: b.key"), { env: noEnv, prompt });
      assert.equal(asked, 0);
      // The service's passphrase-file.
      const [fromFile] = await loadServiceKeys(parse("key: a.key\n    passphrase-file: pass"));
      assert.equal(onionAddressLabel(publicKeyOf(fromFile!)), onionAddressLabel(A.public));
      // --passphrase-file, for a bundle.
      const [bundle] = await loadServiceKeys(parse("offline-keys: a.keys"), {
        file: `${dir}/pass`,
        env: noEnv,
      });
      assert.equal(bundle!.kind, "offline");
      // The systemd credential.
      const creds = {
        get: (name: string) => name === "CREDENTIALS_DIRECTORY" ? `${dir}/creds` : undefined,
      };
      assert.equal((await loadServiceKeys(parse("key: a.key"), { env: creds }))[0]!.kind, "key");
      // The terminal, last.
      await loadServiceKeys(parse("key: a.key"), { env: noEnv, prompt });
      assert.equal(asked, 1);
      // None: a config error that names the key and the ways to give a passphrase.
      await assert.rejects(loadServiceKeys(parse("key: a.key"), { env: noEnv }), (error) => {
        assert.ok(error instanceof ConfigError);
        assert.match(
          error.message,
          /a\.key is encrypted and no passphrase was given: set "passphrase-file"/,
        );
        return true;
      });
      // A wrong one names the file, never the passphrase.
      await Deno.writeTextFile(`${dir}/wrong`, "not it\n", { mode: 0o600 });
      await assert.rejects(
        loadServiceKeys(parse("offline-keys: a.keys\n    passphrase-file: wrong")),
        (error) => {
          assert.ok(error instanceof ConfigError);
          assert.match(error.message, /a\.keys.*wrong passphrase/);
          assert.ok(!error.message.includes("not it"));
          return true;
        },
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
