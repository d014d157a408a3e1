import assert from "node:assert/strict";
import { toBase64, toHex } from "../../src/bytes/mod.ts";
import { parseConfig } from "../../src/config/mod.ts";
import { seededRng } from "../../src/crypto/mod.ts";
import { BundleError, decodeOfflineBundle, describeSpan } from "../../src/custody/mod.ts";
import {
  DeployError,
  type DeploymentInputs,
  type DeploymentPlan,
  planDeployment,
  type PlannedFile,
  wipePlan,
} from "../../src/deploy/mod.ts";
import {
  decodeHostnameFile,
  decodeIdentityKey,
  decodeTorPublicKeyFile,
  decodeTorSecretKeyFile,
  encodeOnionAddress,
  HsIdKeypair,
  KeyError,
  onionAddressLabel,
  parseOnionAddress,
} from "../../src/keys/mod.ts";

const A = "25njqamcweflpvkl73j4szahhihoc4xt3ktcgjnpaingr5yhkenl5sid.onion";
const B = "sltib6sxkuxh2scmtuvd5w2g7pahnzkovefxpo4e4ptnkzl5kkq5h2ad.onion";

function plan(inputs: DeploymentInputs, seed = "plan-test"): DeploymentPlan {
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

Deno.test("planDeployment() plans OnionBalance's files plus a folder per backend", () => {
  const p = plan({ services: [{ backends: 2, tag: "node" }] });
  const [service] = p.services;
  assert.ok(service);
  const label = service.address.slice(0, 56);
  assert.equal(service.keyFile, `${label}.key`);
  assert.deepEqual(p.dirs, ["node1", "node1/hidden_service", "node2", "node2/hidden_service"]);
  assert.deepEqual(p.files.map((f) => f.path), [
    `${label}.key`,
    ...["node1", "node2"].flatMap((n) => [
      `${n}/hidden_service/hs_ed25519_secret_key`,
      `${n}/hidden_service/hs_ed25519_public_key`,
      `${n}/hidden_service/hostname`,
      `${n}/hidden_service/ob_config`,
      `${n}/torrc`,
    ]),
    "torrc-frontend",
    "README.md",
    "config.yaml",
  ]);
  assert.deepEqual(
    p.files.filter((f) => f.secret).map((f) => f.path),
    [
      `${label}.key`,
      "node1/hidden_service/hs_ed25519_secret_key",
      "node2/hidden_service/hs_ed25519_secret_key",
    ],
  );
  assert.ok(p.files.every((f) => f.mode === 0o600));
});

Deno.test("planDeployment() writes backend key files that decode to the backend's address", () => {
  const p = plan({ services: [{ backends: 3, tag: "web" }] });
  const [service] = p.services;
  assert.ok(service);
  for (const backend of service.backends) {
    const dir = `${backend.name}/hidden_service`;
    const secret = decodeTorSecretKeyFile(file(p, `${dir}/hs_ed25519_secret_key`).bytes());
    const pub = decodeTorPublicKeyFile(file(p, `${dir}/hs_ed25519_public_key`).bytes());
    const host = decodeHostnameFile(file(p, `${dir}/hostname`).text());
    assert.ok(secret.public.equals(pub));
    assert.ok(host.equals(pub));
    assert.equal(encodeOnionAddress(pub), backend.address);
    assert.equal(file(p, `${dir}/ob_config`).text(), `MasterOnionAddress ${service.address}\n`);
    assert.equal(backend.hiddenServiceDir, `/var/lib/tor/${backend.name}`);
  }
  const frontend = decodeIdentityKey(file(p, service.keyFile).bytes());
  assert.equal(frontend.format, "tor");
  assert.equal(encodeOnionAddress(frontend.keypair.public), service.address);
});

Deno.test("planDeployment() is deterministic for a given rng, and draws distinct keys", () => {
  const inputs: DeploymentInputs = {
    services: [{ backends: 2, tag: "node" }, { backends: 2, tag: "node" }],
  };
  const one = plan(inputs, "same");
  const two = plan(inputs, "same");
  assert.deepEqual(one.services, two.services);
  const addresses = one.services.flatMap((s) => [s.address, ...s.backends.map((b) => b.address)]);
  assert.equal(new Set(addresses).size, 6);
  assert.notDeepEqual(plan(inputs, "other").services, one.services);
});

Deno.test("planDeployment() gives each of several services its own backends and master", () => {
  const p = plan({
    services: [{ backends: 2, tag: "node" }, { backends: 1, tag: "node" }, {
      backends: 1,
      tag: "web",
    }],
  });
  assert.deepEqual(p.services.map((s) => s.backends.map((b) => b.name)), [
    ["node1", "node2"],
    ["node3"],
    ["web1"],
  ]);
  for (const service of p.services) {
    for (const backend of service.backends) {
      assert.equal(
        file(p, `${backend.name}/hidden_service/ob_config`).text(),
        `MasterOnionAddress ${service.address}\n`,
      );
      assert.match(
        file(p, `${backend.name}/torrc`).text(),
        new RegExp(`MasterOnionAddress ${service.address}`),
      );
    }
  }
  const torrc = file(p, "torrc-frontend").text();
  for (const s of p.services) {
    assert.ok(torrc.includes(`## Frontend service ${s.index}: ${s.address}\n`));
  }
});

Deno.test("planDeployment() writes a config.yaml that src/config loads without warnings", () => {
  const p = plan({
    services: [
      { backends: 2, tag: "node", instances: [parseOnionAddress(A)] },
      { backends: 0, tag: "other", instances: [parseOnionAddress(B), parseOnionAddress(A)] },
    ],
    virtualPort: 8080,
  });
  const { config, warnings } = parseConfig(file(p, "config.yaml").text(), {
    path: "config.yaml",
    baseDir: "/etc/onionbalance",
  });
  assert.deepEqual(warnings, []);
  assert.equal(config.healthCheck.port, 8080);
  assert.deepEqual(
    config.services.map((s) => s.keyPathAsWritten),
    p.services.map((s) => s.keyFile),
  );
  assert.deepEqual(
    config.services.map((s) => s.instances.map((i) => [`${i.address}.onion`, i.name])),
    p.services.map((s) => s.backends.map((b) => [b.address, b.name])),
  );
  assert.deepEqual(p.services[1]!.backends.map((b) => [b.name, b.kind]), [
    ["other1", "adopted"],
    ["other2", "adopted"],
  ]);
  assert.ok(!p.dirs.some((d) => d.startsWith("other")));
  assert.match(
    file(p, "README.md").text(),
    new RegExp(`- ${B}:\\n\\n  \`\`\`\\n  MasterOnionAddress ${p.services[1]!.address}\\n`),
  );
});

Deno.test("planDeployment() keeps an imported key and its format, and writes new keys as asked", () => {
  const seeded = HsIdKeypair.generate(seededRng("imported"));
  const torOnly = HsIdKeypair.fromExpanded(seeded.expandedSecret());
  const p = plan({
    services: [
      { key: { keypair: seeded, format: "pem" }, backends: 1, tag: "a" },
      { backends: 1, tag: "c" },
    ],
    keyFormat: "pem",
  });
  const [imported, generated] = p.services;
  assert.ok(imported && generated);
  assert.equal(imported.address, encodeOnionAddress(seeded.public));
  assert.deepEqual([imported.imported, imported.keyFormat], [true, "pem"]);
  assert.deepEqual([generated.imported, generated.keyFormat], [false, "pem"]);
  for (const s of p.services) {
    const key = decodeIdentityKey(file(p, s.keyFile).bytes());
    assert.equal(key.format, "pem");
    assert.equal(encodeOnionAddress(key.keypair.public), s.address);
  }
  const tor = plan({
    services: [{ key: { keypair: torOnly, format: "tor" }, backends: 1, tag: "b" }],
    keyFormat: "pem",
  });
  const key = decodeIdentityKey(file(tor, tor.services[0]!.keyFile).bytes());
  assert.equal(key.format, "tor");
  assert.equal(tor.services[0]!.address, encodeOnionAddress(seeded.public));
});

Deno.test("planDeployment() refuses inputs it cannot turn into a working deployment", () => {
  const key = HsIdKeypair.generate(seededRng("dup"));
  const torOnly = HsIdKeypair.fromExpanded(key.expandedSecret());
  badInput(() => plan({ services: [] }), /Cannot plan 0 services/);
  badInput(() => plan({ services: [{ backends: 0, tag: "node" }] }), /without backends/);
  badInput(() => plan({ services: [{ backends: 101, tag: "node" }] }), /expected 0 to 100/);
  badInput(() => plan({ services: [{ backends: 1, tag: "../x" }] }), /Cannot use tag "\.\.\/x"/);
  badInput(() => plan({ services: [{ backends: 1, tag: "node.1" }] }), /Cannot use tag/);
  badInput(
    () =>
      plan({
        services: [
          { key: { keypair: key, format: "pem" }, backends: 1, tag: "a" },
          { key: { keypair: torOnly, format: "tor" }, backends: 1, tag: "b" },
        ],
      }),
    /same frontend key .* for services 1 and 2/,
  );
  badInput(
    () =>
      plan({
        services: [{
          key: { keypair: key, format: "pem" },
          backends: 1,
          tag: "a",
          instances: [key.public],
        }],
      }),
    /it is the frontend of service 1/,
  );
  badInput(
    () =>
      plan({
        services: [{
          backends: 0,
          tag: "a",
          instances: [parseOnionAddress(A), parseOnionAddress(A)],
        }],
      }),
    /Cannot adopt .* twice/,
  );
  badInput(
    () => plan({ services: [{ backends: 11, tag: "node" }, { backends: 1, tag: "node1" }] }),
    /Cannot name two backends "node11"/,
  );
  badInput(
    () => plan({ services: [{ key: { keypair: torOnly, format: "pem" }, backends: 1, tag: "a" }] }),
    /as PEM: it is in tor's format/,
  );
  badInput(
    () => plan({ services: [{ backends: 1, tag: "a" }], virtualPort: 0 }),
    /virtual port "0"/,
  );
  badInput(
    () => plan({ services: [{ backends: 1, tag: "a" }], target: "127.0.0.1:80\nSocksPort 9050" }),
    /service target/,
  );
  badInput(
    () => plan({ services: [{ backends: 1, tag: "a" }], backendDirPrefix: "var/lib/tor" }),
    /absolute path/,
  );
});

Deno.test("planDeployment() puts the backends' settings in their torrc", () => {
  const p = plan({
    services: [{ backends: 1, tag: "node" }],
    virtualPort: 443,
    target: "unix:/run/web.sock",
    backendDirPrefix: "/srv/tor/",
  });
  const torrc = file(p, "node1/torrc").text();
  const lines = torrc.split("\n").filter((l) => l !== "" && !l.startsWith("#"));
  assert.deepEqual(lines, [
    "HiddenServiceDir /srv/tor/node1",
    "HiddenServicePort 443 unix:/run/web.sock",
    "HiddenServiceOnionbalanceInstance 1",
  ]);
  assert.match(torrc, /## .*\n/);
  assert.ok(torrc.includes(`## ${p.services[0]!.backends[0]!.address}\n`));
});

Deno.test("A plan never shows key material, and wipePlan() clears the secrets", () => {
  const p = plan({ services: [{ backends: 1, tag: "node" }] });
  const secret = p.files.find((f) => f.secret)!;
  const bytes = secret.bytes();
  const hex = Array.from(bytes.subarray(32, 40), (b) => b.toString(16).padStart(2, "0")).join("");
  for (const text of [Deno.inspect(p, { depth: 10 }), JSON.stringify(p)]) {
    assert.ok(!text.includes(hex));
    assert.ok(!text.includes("ed25519v1-secret"));
    assert.match(text, /secret/);
  }
  wipePlan(p);
  assert.ok(secret.bytes().every((b) => b === 0));
  assert.ok(!p.files.find((f) => f.path === "config.yaml")!.bytes().every((b) => b === 0));
});

/** 2026-01-15 12:00 UTC, the start of the offline spans below. */
const T = Date.UTC(2026, 0, 15, 12, 0) / 1000;
const PASSPHRASE = new TextEncoder().encode("correct horse battery staple");

function includesBytes(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

/** Every form an identity secret could leak in: raw bytes, hex, base64 (of the seed too). */
function secretForms(keypair: HsIdKeypair): { bytes: Uint8Array[]; texts: string[] } {
  const raw = [keypair.expandedSecret(), keypair.expandedSecret().subarray(0, 32)];
  const seed = keypair.seed();
  if (seed !== undefined) raw.push(seed);
  return { bytes: raw, texts: raw.flatMap((b) => [toHex(b), toBase64(b)]) };
}

Deno.test("planDeployment() offline: the identity key goes under offline/, the balancer gets a bundle", () => {
  for (const keyFormat of ["tor", "pem"] as const) {
    const inputs: DeploymentInputs = {
      services: [{ backends: 2, tag: "node" }, { backends: 1, tag: "web" }],
      keyFormat,
    };
    const online = plan(inputs, "offline");
    const p = plan(
      { ...inputs, offline: { periods: 3, from: T, now: T, lengthMinutes: 1440 } },
      "offline",
    );
    // The bundle secrets are drawn after every key: the addresses do not change.
    assert.deepEqual(
      p.services.map((s) => [s.address, s.backends.map((b) => b.address)]),
      online.services.map((s) => [s.address, s.backends.map((b) => b.address)]),
    );
    assert.equal(p.dirs[0], "offline");
    const { config, warnings } = parseConfig(file(p, "config.yaml").text(), {
      path: "config.yaml",
      baseDir: "/etc/onionbalance",
    });
    assert.deepEqual(warnings, []);
    const readme = file(p, "README.md").text();
    for (const [i, service] of p.services.entries()) {
      const label = service.address.slice(0, 56);
      assert.equal(service.keyFile, `offline/${label}.key`);
      assert.equal(service.bundle?.file, `${label}.keys`);
      assert.deepEqual(service.bundle?.request, { periods: 3 });
      assert.ok(file(p, service.keyFile).secret && file(p, `${label}.keys`).secret);
      assert.equal(config.services[i]!.keyKind, "offline");
      assert.equal(config.services[i]!.keyPathAsWritten, `${label}.keys`);
      const identity = decodeIdentityKey(file(p, service.keyFile).bytes());
      assert.equal(identity.format, keyFormat);
      assert.equal(encodeOnionAddress(identity.keypair.public), service.address);
      const bundle = decodeOfflineBundle(file(p, `${label}.keys`).text());
      assert.equal(bundle.address, onionAddressLabel(identity.keypair.public));
      assert.equal(bundle.address, label);
      assert.ok(bundle.startsAt <= T && T < bundle.endsAt);
      assert.equal(bundle.certs.length, 3);
      assert.equal(bundle.schedule.lengthMinutes, 1440);
      assert.equal(service.bundle?.span, describeSpan(bundle));
      assert.ok(readme.includes(`covers ${describeSpan(bundle)}`));
      const from = new Date(bundle.endsAt * 1000).toISOString().slice(0, 19);
      assert.ok(
        readme.includes(
          `onionbalance keys offline --key ${label}.key --output ${label}.keys --periods 3 --from ${from}Z\n`,
        ),
        readme,
      );
      // No identity secret in any file the balancer (or a backend) gets.
      const forms = secretForms(identity.keypair);
      const keyFile = file(p, service.keyFile).bytes();
      for (const f of p.files.filter((f) => !f.path.startsWith("offline/"))) {
        const bytes = f.bytes();
        const text = new TextDecoder("latin1").decode(bytes);
        assert.ok(!includesBytes(bytes, keyFile), f.path);
        for (const secret of forms.bytes) assert.ok(!includesBytes(bytes, secret), f.path);
        for (const secret of forms.texts) assert.ok(!text.includes(secret), f.path);
      }
    }
    const yaml = file(p, "config.yaml").text();
    assert.match(yaml, /^ {2}- offline-keys: [a-z2-7]{56}\.keys # frontend /m);
    assert.doesNotMatch(yaml, /^ {2}- key:/m);
    assert.ok(!p.files.some((f) => /^[a-z2-7]{56}\.key$/.test(f.path)));
    assert.match(readme, /Move `offline\/` to the isolated machine .* then delete\n {3}it here/);
    assert.match(readme, /The balancer holds `config\.yaml`, the bundle\(s\)/);
    assert.match(readme, /systemctl reload onionbalance` \(or send onionbalance SIGHUP\)/);
    assert.match(readme, /revision counters increasing/);
    assert.doesNotMatch(readme, /## Encrypted keys/);
  }
});

Deno.test("planDeployment() offline: days, period length, and spans it cannot make", () => {
  const p = plan({
    services: [{ backends: 1, tag: "node" }],
    offline: { days: 1, from: T, now: T, lengthMinutes: 4 },
  });
  const bundle = decodeOfflineBundle(file(p, p.services[0]!.bundle!.file).text());
  assert.equal(bundle.schedule.lengthMinutes, 4);
  assert.ok(bundle.startsAt <= T && bundle.endsAt >= T + 86400); // a day of 4-minute periods
  assert.ok(bundle.certs.length >= 360 && bundle.certs.length <= 362, `${bundle.certs.length}`);
  assert.match(
    file(p, "README.md").text(),
    /--output \S+\.keys --days 1 --from \S+Z --period-length 4\n/,
  );
  const span = (offline: Partial<NonNullable<DeploymentInputs["offline"]>>) => () =>
    plan({
      services: [{ backends: 1, tag: "node" }],
      offline: { from: T, now: T, lengthMinutes: 1440, ...offline },
    });
  badInput(span({ days: 1, periods: 1 }), /either a number of days or of periods/);
  badInput(span({}), /either a number of days or of periods/);
  badInput(span({ periods: 2000 }), /Cannot make a bundle of 2000 periods/);
  badInput(span({ days: 30, lengthMinutes: 4 }), /Cannot make a bundle of 108\d\d periods/);
  badInput(span({ periods: 1, lengthMinutes: 0 }), /period length 0/);
});

Deno.test("planDeployment() with a passphrase encrypts frontend keys and bundles, never backend keys", () => {
  for (const offline of [undefined, { days: 2, from: T, now: T, lengthMinutes: 1440 }]) {
    const p = plan({
      services: [{ backends: 1, tag: "node" }],
      keyFormat: "tor",
      passphrase: PASSPHRASE,
      ...(offline === undefined ? {} : { offline }),
    });
    const [service] = p.services;
    assert.ok(service);
    assert.deepEqual([service.keyFormat, service.encrypted], ["pem", true]);
    const keyFile = file(p, service.keyFile);
    assert.ok(keyFile.text().startsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----\n"));
    assert.throws(
      () => decodeIdentityKey(keyFile.bytes()),
      (e: unknown) => e instanceof KeyError && e.kind === "PassphraseRequired",
    );
    const key = decodeIdentityKey(keyFile.bytes(), { passphrase: PASSPHRASE });
    assert.equal(encodeOnionAddress(key.keypair.public), service.address);
    assert.equal(key.encrypted, true);
    const backend = decodeIdentityKey(
      file(p, "node1/hidden_service/hs_ed25519_secret_key").bytes(),
    );
    assert.equal(backend.format, "tor");
    const readme = file(p, "README.md").text();
    assert.match(readme, /## Encrypted keys/);
    assert.match(readme, /The backends' keys are not: tor\ncannot read an encrypted key/);
    assert.match(readme, /passphrase-file: \/etc\/onionbalance\/passphrase/);
    assert.match(readme, /`onionbalance --passphrase-file <path>`/);
    assert.match(readme, /LoadCredentialEncrypted=onionbalance-key-passphrase:/);
    assert.match(file(p, "config.yaml").text(), /# Encrypted: the passphrase comes from/);
    if (offline !== undefined) {
      const text = file(p, service.bundle!.file).text();
      assert.match(text, /-----BEGIN ENCRYPTED PRIVATE KEY-----/);
      assert.doesNotMatch(text, /-----BEGIN PRIVATE KEY-----/);
      assert.throws(
        () => decodeOfflineBundle(text),
        (e: unknown) => e instanceof BundleError && e.kind === "Passphrase",
      );
      const bundle = decodeOfflineBundle(text, { passphrase: PASSPHRASE });
      assert.equal(`${bundle.address}.onion`, service.address);
      assert.match(readme, /--days 2 --from \S+Z --encrypt\n/);
      assert.match(readme, /--key-passphrase-file FILE/);
    }
  }
});

Deno.test("planDeployment() gives the same tree for a seed, encrypted contents aside", () => {
  const inputs: DeploymentInputs = {
    services: [{ backends: 2, tag: "node" }],
    offline: { periods: 2, from: T, now: T, lengthMinutes: 1440 },
  };
  for (const passphrase of [undefined, PASSPHRASE]) {
    const [one, two] = [1, 2].map(() =>
      plan(passphrase === undefined ? inputs : { ...inputs, passphrase }, "same tree")
    );
    assert.deepEqual(one!.dirs, two!.dirs);
    assert.deepEqual(one!.files.map((f) => f.path), two!.files.map((f) => f.path));
    for (const [i, f] of one!.files.entries()) {
      const other = two!.files[i]!;
      // PBES2 draws its salt and IV from the system's randomness, not from the plan's rng.
      const encrypted = passphrase !== undefined &&
        (f.path.startsWith("offline/") || f.path.endsWith(".keys"));
      if (encrypted) assert.notDeepEqual(f.bytes(), other.bytes(), f.path);
      else assert.deepEqual(f.bytes(), other.bytes(), f.path);
    }
  }
});

Deno.test("planDeployment() refuses to encrypt a key it cannot write as PEM, or with no passphrase", () => {
  const seeded = HsIdKeypair.generate(seededRng("tor only"));
  const torOnly = HsIdKeypair.fromExpanded(seeded.expandedSecret());
  badInput(
    () =>
      plan({
        services: [{ key: { keypair: torOnly, format: "tor" }, backends: 1, tag: "a" }],
        passphrase: PASSPHRASE,
      }),
    /Cannot encrypt the key of service 1: it is in tor's format, which holds no seed/,
  );
  badInput(
    () => plan({ services: [{ backends: 1, tag: "a" }], passphrase: new Uint8Array() }),
    /Cannot encrypt the keys with an empty passphrase/,
  );
  // Offline without encryption takes a tor-format key as it is.
  const p = plan({
    services: [{ key: { keypair: torOnly, format: "tor" }, backends: 1, tag: "a" }],
    offline: { periods: 1, from: T, now: T, lengthMinutes: 1440 },
  });
  assert.equal(p.services[0]!.address, encodeOnionAddress(seeded.public));
  assert.equal(decodeIdentityKey(file(p, p.services[0]!.keyFile).bytes()).format, "tor");
});
